"""The agenda of a busy meeting: 300 requests, written as DOCX and PDF.

    .venv/bin/python bench/agenda.py [--requests 300] [--rounds 3]

Saisine's time (ordering, grouping, initials, totals, both documents) is put next
to its floor: python-docx and reportlab writing one table each with the same
cells and nothing else. Memory: the peak Python allocation while writing both.
Target (issue 4): <= 3 s for 300 requests. Data: invented.
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from notify import agenda as documents  # noqa: E402
from parsers.fields import MOTIF_CODES  # noqa: E402

MEETING, DEADLINE = date(2026, 12, 18), date(2026, 12, 12)
TOWNS = ["Voiron", "Moirans", "Rives", "Voreppe", "Tullins", "Coublevie", "Saint-Jean"]
SITUATION = ("L'élève refuse les consignes, quitte la classe sans autorisation et s'en prend "
             "verbalement à ses camarades ; l'équipe a mis en place un emploi du temps aménagé "
             "et rencontré la famille à deux reprises, sans amélioration durable. ")


def requests(n: int) -> list[SimpleNamespace]:
    rng = random.Random(2026)
    start = datetime(2026, 11, 2, 8, tzinfo=UTC)
    made = []
    for i in range(n):
        town = rng.choice(TOWNS)
        motifs = rng.sample(list(MOTIF_CODES), rng.choice((1, 1, 2)))
        made.append(SimpleNamespace(
            reference=f"PR-2026-{i + 1:04d}", school_name=f"École {rng.choice('ABCDEFGH')} "
                                                          f"de {town}",
            school_commune=town, urgent=rng.random() < 0.1, late=rng.random() < 0.05,
            needs_review=rng.random() < 0.08, created_at=start + timedelta(hours=i),
            meeting_date=MEETING if rng.random() < 0.9 else date(2026, 10, 16),
            fields={"classe": rng.choice(["CP", "CE1", "CE2", "CM1", "CM2"]),
                    "eleve_prenom": f"Prénom{i}", "eleve_nom": f"NOM{i}", "motifs": motifs,
                    "situation": SITUATION * rng.choice((1, 2, 3)),
                    "actions_menees": "Équipe éducative, PPRE.", "partenaires": "CMP",
                    "attentes": "Une observation et des conseils à l'enseignante."}))
    return made


def saisine(found: list) -> tuple[bytes, bytes]:
    agenda = documents.build(found, MEETING, DEADLINE, "Circonscription de Voiron")
    return documents.to_docx(agenda), documents.to_pdf(agenda)


def floor(rows: list[list[str]]) -> tuple[bytes, bytes]:
    """The same cells in one DOCX table and one PDF table, nothing more."""
    from xml.sax.saxutils import escape

    from docx import Document
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    document = Document()
    table = document.add_table(rows=0, cols=len(documents.COLUMNS))
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = text
    docx = io.BytesIO()
    document.save(docx)
    style = ParagraphStyle("body", fontSize=7.5, leading=9)
    pdf = io.BytesIO()
    SimpleDocTemplate(pdf, pagesize=landscape(A4)).build([Table(
        [[Paragraph(escape(text).replace("\n", "<br/>"), style) for text in row]
         for row in rows], repeatRows=1)])
    return docx.getvalue(), pdf.getvalue()


def median_s(func, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    found = requests(args.requests)
    agenda = documents.build(found, MEETING, DEADLINE, "Circonscription de Voiron")
    rows = [list(documents.COLUMNS)] + [documents.cells_of(i) for s in agenda.sections
                                        for i in s.items]
    saisine(found)  # warm-up: imports, fonts
    floor(rows)
    ours, bare = median_s(lambda: saisine(found), args.rounds), median_s(lambda: floor(rows),
                                                                         args.rounds)
    tracemalloc.start()
    docx, pdf = saisine(found)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"agenda of {args.requests} requests ({agenda.count} items, "
          f"{len(agenda.sections)} sections): DOCX {len(docx) // 1024} KiB + PDF "
          f"{len(pdf) // 1024} KiB")
    print(f"saisine {ours:.2f} s, floor (same cells, bare tables) {bare:.2f} s, "
          f"ratio {ours / bare:.2f}x; peak Python allocation {peak / 2**20:.0f} MiB, "
          f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
          f"(target <= 3 s)")


if __name__ == "__main__":
    main()
