"""The circonscription's own fiche de demande, as DOCX, ODT or fillable PDF.

One layout (`LAYOUT`, from `parsers.fields`) drives the three writers. Every field carries its key:
content controls are tagged with it, PDF fields are named after it, so a fiche
filled in on this form is read exactly. `values` fills it in (for previews and
for building test corpora).
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from parsers.fields import MOTIFS, SECTIONS, Field, Kind, fields_in

# The fiche's parts, from the one table of fields: the motifs' part is drawn as boxes,
# "autre" with its text inline; every other field is a row of label and value.
LAYOUT: tuple[tuple[str, tuple[Field, ...]], ...] = tuple(
    (section.title, () if section.key == "motifs" else fields_in(section))
    for section in SECTIONS)

TITLE = "Fiche de demande d'intervention du pôle ressource de circonscription"
NOTICE = ("À retourner par courriel à la circonscription au plus tard six jours avant la réunion "
          "du pôle ressource. Une demande urgente est traitée sans attendre.")
PLACEHOLDER = "Cliquez ou appuyez ici pour entrer du texte."


def heading_for(name: str, address: str, deadline_days: int) -> tuple[str, str]:
    """The title and notice of a circonscription's own fiche: its name, where to send the
    fiche, and its deadline rule."""
    days = "1 jour" if deadline_days == 1 else f"{deadline_days} jours"
    return (f"Fiche de demande d'intervention du pôle ressource – {name}",
            f"À retourner par courriel à {address} au plus tard {days} avant la réunion du pôle "
            "ressource. Une demande urgente est traitée sans attendre.")


def write_fiche(fmt: str, values: dict[str, Any] | None = None,
                heading: tuple[str, str] = (TITLE, NOTICE)) -> bytes:
    writers = {"docx": _docx, "odt": _odt, "pdf": _pdf}
    return writers[fmt](values or {}, *heading)


def _text(values: dict[str, Any], key: str) -> str:
    value = values.get(key)
    return "" if value is None or isinstance(value, bool) else str(value)


def _ticked(values: dict[str, Any], key: str, option: str) -> bool:
    value = values.get(key)
    if key == "motifs":
        return option in (value or [])
    return value is (option == "oui") if isinstance(value, bool) else False


# --- DOCX -------------------------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
_NS = f'xmlns:w="{_W}" xmlns:w14="{_W14}"'


def _sdt_text(key: str, label: str, value: str, multiline: bool) -> str:
    shown = escape(value) if value else PLACEHOLDER
    placeholder = "" if value else "<w:showingPlcHdr/>"
    style = "" if value else '<w:rPr><w:color w:val="808080"/></w:rPr>'
    multi = ' w:multiLine="1"' if multiline else ""
    return (f'<w:sdt {_NS}><w:sdtPr><w:alias w:val="{escape(label)}"/><w:tag w:val="{key}"/>'
            f'{placeholder}<w:text{multi}/></w:sdtPr><w:sdtContent><w:r>{style}'
            f'<w:t xml:space="preserve">{shown}</w:t></w:r></w:sdtContent></w:sdt>')


def _sdt_box(tag: str, checked: bool) -> str:
    glyph = "☒" if checked else "☐"
    return (f'<w:sdt {_NS}><w:sdtPr><w:tag w:val="{tag}"/><w14:checkbox>'
            f'<w14:checked w14:val="{int(checked)}"/>'
            '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
            '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox></w:sdtPr>'
            '<w:sdtContent><w:r><w:rPr><w:rFonts w:ascii="MS Gothic" w:hAnsi="MS Gothic" '
            f'w:eastAsia="MS Gothic"/></w:rPr><w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>')


def _docx(values: dict[str, Any], title: str, notice: str) -> bytes:
    import docx
    from docx.oxml import parse_xml
    from docx.shared import Pt

    document = docx.Document()
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(10)
    document.add_heading(title, level=1)
    document.add_paragraph(notice)
    for title, fields in LAYOUT:
        document.add_heading(title, level=2)
        if not fields:
            for code, label in ((m.code, m.wording) for m in MOTIFS):
                p = document.add_paragraph()
                p._p.append(parse_xml(_sdt_box(f"motifs_{code}", _ticked(values, "motifs", code))))
                p.add_run(" " + label)
                if code == "autre":
                    p.add_run(" : ")
                    p._p.append(parse_xml(_sdt_text("motif_autre", "Autre motif",
                                                    _text(values, "motif_autre"), False)))
            continue
        table = document.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for f in fields:
            label_cell, value_cell = table.add_row().cells
            label_cell.text = f.label
            p = value_cell.paragraphs[0]
            if f.kind == Kind.BOOL:
                for option in ("oui", "non"):
                    p._p.append(parse_xml(_sdt_box(f"{f.key}_{option}",
                                                   _ticked(values, f.key, option))))
                    p.add_run(f" {option.capitalize()}   ")
            else:
                p._p.append(parse_xml(_sdt_text(f.key, f.label, _text(values, f.key),
                                                f.kind == Kind.LONG)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- ODT --------------------------------------------------------------------

def _odt(values: dict[str, Any], title: str, notice: str) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TableCellProperties, TextProperties
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, P

    doc = OpenDocumentText()
    cell_style = Style(name="cell", family="table-cell")
    cell_style.addElement(TableCellProperties(border="0.5pt solid #000000", padding="0.1cm"))
    bold = Style(name="label", family="paragraph")
    bold.addElement(TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(cell_style)
    doc.automaticstyles.addElement(bold)
    doc.text.addElement(H(outlinelevel=1, text=title))
    doc.text.addElement(P(text=notice))
    leaders = "……………………………………"
    for title, fields in LAYOUT:
        doc.text.addElement(H(outlinelevel=2, text=title))
        if not fields:
            for code, label in ((m.code, m.wording) for m in MOTIFS):
                box = "☒" if _ticked(values, "motifs", code) else "☐"
                extra = f" : {_text(values, 'motif_autre') or leaders}" if code == "autre" else ""
                doc.text.addElement(P(text=f"{box} {label}{extra}"))
            continue
        table = Table(name=title[:2].strip(". "))
        table.addElement(TableColumn(numbercolumnsrepeated=2))
        for f in fields:
            row = TableRow()
            label = TableCell(stylename=cell_style)
            label.addElement(P(stylename=bold, text=f.label))
            value = TableCell(stylename=cell_style)
            if f.kind == Kind.BOOL:
                text = "   ".join(("☒" if _ticked(values, f.key, o) else "☐") + " " + o.capitalize()
                                  for o in ("oui", "non"))
            else:
                text = _text(values, f.key) or leaders
            value.addElement(P(text=text))
            row.addElement(label)
            row.addElement(value)
            table.addElement(row)
        doc.text.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


# --- PDF (AcroForm) -----------------------------------------------------------

def _pdf(values: dict[str, Any], title: str, notice: str) -> bytes:
    from reportlab.lib.colors import black, white
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font, bold = pdf_fonts(pdfmetrics, TTFont)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setTitle(title)
    width, height = A4
    margin = 40
    y = height - 50

    def need(space: float) -> None:
        nonlocal y
        if y - space < 50:
            c.showPage()
            y = height - 50

    c.setFont(bold, 13)
    for line in simpleSplit(title, bold, 13, width - 2 * margin):
        c.drawString(margin, y, line)
        y -= 18
    c.setFont(font, 8.5)
    for line in simpleSplit(notice, font, 8.5, width - 2 * margin):
        c.drawString(margin, y, line)
        y -= 11
    y -= 13
    form = c.acroForm
    # White fields with black borders: the fiche is often printed and filled by hand.
    style = {"fillColor": white, "borderColor": black, "textColor": black}
    for title, fields in LAYOUT:
        need(40)
        c.setFont(bold, 11)
        c.drawString(margin, y, title)
        y -= 18
        c.setFont(font, 9)
        if not fields:
            for code, label in ((m.code, m.wording) for m in MOTIFS):
                need(18)
                form.checkbox(name=f"motifs_{code}", x=margin, y=y - 3, size=11,
                              checked=_ticked(values, "motifs", code), buttonStyle="cross",
                              borderWidth=0.8, **style)
                c.drawString(margin + 16, y, label)
                if code == "autre":
                    form.textfield(name="motif_autre", value=_text(values, "motif_autre"),
                                   x=margin + 120, y=y - 4, width=width - 2 * margin - 120,
                                   height=14, fontName="Helvetica", fontSize=9,
                                   borderWidth=0.5, **style)
                y -= 17
            y -= 6
            continue
        for f in fields:
            if f.kind == Kind.BOOL:
                need(18)
                c.drawString(margin, y, f.label)
                for i, option in enumerate(("oui", "non")):
                    x = margin + 190 + i * 60
                    form.checkbox(name=f"{f.key}_{option}", x=x, y=y - 3, size=11,
                                  checked=_ticked(values, f.key, option), buttonStyle="cross",
                                  borderWidth=0.8, **style)
                    c.drawString(x + 15, y, option.capitalize())
                y -= 18
            elif f.kind == Kind.LONG:
                need(62)
                c.drawString(margin, y, f.label)
                form.textfield(name=f.key, value=_text(values, f.key), x=margin, y=y - 50,
                               width=width - 2 * margin, height=44, fontName="Helvetica",
                               fontSize=9, borderWidth=0.5, fieldFlags="multiline", **style)
                y -= 62
            else:
                need(20)
                c.drawString(margin, y, f.label)
                form.textfield(name=f.key, value=_text(values, f.key), x=margin + 190, y=y - 4,
                               width=width - 2 * margin - 190, height=15, fontName="Helvetica",
                               fontSize=9, borderWidth=0.5, **style)
                y -= 20
        y -= 6
    c.save()
    return out.getvalue()


def pdf_fonts(pdfmetrics: Any, ttfont: Any) -> tuple[str, str]:
    """DejaVu for the accents when it is installed, else the PDF base fonts."""
    from pathlib import Path

    base = Path("/usr/share/fonts/truetype/dejavu")
    regular, heavy = base / "DejaVuSans.ttf", base / "DejaVuSans-Bold.ttf"
    if regular.exists() and heavy.exists():
        pdfmetrics.registerFont(ttfont("DejaVu", str(regular)))
        pdfmetrics.registerFont(ttfont("DejaVu-Bold", str(heavy)))
        return "DejaVu", "DejaVu-Bold"
    return "Helvetica", "Helvetica-Bold"
