"""ODT reader: LibreOffice's own format, read from content.xml in reading order.

Form controls (checkboxes and text boxes drawn with LibreOffice's form tools)
live apart from the text, in office:forms; we look them up by id so their
state lands where the control stands.
"""

from __future__ import annotations

from lxml import etree

from config.errors import RejectedFile
from config.settings import ExtractionLimits
from parsers.model import CHECKED, UNCHECKED, Document, FormField, Line
from parsers.safety import open_zip, parse_xml, read_entry

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
FORM = "{urn:oasis:names:tc:opendocument:xmlns:form:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
FO = "{urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"
# Word's legacy checkboxes as LibreOffice keeps them (a .doc or .docx saved as ODT).
FIELD = "{urn:openoffice:names:experimental:ooo-ms-interop:xmlns:field:1.0}"

_SKIP = {TEXT + "tracked-changes", TEXT + "note", OFFICE + "annotation", OFFICE + "forms",
         TEXT + "sequence-decls", TEXT + "variable-decls", TEXT + "user-field-decls",
         TABLE + "table-header-columns", TABLE + "table-columns", TABLE + "table-column"}
_BLOCKS = {TEXT + "section", TEXT + "list", TEXT + "list-item", TEXT + "list-header",
           DRAW + "frame", DRAW + "text-box", TEXT + "index-body", OFFICE + "text"}


def read_odt(data: bytes, limits: ExtractionLimits, where: str = "odt") -> Document:
    archive = open_zip(data, limits, where)
    mimetype = read_entry(archive, "mimetype", where) if "mimetype" in archive.namelist() else b""
    if mimetype and not mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
        raise RejectedFile(f"{where}: an OpenDocument file, but not a text document ({mimetype!r})")
    root = parse_xml(read_entry(archive, "content.xml", where), f"{where}:content.xml")
    body = root.find(f"{OFFICE}body/{OFFICE}text")
    if body is None:
        raise RejectedFile(f"{where}: content.xml has no text body")
    reader = _Reader(_controls(body), _struck_styles(root), _bold_styles(root))
    reader.block(body)
    doc = reader.doc
    has_tables = any(len(line.cells) > 1 for line in doc.lines)
    doc.method = "odt-form" if doc.fields else "odt-table" if has_tables else "odt-text"
    return doc


def _struck_styles(root: etree._Element) -> set[str]:
    """Text styles with a line through: "Oui / Non (rayer la mention inutile)"."""
    struck = set()
    for style in root.iter(STYLE + "style"):
        props = style.find(STYLE + "text-properties")
        if props is not None and props.get(STYLE + "text-line-through-style", "none") != "none":
            struck.add(style.get(STYLE + "name"))
    return struck


def _bold_styles(root: etree._Element) -> set[str]:
    """Paragraph and text styles in bold: a label or a title standing above its text."""
    bold = set()
    for style in root.iter(STYLE + "style"):
        props = style.find(STYLE + "text-properties")
        if props is not None and props.get(FO + "font-weight") in ("bold", "700", "800", "900"):
            bold.add(style.get(STYLE + "name"))
    return bold


def _controls(body: etree._Element) -> dict[str, FormField]:
    """Form controls by id: checkboxes with their state, text boxes with their value."""
    found: dict[str, FormField] = {}
    for control in body.iter(FORM + "checkbox", FORM + "text", FORM + "textarea"):
        ident = control.get(FORM + "id") or control.get(XML_ID)
        if not ident:
            continue
        name = control.get(FORM + "name") or ""
        if control.tag == FORM + "checkbox":
            state = control.get(FORM + "current-state") or control.get(FORM + "state")
            found[ident] = FormField(name, state == "checked")
        else:
            found[ident] = FormField(
                name, control.get(FORM + "current-value") or control.get(FORM + "value") or "")
    return found


class _Reader:
    def __init__(self, controls: dict[str, FormField], struck: set[str],
                 bold: set[str]) -> None:
        self.controls = controls
        self.struck = struck
        self.bold = bold
        self.doc = Document(method="odt")

    def block(self, parent: etree._Element) -> None:
        for child in parent:
            tag = child.tag
            if tag in _SKIP:
                continue
            if tag in (TEXT + "p", TEXT + "h"):
                pieces: list[str] = []
                frames: list[etree._Element] = []
                self.inline(child, pieces, frames)
                self.doc.lines.append(Line(["".join(pieces)], emphasis=self.emphasised(child)))
                for frame in frames:
                    self.block(frame)
            elif tag == TABLE + "table":
                self.table(child)
            elif tag in _BLOCKS:
                self.block(child)

    def emphasised(self, paragraph: etree._Element) -> bool:
        """A heading, or every piece of text in a bold style (the paragraph's or a span's)."""
        if paragraph.tag == TEXT + "h":
            return True
        style = TEXT + "style-name"
        whole = paragraph.get(style) in self.bold
        if (paragraph.text or "").strip() and not whole:
            return False
        spans = [c for c in paragraph if (c.text or "").strip() or (c.tail or "").strip()]
        if not spans:
            return whole and bool((paragraph.text or "").strip())
        for child in spans:
            if (child.text or "").strip() and not (whole or child.get(style) in self.bold):
                return False
            if (child.tail or "").strip() and not whole:
                return False
        return True

    def table(self, table: etree._Element) -> None:
        for row in table.iter(TABLE + "table-row"):
            if _inner_table(row, table):
                continue
            cells: list[str] = []
            for cell in row:
                if cell.tag == TABLE + "covered-table-cell":
                    continue
                if cell.tag != TABLE + "table-cell":
                    continue
                sub = _Reader(self.controls, self.struck, self.bold)
                sub.block(cell)
                self.doc.fields.extend(sub.doc.fields)
                cells.append("\n".join("\t".join(line.cells) for line in sub.doc.lines))
            self.doc.lines.append(Line(cells))

    def inline(self, parent: etree._Element, pieces: list[str],
               frames: list[etree._Element]) -> None:
        if parent.text:
            pieces.append(parent.text)
        for child in parent:
            tag = child.tag
            if tag == TEXT + "s":
                pieces.append(" " * int(child.get(TEXT + "c", "1") or 1))
            elif tag == TEXT + "tab":
                pieces.append("\t")
            elif tag == TEXT + "line-break":
                pieces.append("\n")
            elif tag == DRAW + "control":
                control = self.controls.get(child.get(DRAW + "control") or "")
                if control is not None:
                    self.doc.fields.append(control)
                    if isinstance(control.value, bool):
                        pieces.append((CHECKED if control.value else UNCHECKED) + " ")
                    else:
                        pieces.append(str(control.value or ""))
            elif tag == DRAW + "frame":
                frames.append(child)
            elif tag in (FIELD + "fieldmark", FIELD + "fieldmark-start") \
                    and child.get(FIELD + "type", "").endswith("FORMCHECKBOX"):
                checked = any(p.get(FIELD + "name") == "Checkbox_Checked"
                              and p.get(FIELD + "value") == "true"
                              for p in child.iter(FIELD + "param"))
                pieces.append((CHECKED if checked else UNCHECKED) + " ")
            elif tag in _SKIP or child.get(TEXT + "style-name") in self.struck:
                pass  # a crossed-out answer
            else:
                self.inline(child, pieces, frames)
            if child.tail:
                pieces.append(child.tail)


def _inner_table(row: etree._Element, table: etree._Element) -> bool:
    """True when the row belongs to a table nested inside this one."""
    parent = row.getparent()
    while parent is not None and parent is not table:
        if parent.tag == TABLE + "table":
            return True
        parent = parent.getparent()
    return False
