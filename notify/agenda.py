"""The consolidated agenda (ordre du jour) of a pôle ressource meeting.

`build` turns the requests of a meeting into plain data, in the order the
meeting takes them: urgent requests first, then the others grouped by motif;
requests whose fiche still needs a person's reading are listed apart, so the
meeting sees everything. Then the same agenda is written as DOCX (editable: it
has an empty "Suite donnée" column for the IEN's notes), as PDF, and as the
text and HTML of the email that carries them.

Pupils appear by their initials unless the settings ask for full names, also where
the school wrote their names in the situation it describes.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from notify import compose
from parsers.fields import MOTIF_CODES, motif_label

SUMMARY_CHARS = 320


@dataclass
class Item:
    reference: str
    school: str
    commune: str
    classe: str
    pupil: str
    motifs: list[str]
    summary: str
    actions: str
    expectations: str
    urgent: bool
    late: bool
    needs_review: bool
    carried_over: bool

    @property
    def marks(self) -> list[str]:
        return [label for label, on in (("URGENT", self.urgent), ("en retard", self.late),
                                        ("reportée", self.carried_over),
                                        ("fiche à relire", self.needs_review)) if on]


@dataclass
class Section:
    title: str
    items: list[Item]


@dataclass
class Agenda:
    circonscription: str
    meeting: date
    deadline: date
    sections: list[Section] = field(default_factory=list)
    by_motif: list[tuple[str, int]] = field(default_factory=list)
    by_school: list[tuple[str, int]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def title(self) -> str:
        return f"Pôle ressource – ordre du jour de la réunion du {compose.date_fr(self.meeting)}"


def shorten(text: str | None, limit: int = SUMMARY_CHARS) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.") + " […]"


def pupil_name(fields: dict[str, Any], full_names: bool) -> str:
    first, last = fields.get("eleve_prenom") or "", fields.get("eleve_nom") or ""
    if full_names:
        return f"{first} {last}".strip() or "?"
    initials = [f"{part[0].upper()}." for name in (first, last)
                for part in name.replace("-", " ").split() if part]
    return " ".join(initials) or "?"


def redact(text: str, fields: dict[str, Any]) -> str:
    """The pupil's names, where the school wrote them in its text, become initials."""
    for key in ("eleve_prenom", "eleve_nom"):
        for part in (fields.get(key) or "").replace("-", " ").split():
            if len(part) > 1:
                text = re.sub(rf"\b{re.escape(part)}\b", f"{part[0].upper()}.", text,
                              flags=re.IGNORECASE)
    return text


def item_of(request: Any, meeting: date, full_names: bool) -> Item:
    """`request`: a storage Request (read, never changed)."""
    f = request.fields
    hide = (lambda text: text) if full_names else (lambda text: redact(text, f))
    motifs = [motif_label(m) for m in f.get("motifs") or []]
    if f.get("motif_autre"):
        motifs.append(f"précision : {f['motif_autre']}")
    actions = "; ".join(x for x in (f.get("actions_menees"),
                                    f.get("partenaires") and f"partenaires : {f['partenaires']}")
                        if x)
    return Item(reference=request.reference, school=request.school_name or "école non lue",
                commune=request.school_commune or "", classe=f.get("classe")
                or f.get("eleve_niveau") or "", pupil=pupil_name(f, full_names),
                motifs=motifs or ["motif non lu"], summary=hide(shorten(f.get("situation"))),
                actions=hide(shorten(actions, 200)),
                expectations=hide(shorten(f.get("attentes"), 200)),
                urgent=request.urgent, late=request.late, needs_review=request.needs_review,
                carried_over=bool(request.meeting_date and request.meeting_date < meeting))


def build(requests: list[Any], meeting: date, deadline: date, circonscription: str,
          full_names: bool = False) -> Agenda:
    requests = sorted(requests, key=lambda r: r.created_at)
    agenda = Agenda(circonscription, meeting, deadline)
    urgent = [item_of(r, meeting, full_names) for r in requests if r.urgent]
    if urgent:
        agenda.sections.append(Section("Demandes urgentes", urgent))
    by_motif: dict[str, list[Item]] = {}
    for request in requests:
        if request.urgent or request.needs_review:
            continue
        first = (request.fields.get("motifs") or ["autre"])[0]
        by_motif.setdefault(first, []).append(item_of(request, meeting, full_names))
    # Sections in the order the fiche lists its motifs.
    order = list(MOTIF_CODES)
    for code in sorted(by_motif, key=lambda c: order.index(c) if c in order else len(order)):
        agenda.sections.append(Section(f"Motif : {motif_label(code)}", by_motif[code]))
    review = [item_of(r, meeting, full_names) for r in requests
              if r.needs_review and not r.urgent]
    if review:
        agenda.sections.append(Section("Fiches à relire ou à compléter", review))
    motifs = Counter(motif_label(m) for r in requests
                     for m in r.fields.get("motifs") or [])
    schools = Counter(f"{r.school_name or 'école non lue'}"
                      f"{f' ({r.school_commune})' if r.school_commune else ''}" for r in requests)
    agenda.by_motif = sorted(motifs.items(), key=lambda kv: (-kv[1], kv[0]))
    agenda.by_school = sorted(schools.items(), key=lambda kv: (-kv[1], kv[0]))
    return agenda


# --- writing it -------------------------------------------------------------------------

COLUMNS = ("Réf.", "École", "Classe / élève", "Motifs", "Situation", "Actions menées",
           "Attentes de l'école", "Suite donnée")


def cells_of(item: Item) -> list[str]:
    school = f"{item.school}\n{item.commune}".strip()
    marks = f"\n{' · '.join(item.marks)}" if item.marks else ""
    return [f"{item.reference}{marks}", school, f"{item.classe}\n{item.pupil}".strip(),
            "\n".join(item.motifs), item.summary, item.actions, item.expectations, ""]


def to_docx(agenda: Agenda) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    document.styles["Normal"].font.size = Pt(9)
    document.add_heading(agenda.title, level=1)
    document.add_paragraph(f"{agenda.circonscription} – demandes reçues jusqu'au "
                           f"{compose.date_fr(agenda.deadline)} : {agenda.count}.")
    for part in agenda.sections:
        document.add_heading(f"{part.title} ({len(part.items)})", level=2)
        table = document.add_table(rows=1, cols=len(COLUMNS))
        table.style = "Table Grid"
        for cell, title in zip(table.rows[0].cells, COLUMNS):
            cell.text = ""
            cell.paragraphs[0].add_run(title).bold = True
        for item in part.items:
            for cell, text in zip(table.add_row().cells, cells_of(item)):
                cell.text = text
    document.add_heading("Totaux", level=2)
    for title, counts in (("Par motif", agenda.by_motif), ("Par école", agenda.by_school)):
        document.add_paragraph(title).runs[0].bold = True
        table = document.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for label, n in counts:
            row = table.add_row().cells
            row[0].text, row[1].text = label, str(n)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def to_pdf(agenda: Agenda) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from notify.fiche import pdf_fonts

    font, bold = pdf_fonts(pdfmetrics, TTFont)
    body = ParagraphStyle("body", fontName=font, fontSize=7.5, leading=9)
    head = ParagraphStyle("head", fontName=bold, fontSize=7.5, leading=9)
    h1 = ParagraphStyle("h1", fontName=bold, fontSize=14, leading=18, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=bold, fontSize=11, leading=14, spaceBefore=10,
                        spaceAfter=4)

    def cell(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                       ("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])
    widths = [2.8 * cm, 3.3 * cm, 2.3 * cm, 3.0 * cm, 6.1 * cm, 3.5 * cm, 3.5 * cm, 2.2 * cm]
    story: list[Any] = [cell(agenda.title, h1), cell(
        f"{agenda.circonscription} – demandes reçues jusqu'au "
        f"{compose.date_fr(agenda.deadline)} : {agenda.count}.")]
    for part in agenda.sections:
        story.append(cell(f"{part.title} ({len(part.items)})", h2))
        rows = [[cell(c, head) for c in COLUMNS]]
        rows += [[cell(text) for text in cells_of(item)] for item in part.items]
        story.append(Table(rows, colWidths=widths, repeatRows=1, style=grid, hAlign="LEFT"))
    story.append(cell("Totaux", h2))
    for title, counts in (("Par motif", agenda.by_motif), ("Par école", agenda.by_school)):
        rows = [[cell(title, head), cell("", head)]] + [[cell(k), cell(str(n))]
                                                         for k, n in counts]
        story += [Table(rows, colWidths=[9 * cm, 2 * cm], style=grid, hAlign="LEFT"),
                  Spacer(1, 6)]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=1.2 * cm, rightMargin=1.2 * cm,
                      topMargin=1.2 * cm, bottomMargin=1.2 * cm, title=agenda.title,
                      author=agenda.circonscription).build(story)
    return out.getvalue()


def to_text(agenda: Agenda) -> str:
    return compose.render("agenda.txt.j2", a=agenda)


def to_html(agenda: Agenda) -> str:
    return compose.render("agenda.html.j2", a=agenda)
