"""Retention: requests, their files and their mail are deleted once their time is up,
on SQLite and PostgreSQL; what stays holds no pupil data and still prevents an email
from being handled twice."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlmodel import select

from config.calendar import Meeting, Member
from config.settings import Retention, Settings, Storage
from storage.db import session_scope
from storage.models import AuditEvent, Outbox, ProcessedMessage, Request, StoredFile
from tests.conftest import VOIRON
from tests.mail import FICHE, SENT, URGENT, fiche_mail
from worker.meetings import queue_due
from worker.pipeline import Services, process
from worker.retention import expires, purge, purge_daily

OCTOBER = Meeting(date=date(2026, 10, 16), deadline=date(2026, 10, 10))
# Its deadline is Saturday the 10th: the agenda goes out on Monday morning.
OCTOBER_MORNING_AFTER = datetime(2026, 10, 12, 6, tzinfo=UTC)


@pytest.fixture
def services(engine, sandbox, tmp_path):
    settings = Settings(
        circonscription=VOIRON,
        storage=Storage(data_dir=tmp_path / "data"), meetings=[OCTOBER],
        pole=[Member(name="Mme Inspectrice", role="IEN", email="ien.voiron@ac-grenoble.fr")])
    return Services(settings, engine, sandbox)


def count(services, model) -> int:
    with session_scope(services.engine) as s:
        return len(list(s.exec(select(model))))


def age_files(data_dir) -> None:
    """As if written long ago (the sweep spares files younger than an hour)."""
    for path in (data_dir / "files").glob("??/*"):
        os.utime(path, (0, 0))


def test_the_end_of_the_school_year_and_a_number_of_days():
    school_year = Settings()
    assert expires(date(2026, 10, 16), school_year) == date(2027, 9, 1)
    assert expires(date(2027, 7, 2), school_year) == date(2027, 9, 1)
    assert expires(date(2027, 9, 10), school_year) == date(2028, 9, 1)
    days = Settings(retention=Retention(keep="days", days=90))
    assert expires(date(2026, 10, 16), days) == date(2027, 1, 14)


def test_purge_deletes_requests_files_mail_and_agendas_past_their_time(services):
    raw = fiche_mail().as_bytes()
    process(raw, "INBOX", 1, 1, services, received=SENT)
    process(fiche_mail(URGENT).as_bytes(), "INBOX", 1, 2, services, received=SENT)
    queue_due(services.engine, services.settings, now=OCTOBER_MORNING_AFTER)
    data_dir = services.settings.storage.data_dir
    age_files(data_dir)
    files_before = len(list((data_dir / "files").glob("??/*")))
    assert count(services, Request) == 2 and files_before == 4  # 2 fiches, docx+pdf agenda

    # Still the school year: nothing goes.
    assert purge(services.engine, services.settings, date(2027, 8, 31)).references == []
    # A dry run lists what would go and changes nothing.
    preview = purge(services.engine, services.settings, date(2027, 9, 1), dry_run=True)
    assert preview.references == ["PR-2026-0001", "PR-2026-0002"]
    assert preview.agendas == ["2026-10-16"] and preview.files == 2 and preview.mails == 4
    assert count(services, Request) == 2 and count(services, Outbox) == 4
    assert len(list((data_dir / "files").glob("??/*"))) == files_before

    done = purge(services.engine, services.settings, date(2027, 9, 1))
    assert done.references == preview.references and done.files == files_before
    for model in (Request, StoredFile, Outbox):
        assert count(services, model) == 0
    assert list((data_dir / "files").glob("??/*")) == []
    # What stays: that the emails were handled (no pupil data), and the audit trail.
    with session_scope(services.engine) as s:
        handled = list(s.exec(select(ProcessedMessage)))
        events = [e.event for e in s.exec(select(AuditEvent))]
    assert len(handled) == 2 and all(h.request_id is None for h in handled)
    assert "retention.purged" in events
    # The same email again is still recognised: no new request, no acknowledgement.
    again = process(raw, "INBOX", 7, 1, services, received=SENT)
    assert again.outcome == "seen" and count(services, Request) == 0


def test_no_pupil_data_left_in_the_database_after_a_purge(services, engine):
    process(fiche_mail(URGENT).as_bytes(), "INBOX", 1, 1, services, received=SENT)
    purge(services.engine, services.settings, date(2027, 9, 1))
    with engine.connect() as connection:
        for table in ("request", "stored_file", "outbox", "processed_message", "audit_event"):
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()
            dump = " ".join(str(v) for row in rows for v in row)
            for personal in (URGENT["eleve_nom"], URGENT["eleve_prenom"],
                             URGENT["situation"][:20], URGENT["urgence_motif"]):
                assert personal not in dump, (table, personal)


def test_the_worker_purges_once_a_day(services):
    process(fiche_mail().as_bytes(), "INBOX", 1, 1, services, received=SENT)
    assert purge_daily(services.engine, services.settings, date(2027, 9, 1)).references == \
        ["PR-2026-0001"]
    process(fiche_mail({**FICHE, "eleve_nom": "MOREL"}).as_bytes(), "INBOX", 1, 2, services, received=SENT)
    assert purge_daily(services.engine, services.settings, date(2027, 9, 1)) is None
    assert purge_daily(services.engine, services.settings, date(2027, 9, 2)).references == \
        ["PR-2026-0002"]


def test_saisine_purge_dry_run_then_purge(tmp_path, sandbox):
    """From the command line: a request of a past school year goes; this year's stays."""
    from storage.db import open_database

    data = tmp_path / "data"
    config = tmp_path / "saisine.toml"
    config.write_text(f'[storage]\ndata_dir = "{data}"\n[circonscription]\n'
                      f'allowed_domains = ["ac-grenoble.fr"]\n')
    settings = Settings(storage=Storage(data_dir=data),
                        meetings=[Meeting(date=date(2025, 10, 17))])
    engine = open_database(settings.storage.url())
    services = Services(settings, engine, sandbox)
    old = fiche_mail()
    old.replace_header("Date", "Mon, 06 Oct 2025 09:30:00 +0200")
    process(old.as_bytes(), "INBOX", 1, 1, services,
            received=datetime(2025, 10, 6, 7, 30, tzinfo=UTC))
    process(fiche_mail({**FICHE, "eleve_nom": "MOREL"}).as_bytes(), "INBOX", 1, 2, services, received=SENT)
    engine.dispose()

    def saisine(*args):
        return subprocess.run([sys.executable, "-m", "worker.cli", "--config", str(config),
                               *args], capture_output=True, text=True, timeout=60)

    preview = saisine("purge", "--dry-run")
    assert preview.returncode == 0 and "would delete: 1 request(s) (PR-2025-0001)" in \
        preview.stdout
    assert "deleted: 1 request(s) (PR-2025-0001)" in saisine("purge").stdout
    assert "deleted: 0 request(s)" in saisine("purge").stdout
    assert "PR-2026-0001" in saisine("requests", "--json").stdout


def test_a_set_aside_email_is_kept_for_the_bureau_until_retention_takes_it(services, engine):
    stranger = fiche_mail(sender="Famille <parent@exemple.invalid>", subject="Mon fils")
    process(stranger.as_bytes(), "INBOX", 1, 1, services, received=datetime(2026, 10, 5,
                                                                           tzinfo=UTC))
    with session_scope(engine) as s:
        [record] = s.exec(select(ProcessedMessage))
        assert record.outcome == "quarantined" and record.sender == "parent@exemple.invalid"
        copy = services.settings.storage.data_dir / "files" / record.raw_sha256[:2] \
            / record.raw_sha256
    assert copy.read_bytes() == stranger.as_bytes()
    purge(engine, services.settings, date(2027, 6, 30))  # the school year is not over
    assert copy.exists()
    old = copy.stat().st_mtime - 7200  # written more than an hour before the sweep
    os.utime(copy, (old, old))
    purge(engine, services.settings, date(2027, 9, 1))
    with session_scope(engine) as s:
        [record] = s.exec(select(ProcessedMessage))
        assert (record.sender, record.subject, record.raw_sha256) == (None, None, None)
    assert not copy.exists()
