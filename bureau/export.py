"""The request list as the secretariat takes it away: CSV (for any tool) and XLSX (for a
spreadsheet, with its columns sized and its header frozen). Pupils' names and classes
only for the roles that see them."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from notify.compose import day_fr
from parsers.fields import motif_label
from storage.models import Request, RequestStatus

HEADER = ["Référence", "Reçue le", "École", "Commune", "Motif(s)", "Urgent", "Réunion",
          "Statut"]
PUPIL = ["Élève", "Classe"]


def table(rows: list[Request], pupils: bool) -> tuple[list[str], list[list[str]]]:
    header = HEADER[:3] + PUPIL + HEADER[3:] if pupils else list(HEADER)
    lines = []
    for r in rows:
        line = [r.reference, day_fr(r.created_at), r.school_name or "", r.school_commune or "",
                ", ".join(motif_label(m) for m in r.fields.get("motifs") or []),
                "oui" if r.urgent else "non", day_fr(r.meeting_date),
                RequestStatus.label_of(r.status)]
        if pupils:
            name = f"{r.fields.get('eleve_prenom') or ''} {r.fields.get('eleve_nom') or ''}"
            line[3:3] = [name.strip(), r.fields.get("classe") or ""]
        lines.append(line)
    return header, lines


def to_csv(header: list[str], lines: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerows(lines)
    # With a BOM: spreadsheet software then reads the accents right.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(header: list[str], lines: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Demandes"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in lines:
        sheet.append(line)
    sheet.freeze_panes = "A2"
    for n, name in enumerate(header, start=1):
        width = max([len(name)] + [len(line[n - 1]) for line in lines[:500]])
        sheet.column_dimensions[sheet.cell(1, n).column_letter].width = min(60, width + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

