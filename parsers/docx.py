"""DOCX reader: Word's body in reading order, with every kind of form field.

python-docx opens the package; we walk its XML ourselves because its API does
not expose content controls, legacy form fields or symbol-font checkboxes,
and the fiches use all of them. Checkbox states become ☒/☐ in the text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import docx
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from config.errors import RejectedFile
from config.settings import ExtractionLimits
from parsers import labels
from parsers.model import CHECKED, UNCHECKED, Document, FormField, Line
from parsers.safety import open_zip

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"

_SKIP = {W + "pPr", W + "rPr", W + "del", W + "delText", W + "instrText", W + "sdtPr",
         W + "sdtEndPr", W + "commentReference", W + "footnoteReference", MC + "Fallback",
         W + "moveFrom", W + "proofErr", W + "bookmarkStart", W + "bookmarkEnd"}  # fmt: skip
# Older fiches draw boxes with a symbol font: these characters are boxes there.
_SYMBOL_FONT_CHARS = {"þ": CHECKED, "ý": CHECKED, "x": CHECKED, "ü": CHECKED, "¨": UNCHECKED,
                      "o": UNCHECKED, "q": UNCHECKED, "\uf0fe": CHECKED, "\uf0a8": UNCHECKED}


@dataclass
class _Inline:
    """Collects one paragraph's text, following legacy fields across runs."""

    pieces: list[str] = field(default_factory=list)
    fields: list[FormField] = field(default_factory=list)
    in_code: bool = False
    field_name: str | None = None
    result_start: int | None = None


def read_docx(data: bytes, limits: ExtractionLimits, where: str = "docx") -> Document:
    open_zip(data, limits, where)
    try:
        body = docx.Document(io.BytesIO(data)).element.body
    except (PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError) as err:
        raise RejectedFile(f"{where}: not a readable Word document ({err})") from err
    doc = Document(method="docx")
    _block(body, doc)
    has_tables = any(len(line.cells) > 1 for line in doc.lines)
    has_controls = bool(doc.fields)
    doc.method = "docx-form" if has_controls else "docx-table" if has_tables else "docx-text"
    return doc


def _block(parent: etree._Element, doc: Document) -> None:
    for child in parent:
        tag = child.tag
        if tag == W + "p":
            inline = _Inline()
            _inline(child, inline)
            doc.lines.append(Line(["".join(inline.pieces)], emphasis=_bold(child)))
            doc.fields.extend(inline.fields)
        elif tag == W + "tbl":
            _table(child, doc)
        elif tag == W + "sdt":
            content = child.find(W + "sdtContent")
            if content is None:
                continue
            name = _sdt_name(child)
            if _is_placeholder(child):
                continue
            before = len(doc.lines)
            _block(content, doc)
            if name:
                text = "\n".join(" ".join(line.cells) for line in doc.lines[before:])
                doc.fields.append(FormField(name, text))
        elif tag in (W + "customXml", W + "ins", W + "smartTag"):
            _block(child, doc)


def _table(tbl: etree._Element, doc: Document) -> None:
    for tr in _children(tbl, W + "tr"):
        cells: list[str] = []
        for tc in _children(tr, W + "tc"):
            sub = Document(method="cell")
            _block(tc, sub)
            doc.fields.extend(sub.fields)
            # A nested table comes back as rows: keep its cells apart with tabs.
            cells.append("\n".join("\t".join(line.cells) for line in sub.lines))
        doc.lines.append(Line(cells))


def _children(parent: etree._Element, tag: str) -> list[etree._Element]:
    """Rows or cells, also when wrapped in a content control or a tracked insertion."""
    found: list[etree._Element] = []
    for child in parent:
        if child.tag == tag:
            found.append(child)
        elif child.tag in (W + "sdt", W + "customXml", W + "ins"):
            inner = child.find(W + "sdtContent") if child.tag == W + "sdt" else child
            if inner is not None:
                found.extend(_children(inner, tag))
    return found


def _sdt_name(sdt: etree._Element) -> str | None:
    pr = sdt.find(W + "sdtPr")
    if pr is None:
        return None
    for tag in (W + "tag", W + "alias"):
        el = pr.find(tag)
        if el is not None and el.get(W + "val"):
            return el.get(W + "val")
    return None


def _is_placeholder(sdt: etree._Element) -> bool:
    pr = sdt.find(W + "sdtPr")
    return pr is not None and pr.find(W + "showingPlcHdr") is not None \
        and pr.find(W14 + "checkbox") is None


def _inline(parent: etree._Element, st: _Inline) -> None:
    for child in parent:
        tag = child.tag
        if tag in _SKIP:
            continue
        if tag == W + "t":
            if not st.in_code:
                st.pieces.append(child.text or "")
        elif tag == W + "tab":
            st.pieces.append("\t")
        elif tag in (W + "br", W + "cr"):
            st.pieces.append("\n")
        elif tag == W + "sym":
            st.pieces.append(_symbol(child))
        elif tag == W + "r":
            _run(child, st)
        elif tag == W + "fldChar":
            _field_char(child, st)
        elif tag == W + "sdt":
            _inline_sdt(child, st)
        elif tag == W + "p":
            # A paragraph inside a text box: keep it on a line of its own.
            st.pieces.append("\n")
            _inline(child, st)
            st.pieces.append("\n")
        else:
            _inline(child, st)


def _on(prop: etree._Element | None) -> bool:
    return prop is not None and prop.get(W + "val", "true") not in ("0", "false", "off")


def _bold(paragraph: etree._Element) -> bool:
    """Every run with text in bold, or a heading style: the paragraph stands out."""
    style = paragraph.find(f"{W}pPr/{W}pStyle")
    if style is not None and (style.get(W + "val") or "").lower().startswith(("heading", "titre")):
        return True
    runs = [r for r in paragraph.iter(W + "r")
            if "".join(t.text or "" for t in r.iter(W + "t")).strip()]
    return bool(runs) and all(_on(r.find(f"{W}rPr/{W}b")) for r in runs)


def _struck(run: etree._Element) -> bool:
    """"Oui / Non (rayer la mention inutile)": a struck-through answer is a crossed-out one."""
    for tag in (W + "strike", W + "dstrike"):
        el = run.find(f"{W}rPr/{tag}")
        if el is not None and el.get(W + "val", "true") not in ("0", "false", "off"):
            return True
    return False


def _run(run: etree._Element, st: _Inline) -> None:
    if _struck(run):
        return
    fonts = run.find(f"{W}rPr/{W}rFonts")
    font = (fonts.get(W + "ascii") or fonts.get(W + "hAnsi") or "") if fonts is not None else ""
    if font.lower().startswith("wingdings"):
        text = "".join(t.text or "" for t in run.iter(W + "t"))
        if text and all(ch in _SYMBOL_FONT_CHARS for ch in text.strip()):
            st.pieces.append("".join(_SYMBOL_FONT_CHARS.get(ch, " ") for ch in text) + " ")
            return
    _inline(run, st)


def _symbol(sym: etree._Element) -> str:
    char = (sym.get(W + "char") or "").upper()
    if char in labels.SYMBOL_CHECKED:
        return CHECKED + " "
    if char in labels.SYMBOL_UNCHECKED:
        return UNCHECKED + " "
    return " "


def _field_char(fld: etree._Element, st: _Inline) -> None:
    kind = fld.get(W + "fldCharType")
    if kind == "begin":
        st.in_code = True
        ff = fld.find(W + "ffData")
        st.field_name = None
        st.result_start = None
        if ff is None:
            return
        name_el = ff.find(W + "name")
        name = name_el.get(W + "val") if name_el is not None else ""
        box = ff.find(W + "checkBox")
        if box is not None:
            checked = box.find(W + "checked")
            if checked is None:
                checked = box.find(W + "default")
            state = checked is not None and checked.get(W + "val", "1") not in ("0", "false")
            st.pieces.append((CHECKED if state else UNCHECKED) + " ")
            st.fields.append(FormField(name or "", state))
        else:
            st.field_name = name or ""
    elif kind == "separate":
        st.in_code = False
        st.result_start = len(st.pieces)
    elif kind == "end":
        st.in_code = False
        if st.field_name is not None and st.result_start is not None:
            st.fields.append(FormField(st.field_name, "".join(st.pieces[st.result_start:])))
        st.field_name = None
        st.result_start = None


def _inline_sdt(sdt: etree._Element, st: _Inline) -> None:
    pr = sdt.find(W + "sdtPr")
    name = _sdt_name(sdt) or ""
    box = pr.find(W14 + "checkbox") if pr is not None else None
    if box is not None:
        checked = box.find(W14 + "checked")
        state = checked is not None and checked.get(W14 + "val") in ("1", "true")
        st.pieces.append((CHECKED if state else UNCHECKED) + " ")
        st.fields.append(FormField(name, state))
        return
    content = sdt.find(W + "sdtContent")
    if content is None or _is_placeholder(sdt):
        st.fields.append(FormField(name, None))
        return
    start = len(st.pieces)
    _inline(content, st)
    st.fields.append(FormField(name, "".join(st.pieces[start:])))
