"""PDF reader: text exported from Word/LibreOffice, fillable forms, and scans.

pdfplumber gives the words with their positions and the ruled tables; pypdf
gives the AcroForm fields. A filled field becomes a word at its place on the
page, so a form reads like the same form printed and filled: the label beside
or above it is found by the same layout rules as for text. A page with no text
but images is a scan.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pdfplumber
import pypdf
from pdfminer.pdfparser import PDFSyntaxError
from pypdf.errors import PyPdfError

from config.errors import RejectedFile
from config.settings import ExtractionLimits
from parsers.model import CHECKED, UNCHECKED, Document, FormField, Line

# Words further apart than this on one line belong to different cells (points).
CELL_GAP = 14.0
LINE_TOLERANCE = 4.0


@dataclass
class _Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    widget: bool = False
    bold: bool = False


def read_pdf(data: bytes, limits: ExtractionLimits, where: str = "pdf") -> Document:
    widgets = _form_widgets(data, where)
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except (PDFSyntaxError, PyPdfError, ValueError, KeyError, TypeError) as err:
        raise RejectedFile(f"{where}: not a readable PDF ({err})") from err
    except Exception as err:  # pdfminer raises many unrelated types on broken files
        _reraise_exhaustion(err)
        raise RejectedFile(f"{where}: not a readable PDF ({type(err).__name__})") from err
    with pdf:
        if len(pdf.pages) > limits.max_pages:
            raise RejectedFile(f"{where}: {len(pdf.pages)} pages (limit {limits.max_pages})")
        doc = Document(method="pdf-form" if widgets else "pdf-text")
        images = 0
        text_words = 0
        for number, page in enumerate(pdf.pages):
            page_widgets = [w for w in widgets if w[0] == number]
            # An empty text field is only a box: nothing to place on the page.
            fields = [_widget_word(w, page.height) for w in page_widgets if w[2] != ""]
            try:
                strokes = [*page.lines, *page.curves]
                words = [_Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"],
                               bold="bold" in w["fontname"].lower())
                         for w in page.extract_words(keep_blank_chars=False, use_text_flow=False,
                                                     extra_attrs=["fontname"])
                         if not _struck(w, page.lines)]
                drawn = _drawn_boxes(page.rects, strokes, fields)
                # A one-cell "table" is a frame around some text, not a table.
                tables = [t for t in _without_field_borders(page, fields + drawn).find_tables()
                          if len(t.cells) > 1]
                images += len(page.images)
            except Exception as err:  # a broken content stream: say which page
                _reraise_exhaustion(err)
                raise RejectedFile(f"{where}: page {number + 1} unreadable "
                                   f"({type(err).__name__})") from err
            text_words += len(words)
            words.extend(drawn)
            words.extend(fields)
            doc.fields.extend(FormField(name, value) for _, name, value, _ in page_widgets)
            doc.lines.extend(_layout(words, tables))
        if text_words == 0 and not widgets:
            doc.scanned = images > 0
            doc.method = "pdf-scan" if doc.scanned else "pdf-empty"
            if not doc.scanned:
                doc.warnings.append("pdf: no text, no image and no form field in this file")
        return doc


def _reraise_exhaustion(err: BaseException) -> None:
    """pdfminer wraps MemoryError and RecursionError in its own type: let the sandbox see them."""
    seen: BaseException | None = err
    for _ in range(8):
        if seen is None:
            return
        if isinstance(seen, (MemoryError, RecursionError)):
            raise seen
        wrapped = next((a for a in getattr(seen, "args", ()) if isinstance(a, BaseException)), None)
        seen = seen.__cause__ or seen.__context__ or wrapped


def _without_field_borders(page: Any, fields: list[_Word]) -> Any:
    """The page without the boxes form tools draw around their fields: stacked field
    borders would otherwise look like a ruled table to the table finder."""
    if not fields:
        return page

    # LibreOffice frames a checkbox a few points wider than the widget itself.
    margins = [max(3.0, 0.6 * min(f.x1 - f.x0, f.bottom - f.top)) for f in fields]

    def keep(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") not in ("rect", "line", "curve"):
            return True
        return not any(obj["x0"] >= f.x0 - m and obj["x1"] <= f.x1 + m
                       and obj["top"] >= f.top - m and obj["bottom"] <= f.bottom + m
                       for f, m in zip(fields, margins))

    return page.filter(keep)


# A checkbox drawn as a graphic: a square this size (points), as Word and LibreOffice
# export their form checkboxes.
BOX_SIZE = (5.0, 20.0)
MAX_BOXES = 400


def _drawn_boxes(rects: list[dict[str, Any]], strokes: list[dict[str, Any]],
                 widgets: list[_Word]) -> list[_Word]:
    """Checkboxes drawn as squares, as glyph words where they stand: ticked when a
    stroke crosses inside (an X, a check mark) or a filled square sits in it. A square
    under a form field is that field's own drawing: the field says its state."""
    low, high = BOX_SIZE
    squares = [r for r in rects if low <= r["width"] <= high and low <= r["height"] <= high
               and abs(r["width"] - r["height"]) <= 0.25 * r["width"]]
    if len(squares) > MAX_BOXES:
        # A page of hundreds of little squares is a pattern, not a form (and comparing
        # them all would take a hostile file's time).
        return []
    # Only the strokes small enough to sit inside a box can tick one.
    strokes = [s for s in strokes
               if s["x1"] - s["x0"] <= high + 2 and s["bottom"] - s["top"] <= high + 2]

    def inside(obj: dict[str, Any], box: dict[str, Any], margin: float = 1.0) -> bool:
        return obj is not box and obj["x0"] >= box["x0"] - margin and \
            obj["x1"] <= box["x1"] + margin and obj["top"] >= box["top"] - margin and \
            obj["bottom"] <= box["bottom"] + margin

    boxes = []
    for box in squares:
        # A smaller square inside another is the other's fill mark, not a box of its own.
        if any(inside(box, other, 0.5) and other["width"] > box["width"] for other in squares):
            continue
        if any(w.x0 < box["x1"] and box["x0"] < w.x1 and w.top < box["bottom"]
               and box["top"] < w.bottom for w in widgets):
            continue
        crossing = [s for s in strokes if inside(s, box)
                    and s["x1"] - s["x0"] > 0.3 * box["width"]
                    and s["bottom"] - s["top"] > 0.3 * box["height"]]
        filled = [r for r in squares if inside(r, box, 0.5) and r.get("fill")
                  and _dark(r.get("non_stroking_color"))]
        ticked = bool(crossing or filled or (box.get("fill") and _dark(
            box.get("non_stroking_color"))))
        boxes.append(_Word(CHECKED if ticked else UNCHECKED, box["x0"], box["x1"],
                           box["top"], box["bottom"]))
    return boxes


def _dark(colour: Any) -> bool:
    """A fill colour that marks (not white, not a pale shading)."""
    if colour is None:
        return True
    values = list(colour) if isinstance(colour, (list, tuple)) else [colour]
    if len(values) == 4:  # CMYK: dark when it carries ink
        return sum(float(v) for v in values) > 1.2
    return bool(values) and sum(float(v) for v in values) / len(values) < 0.5


def _struck(word: dict[str, Any], lines: list[dict[str, Any]]) -> bool:
    """A word crossed out by a horizontal line through its middle: "OUI / N̶O̶N̶" as a
    person answers "rayer la mention inutile"; an underline sits below the middle."""
    height = word["bottom"] - word["top"]
    width = word["x1"] - word["x0"]
    for line in lines:
        if abs(line["bottom"] - line["top"]) > 1.0:
            continue
        y = (line["top"] + line["bottom"]) / 2
        covered = min(line["x1"], word["x1"]) - max(line["x0"], word["x0"])
        if word["top"] + 0.3 * height <= y <= word["bottom"] - 0.25 * height \
                and covered >= 0.8 * width and line["x1"] - line["x0"] < 3 * width + 10:
            return True
    return False


def _layout(words: list[_Word], tables: list[Any]) -> list[Line]:
    """Table rows and free lines of one page, top to bottom."""
    placed: list[tuple[float, Line]] = []
    free = []
    boxes = [t.bbox for t in tables]
    for word in words:
        cx, cy = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
        if not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes):
            free.append(word)
    for table in tables:
        for row in table.rows:
            cells = []
            for bbox in row.cells:
                if bbox is None:
                    continue
                x0, top, x1, bottom = bbox
                inside = [w for w in words if x0 <= (w.x0 + w.x1) / 2 <= x1
                          and top <= (w.top + w.bottom) / 2 <= bottom]
                cells.append("\n".join(_join_line(line) for line in _lines(inside)))
            if cells:
                placed.append((row.bbox[1], Line(cells)))
    for line in _lines(free):
        printed = [w for w in line if not w.widget]
        bold = bool(printed) and all(w.bold for w in printed)
        placed.append((min(w.top for w in line),
                       Line([_join_line(line, tabs=True)], emphasis=bold)))
    placed.sort(key=lambda item: item[0])
    return [line for _, line in placed]


def _lines(words: list[_Word]) -> list[list[_Word]]:
    """Words grouped into lines by their vertical centre; then each form field joins the
    text line it overlaps most, since form tools draw fields a little off the baseline."""
    lines: list[list[_Word]] = []
    centre = 0.0
    for word in sorted((w for w in words if not w.widget),
                       key=lambda w: ((w.top + w.bottom) / 2, w.x0)):
        mid = (word.top + word.bottom) / 2
        if lines and abs(mid - centre) <= LINE_TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
            centre = mid
    spans = [(min(w.top for w in line), max(w.bottom for w in line)) for line in lines]
    for widget in (w for w in words if w.widget):
        overlaps = [min(bottom, widget.bottom) - max(top, widget.top) for top, bottom in spans]
        best = max(range(len(lines)), key=lambda i: overlaps[i], default=None)
        # A tall field (a multi-line box under its label) overlaps nothing: a line of its own.
        if best is not None and overlaps[best] > 0.3 * (spans[best][1] - spans[best][0]):
            lines[best].append(widget)
        else:
            lines.append([widget])
            spans.append((widget.top, widget.bottom))
    order = sorted(range(len(lines)), key=lambda i: (spans[i][0] + spans[i][1]) / 2)
    return [sorted(lines[i], key=lambda w: w.x0) for i in order]


def _join_line(line: list[_Word], tabs: bool = False) -> str:
    out = [line[0].text]
    for prev, word in zip(line, line[1:]):
        gap = word.x0 - prev.x1
        out.append("\t" if tabs and gap > CELL_GAP else " ")
        out.append(word.text)
    return "".join(out)


def _widget_word(widget: tuple[int, str, str | bool, tuple[float, ...]], height: float) -> _Word:
    _, _, value, (x0, y0, x1, y1) = widget
    text = (CHECKED if value else UNCHECKED) if isinstance(value, bool) else str(value)
    # PDF space has its origin at the bottom left; pdfplumber's at the top left.
    return _Word(" ".join(text.split()), x0, x1, height - y1, height - y0, widget=True)


def _form_widgets(data: bytes, where: str) -> list[tuple[int, str, str | bool, tuple[float, ...]]]:
    """(page index, full field name, value, rect) of each filled or empty form widget."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as err:
                raise RejectedFile(f"{where}: encrypted PDF") from err
        root = reader.trailer["/Root"].get_object()
        if not isinstance(root, pypdf.generic.DictionaryObject) or "/AcroForm" not in root:
            return []
        widgets = []
        for number, page in enumerate(reader.pages):
            for ref in page.get("/Annots") or []:
                annot = ref.get_object()
                if annot.get("/Subtype") != "/Widget":
                    continue
                found = _widget(annot)
                if found:
                    name, value = found
                    rect = tuple(float(v) for v in annot.get("/Rect", (0, 0, 0, 0)))
                    widgets.append((number, name, value, rect))
        return widgets
    except RejectedFile:
        raise
    except Exception as err:  # pypdf raises a zoo of types on malformed objects
        _reraise_exhaustion(err)
        raise RejectedFile(f"{where}: unreadable PDF structure ({type(err).__name__})") from err


def _inherited(annot: Any, key: str) -> Any:
    node, depth = annot, 0
    while node is not None and depth < 32:
        if key in node:
            return node[key]
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
        depth += 1
    return None


def _widget(annot: Any) -> tuple[str, str | bool] | None:
    names: list[str] = []
    node, depth = annot, 0
    while node is not None and depth < 32:
        if "/T" in node:
            names.append(str(node["/T"]))
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
        depth += 1
    name = ".".join(reversed(names))
    kind = _inherited(annot, "/FT")
    if kind == "/Btn":
        state = annot.get("/AS")
        if state is None:
            state = _inherited(annot, "/V")
        checked = state is not None and str(state) != "/Off"
        if int(_inherited(annot, "/Ff") or 0) & (1 << 15):
            # A radio button: its on-state names the option ("urgence" + "oui").
            name = f"{name}.{_on_state(annot)}"
        return name, checked
    if kind in ("/Tx", "/Ch"):
        value = _inherited(annot, "/V")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        return name, "" if value is None else str(value)
    return None


def _on_state(annot: Any) -> str:
    appearances = annot.get("/AP", {}).get("/N", {})
    for key in getattr(appearances, "keys", lambda: [])():
        if key != "/Off":
            return str(key).lstrip("/")
    return ""
