"""The bureau on a département's five years: 10,000 requests and 30,000 emails.

    .venv/bin/python bench/web.py [--database sqlite|postgresql|both] [--rounds 60]

Server time (the application in-process: routing, session check, queries, template) of
the request list with filters and of a request page, p95 over the rounds, each next to
its floor measured side by side: the same rows fetched by one bare query, nothing
rendered. Then the first render of a 2-page PDF fiche and its cached render, next to
pdfium rendering the same pages with nothing else.
Targets (issue 11): list and page p95 <= 100 ms; a 2-page PDF first <= 300 ms, cached
<= 20 ms. Data: invented; PostgreSQL: a throw-away database on this machine.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))
# Starlette's TestClient says it prefers httpx's successor; not this bench's concern.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

import pypdfium2 as pdfium  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from bureau.app import create_app  # noqa: E402
from bureau.auth import new_account  # noqa: E402
from config.calendar import Meeting  # noqa: E402
from config.settings import Circonscription, Settings, Storage  # noqa: E402
from notify.fiche import write_fiche  # noqa: E402
from parsers.fields import FIELD_KEYS, MOTIF_CODES  # noqa: E402
from storage import repo  # noqa: E402
from storage.db import make_engine, migrate, session_scope  # noqa: E402
from storage.models import (  # noqa: E402
    Direction,
    Message,
    Outcome,
    ProcessedMessage,
    Request,
    Role,
)

PASSWORD = "une phrase de passe pour le banc"
TOWNS = ["Voiron", "Moirans", "Rives", "Voreppe", "Tullins", "Coublevie", "Saint-Jean"]
MEETINGS = [date(2022 + y, m, d) for y in range(5) for m, d in ((10, 14), (12, 9), (3, 10),
                                                               (5, 19), (6, 23))]


def seed(engine, settings: Settings, n_requests: int, n_emails: int) -> str:
    """The rows, in bulk; returns the reference of a request that has a 2-page PDF."""
    rng = random.Random(2026)
    start = datetime(2022, 9, 1, 8, tzinfo=UTC)
    step = (datetime(2027, 7, 1, tzinfo=UTC) - start) / n_requests
    pdf = write_fiche("pdf", {"ecole_commune": "Voiron"})
    with session_scope(engine) as s:
        new_account(s, "secretariat@bench.invalid", "Banc", Role.SECRETARIAT, PASSWORD)
        for i in range(n_requests):
            at = start + step * i
            town = rng.choice(TOWNS)
            fields = {key: None for key in FIELD_KEYS} | {
                "ecole_nom": f"École {rng.choice('ABCDEFGH')} de {town}", "ecole_commune": town,
                "eleve_nom": f"NOM{i}", "eleve_prenom": f"Prénom{i}",
                "motifs": rng.sample(list(MOTIF_CODES), rng.choice((1, 1, 2))),
                "situation": "L'élève refuse les consignes et quitte la classe. " * 4,
                "urgence": rng.random() < 0.1}
            meeting = next((m for m in MEETINGS if m >= at.date()), None)
            s.add(Request(reference=f"PR-{at.year}-{i + 1:05d}", sender=f"ce.{i:07d}x@bench.fr",
                          created_at=at, school_name=fields["ecole_nom"], school_commune=town,
                          fiche_hash=f"{i:064x}", method="docx", fields=fields,
                          urgent=fields["urgence"], needs_review=rng.random() < 0.08,
                          status=rng.choice(("received", "decided", "closed", "closed")),
                          meeting_date=meeting))
            if i % 2000 == 1999:
                s.flush()
        s.flush()
        ids = [r for r in s.exec(select(Request.id).order_by(col(Request.id)))]
        for j in range(n_emails):
            request_id = ids[j % len(ids)] if j < 2 * len(ids) else None
            s.add(ProcessedMessage(mailbox="INBOX", uidvalidity=1, uid=j + 1,
                                   content_hash=f"{j:064x}", outcome=(
                                       Outcome.NEW if request_id else Outcome.MACHINE),
                                   request_id=request_id))
            if request_id:
                s.add(Message(request_id=request_id, direction=Direction.IN if j < len(ids)
                              else Direction.OUT, correspondent="ce.0000000x@bench.fr",
                              subject="Fiche de demande", body="Bonjour, ci-joint la fiche.",
                              read_at=start))
            if j % 5000 == 4999:
                s.flush()
        target = s.exec(select(Request).where(col(Request.id) == ids[-7])).one()
        repo.store_file(s, settings.storage.data_dir, target, pdf, "fiche.pdf")
        return target.reference


def p95(func: Callable[[], object], rounds: int) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        begin = time.perf_counter()
        func()
        times.append(time.perf_counter() - begin)
    times.sort()
    return times[int(0.95 * (len(times) - 1))] * 1000, statistics.median(times) * 1000


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'data' / 'saisine.db'}"
        return
    admin = create_engine("postgresql+psycopg://postgres@/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("DROP DATABASE IF EXISTS saisine_bench"))
        c.execute(text("CREATE DATABASE saisine_bench"))
    try:
        yield "postgresql+psycopg://postgres@/saisine_bench"
    finally:
        with admin.connect() as c:
            c.execute(text("DROP DATABASE IF EXISTS saisine_bench WITH (FORCE)"))
        admin.dispose()


def run(kind: str, rounds: int, n_requests: int, n_emails: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="saisine-bench-web-"))
    try:
        with database(kind, folder) as url:
            settings = Settings(circonscription=Circonscription(name="Circonscription du banc"),
                                storage=Storage(data_dir=folder / "data", database_url=url),
                                meetings=[Meeting(date=d) for d in MEETINGS])
            engine = make_engine(settings.storage.url())
            migrate(engine)
            begin = time.perf_counter()
            reference = seed(engine, settings, n_requests, n_emails)
            seeded = time.perf_counter() - begin
            client = TestClient(create_app(settings, engine), base_url="http://127.0.0.1")
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/connexion").text)[1]
            client.post("/connexion", data={"email": "secretariat@bench.invalid",
                                            "password": PASSWORD, "csrf": token})
            query = "/demandes?statut=received&motif=pap&tri=school&q=Voiron"
            with session_scope(engine) as s:
                every = list(s.exec(select(Request.reference)))
            refs = random.Random(7).sample(every, rounds)
            pages = iter(refs)
            client.get(query)
            client.get(f"/demandes/{reference}")

            def bare_list() -> None:
                with Session(engine) as s:
                    list(s.exec(select(Request).where(
                        col(Request.status) == "received",
                        col(Request.school_commune).ilike("%Voiron%")).order_by(
                        col(Request.school_name)).limit(500)))

            def bare_page() -> None:
                with Session(engine) as s:
                    r = s.exec(select(Request).where(col(Request.reference) == reference)).one()
                    repo.files_of(s, r)
                    repo.conversation(s, r)

            def page() -> None:
                answer = client.get(f"/demandes/{next(pages)}")
                assert answer.status_code == 200

            list_p95, list_median = p95(lambda: client.get(query), rounds)
            list_floor, _ = p95(bare_list, rounds)
            page_p95, page_median = p95(page, rounds)
            page_floor, _ = p95(bare_page, rounds)
            sha = next(f.sha256 for f in _files(engine, reference))
            cache = folder / "data" / "cache"

            def first_render() -> None:
                shutil.rmtree(cache, ignore_errors=True)
                for n in (1, 2):
                    assert client.get(f"/demandes/{reference}/fichiers/{sha}/page/{n}.png") \
                        .status_code == 200

            def cached_render() -> None:
                for n in (1, 2):
                    client.get(f"/demandes/{reference}/fichiers/{sha}/page/{n}.png")

            pdf_path = repo.file_path(settings.storage.data_dir, sha)

            def bare_render() -> None:
                document = pdfium.PdfDocument(str(pdf_path))
                for n in (0, 1):
                    document[n].render(scale=1.5).to_pil()
                document.close()

            first, _ = p95(first_render, max(5, rounds // 6))
            cached, _ = p95(cached_render, rounds)
            pdfium_only, _ = p95(bare_render, max(5, rounds // 6))
            engine.dispose()
        print(f"{kind}: {n_requests} requests, {n_emails} emails (seeded in {seeded:.0f} s); "
              f"p95 over {rounds} rounds")
        print(f"  list with filters  p95 {list_p95:6.1f} ms (median {list_median:.1f}), floor "
              f"{list_floor:.1f} ms, ratio {list_p95 / list_floor:.1f}x  (target <= 100 ms)")
        print(f"  request page       p95 {page_p95:6.1f} ms (median {page_median:.1f}), floor "
              f"{page_floor:.1f} ms, ratio {page_p95 / page_floor:.1f}x  (target <= 100 ms)")
        print(f"  2-page PDF, first  p95 {first:6.1f} ms, floor (pdfium alone) "
              f"{pdfium_only:.1f} ms, ratio {first / pdfium_only:.1f}x  (target <= 300 ms)")
        print(f"  2-page PDF, cached p95 {cached:6.1f} ms  (target <= 20 ms)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _files(engine, reference: str) -> list:
    with session_scope(engine) as s:
        return repo.files_of(s, repo.find_request(s, reference))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--emails", type=int, default=30_000)
    args = parser.parse_args()
    for kind in (("sqlite", "postgresql") if args.database == "both" else (args.database,)):
        run(kind, args.rounds, args.requests, args.emails)


if __name__ == "__main__":
    main()
