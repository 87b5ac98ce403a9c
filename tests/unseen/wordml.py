"""A small WordprocessingML writer for the second corpus: raw XML in a zip, no python-docx.

The first corpus (tests/corpus) is written with python-docx, odfpy and reportlab and grew
with the engine; this one is written another way so that it shares none of its quirks.
Word's own structures are written as Word writes them: legacy form fields (FORMTEXT,
FORMCHECKBOX), content controls (w14:checkbox, plain-text sdt), shaded label cells,
struck-through answers.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'mc:Ignorable="w14"'
)


@dataclass
class Run:
    """A piece of a paragraph: text, a form field or a content control."""

    xml: str


@dataclass
class Para:
    runs: list[Run]
    shade: str | None = None
    align: str | None = None


@dataclass
class Cell:
    paras: list[Para]
    shade: str | None = None
    span: int = 1
    width: int = 4500  # twips


@dataclass
class Table:
    rows: list[list[Cell]]
    borders: bool = True


@dataclass
class Doc:
    blocks: list[Para | Table] = field(default_factory=list)


def text(
    value: str,
    bold: bool = False,
    strike: bool = False,
    size: int | None = None,
    font: str | None = None,
) -> Run:
    props = ""
    if font:
        props += f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:cs="{font}"/>'
    if bold:
        props += "<w:b/>"
    if strike:
        props += "<w:strike/>"
    if size:
        props += f'<w:sz w:val="{size * 2}"/>'
    pieces = []
    for n, line in enumerate(value.split("\n")):
        if n:
            pieces.append("<w:br/>")
        pieces.append(f'<w:t xml:space="preserve">{escape(line)}</w:t>')
    return Run(f"<w:r><w:rPr>{props}</w:rPr>{''.join(pieces)}</w:r>")


def tab() -> Run:
    return Run("<w:r><w:tab/></w:r>")


def legacy_text(name: str, value: str) -> Run:
    """A Word 97 form text field (FORMTEXT), as Word writes it."""
    shown = escape(value) if value else "\u2002" * 5
    return Run(
        f'<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="{name}"/>'
        '<w:enabled/><w:calcOnExit w:val="0"/><w:textInput/></w:ffData></w:fldChar></w:r>'
        '<w:r><w:instrText xml:space="preserve"> FORMTEXT </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f'<w:r><w:t xml:space="preserve">{shown}</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def legacy_box(name: str, checked: bool) -> Run:
    """A Word 97 form checkbox (FORMCHECKBOX)."""
    state = "<w:checked/>" if checked else '<w:checked w:val="0"/>'
    return Run(
        f'<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="{name}"/><w:enabled/>'
        f'<w:calcOnExit w:val="0"/><w:checkBox><w:sizeAuto/>{state}</w:checkBox></w:ffData>'
        '</w:fldChar></w:r><w:r><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText>'
        '</w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def sdt_text(value: str, tag: str | None = None) -> Run:
    """A plain-text content control; empty, it shows Word's placeholder."""
    props = f'<w:tag w:val="{tag}"/>' if tag else ""
    if not value:
        props += "<w:showingPlcHdr/>"
        value = "Cliquez ou appuyez ici pour entrer du texte."
    return Run(
        f'<w:sdt><w:sdtPr>{props}<w:text w:multiLine="1"/></w:sdtPr><w:sdtContent>'
        f"{text(value).xml}</w:sdtContent></w:sdt>"
    )


def sdt_box(checked: bool) -> Run:
    """A content-control checkbox (w14:checkbox) showing ☒ or ☐."""
    glyph = "☒" if checked else "☐"
    return Run(
        f'<w:sdt><w:sdtPr><w14:checkbox><w14:checked w14:val="{int(checked)}"/>'
        '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
        '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox></w:sdtPr>'
        f"<w:sdtContent>{text(glyph, font='DejaVu Sans').xml}</w:sdtContent></w:sdt>"
    )


def _para(p: Para) -> str:
    props = ""
    if p.shade:
        props += f'<w:shd w:val="clear" w:color="auto" w:fill="{p.shade}"/>'
    if p.align:
        props += f'<w:jc w:val="{p.align}"/>'
    return f"<w:p><w:pPr>{props}</w:pPr>{''.join(r.xml for r in p.runs)}</w:p>"


def _table(t: Table) -> str:
    line = '<w:{0} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    borders = (
        "".join(
            line.format(side) for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
        if t.borders
        else ""
    )
    rows = []
    for row in t.rows:
        cells = []
        for c in row:
            props = f'<w:tcW w:w="{c.width}" w:type="dxa"/>'
            if c.span > 1:
                props += f'<w:gridSpan w:val="{c.span}"/>'
            if c.shade:
                props += f'<w:shd w:val="clear" w:color="auto" w:fill="{c.shade}"/>'
            body = "".join(_para(p) for p in c.paras) or "<w:p/>"
            cells.append(f"<w:tc><w:tcPr>{props}</w:tcPr>{body}</w:tc>")
        rows.append(f"<w:tr>{''.join(cells)}</w:tr>")
    columns = max(sum(c.span for c in row) for row in t.rows)
    widths = next((row for row in t.rows if len(row) == columns), t.rows[0])
    grid = "".join(f'<w:gridCol w:w="{c.width}"/>' for c in widths)
    return (
        f'<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:tblBorders>{borders}'
        f"</w:tblBorders></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"
        "<w:p/>"
    )


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def save(doc: Doc) -> bytes:
    body = "".join(_para(b) if isinstance(b, Para) else _table(b) for b in doc.blocks)
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {NS}><w:body>'
        f'{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1000" '
        'w:right="1000" w:bottom="1000" w:left="1000" w:header="500" w:footer="500" '
        'w:gutter="0"/></w:sectPr></w:body></w:document>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        # A fixed date keeps the bytes the same from one build to the next.
        for name, data in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _RELS),
            ("word/document.xml", xml),
        ):
            z.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data)
    return out.getvalue()
