"""Storage on SQLite and on the PostgreSQL of this machine: schema, numbering, dedup keys,
outbox, private files, transactions."""

from __future__ import annotations

import hashlib
import stat
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import inspect, text

from config.errors import StorageError
from notify.mails import Draft
from storage import repo
from storage.db import migrate, session_scope
from storage.models import MailKind, Outbox, Request, utcnow


def request(n: int = 1, **values) -> Request:
    return Request(reference=f"PR-2026-{n:04d}", sender="ce.0381234x@ac-grenoble.fr",
                   fiche_hash=f"{n:064x}", method="docx-table",
                   fields={"ecole_nom": "École Jean Jaurès"}, **values)


def test_migrations_build_every_table_and_run_twice(engine):
    migrate(engine)  # a second run is a no-op
    tables = set(inspect(engine).get_table_names())
    assert {"processed_message", "request", "stored_file", "outbox", "audit_event", "counter",
            "alembic_version"} <= tables


def test_sqlite_runs_in_wal_with_full_sync(tmp_path):
    from storage.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'saisine.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_references_are_numbered_per_year_without_gaps(engine):
    with session_scope(engine) as s:
        assert [repo.next_reference(s, 2026) for _ in range(3)] == \
            ["PR-2026-0001", "PR-2026-0002", "PR-2026-0003"]
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        repo.next_reference(s, 2026)
        raise RuntimeError("the email could not be stored")
    with session_scope(engine) as s:
        # The rolled-back number is given again: no gap.
        assert repo.next_reference(s, 2026) == "PR-2026-0004"
        assert repo.next_reference(s, 2027) == "PR-2027-0001"


def test_a_message_is_known_by_place_and_by_content(engine):
    with session_scope(engine) as s:
        repo.record_processed(s, mailbox="INBOX", uidvalidity=7, uid=42, content_hash="a" * 64,
                              outcome="accepted")
    with session_scope(engine) as s:
        assert repo.find_processed(s, "INBOX", 7, 42).outcome == "accepted"
        assert repo.find_processed(s, "INBOX", 8, 42) is None  # UIDVALIDITY changed
        here, same = repo.find_seen(s, "INBOX", 8, 42, "a" * 64)
        assert here is None and same.uid == 42
        here, same = repo.find_seen(s, "INBOX", 7, 42, "b" * 64)
        assert here.uid == 42 and same is None
    with pytest.raises(StorageError), session_scope(engine) as s:
        repo.record_processed(s, mailbox="INBOX", uidvalidity=7, uid=42, content_hash="b" * 64,
                              outcome="accepted")


def test_the_same_fiche_makes_one_request(engine):
    with session_scope(engine) as s:
        repo.add_request(s, request(1))
    with session_scope(engine) as s:
        assert repo.find_request_by_fiche(s, f"{1:064x}").reference == "PR-2026-0001"
        assert repo.find_request(s, "PR-2026-0001").fields["ecole_nom"] == "École Jean Jaurès"
    same_fiche = Request(reference="PR-2026-0002", sender="ce.0381234x@ac-grenoble.fr",
                         fiche_hash=f"{1:064x}", method="pdf-text")
    with pytest.raises(StorageError), session_scope(engine) as s:
        repo.add_request(s, same_fiche)


def test_outbox_once_per_key_and_retries(engine):
    with session_scope(engine) as s:
        draft = Draft(kind=MailKind.ACK, key="ack:PR-2026-0001", message_id="<a1@saisine.test>",
                      recipients=["ce@x.fr"], subject="Accusé", text="Bonjour",
                      reference="PR-2026-0001")
        assert repo.enqueue(s, draft) is not None
        assert repo.enqueue(s, replace(draft, subject="Accusé, encore")) is None
        assert repo.reference_answered(s, "<a1@saisine.test>") == "PR-2026-0001"
        assert repo.reference_answered(s, "<other@x>") is None
    now = utcnow()
    with session_scope(engine) as s:
        [mail] = repo.due_mail(s, now)
        repo.mark_failed(s, mail, "SMTP 451 try later", now + timedelta(minutes=5))
    with session_scope(engine) as s:
        assert repo.due_mail(s, now) == []
        [mail] = repo.due_mail(s, now + timedelta(minutes=6))
        assert mail.attempts == 1 and mail.last_error == "SMTP 451 try later"
        repo.mark_sent(s, mail)
    with session_scope(engine) as s:
        assert repo.due_mail(s, now + timedelta(days=1)) == []
        assert s.get(Outbox, mail.id).sent_at is not None


def test_files_are_stored_once_by_content_and_private(engine, tmp_path):
    data_dir = tmp_path / "data"
    with session_scope(engine) as s:
        req = repo.add_request(s, request(1))
        stored = repo.store_file(s, data_dir, req, b"%PDF-1.4 fiche", "fiche élève.pdf")
        again = repo.store_file(s, data_dir, req, b"%PDF-1.4 fiche", "copie.pdf")
    assert stored.id == again.id
    path = repo.file_path(data_dir, hashlib.sha256(b"%PDF-1.4 fiche").hexdigest())
    assert path.read_bytes() == b"%PDF-1.4 fiche"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Every folder the files live in is the owner's alone, not just the last one.
    assert {stat.S_IMODE(p.stat().st_mode) for p in (path.parent, path.parent.parent)} == {0o700}
    assert "élève" not in str(path)


def test_sqlite_database_file_is_private(tmp_path):
    from storage.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'private' / 'saisine.db'}")
    migrate(engine)
    assert stat.S_IMODE((tmp_path / "private" / "saisine.db").stat().st_mode) == 0o600
    engine.dispose()


def test_unreachable_database_is_a_clear_error():
    from storage.db import make_engine

    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StorageError, match="database"):
        migrate(engine)


def test_rehearsal_rolls_back_every_transaction(engine):
    """What `run --dry-run` relies on: committed sessions are savepoints, undone at the end."""
    from storage.db import rehearsal

    url = engine.url.render_as_string(hide_password=False)
    with session_scope(engine) as s:
        repo.add_request(s, request(1))
    with rehearsal(url) as connection:
        with session_scope(connection) as s:
            repo.add_request(s, request(2))
        with pytest.raises(StorageError), session_scope(connection) as s:
            repo.add_request(s, request(2))  # the same reference: this savepoint fails alone
        with session_scope(connection) as s:
            assert len(repo.list_requests(s)) == 2  # the rehearsal sees its own work
    with session_scope(engine) as s:
        assert [r.reference for r in repo.list_requests(s)] == [request(1).reference]


def test_a_database_from_the_first_release_upgrades_with_its_rows(engine):
    """0001 -> head on a database holding a request, as an installation upgrades."""
    from alembic import command

    from storage.db import _alembic

    with engine.begin() as connection:
        command.downgrade(_alembic(connection), "0001")
        connection.execute(text(
            "INSERT INTO request (reference, created_at, sender, fiche_hash, method, fields, "
            "missing, warnings, needs_review, urgent, status) VALUES ('PR-2026-0001', "
            "'2026-10-05 09:30:00', 'ce.0381234x@ac-grenoble.fr', 'ab', 'docx-table', '{}', "
            "'[]', '[]', false, false, 'received')"))
    migrate(engine)
    with session_scope(engine) as s:
        [old] = repo.list_requests(s)
    assert old.reference == "PR-2026-0001" and old.late is False and old.meeting_date is None


def test_agendas_queued_before_0003_get_their_meeting_from_their_key(engine):
    """0002 -> head: the meeting an agenda was about, once only in its key, becomes a column
    (retention finds past agendas by it)."""
    from alembic import command

    from storage.db import _alembic

    with engine.begin() as connection:
        command.downgrade(_alembic(connection), "0002")
        for key, kind in (("agenda:2026-12-18:ien@ac-test.fr", "agenda"),
                          ("ack:PR-2026-0001", "ack")):
            connection.execute(text(
                "INSERT INTO outbox (key, kind, message_id, recipients, subject, body_text, "
                "created_at, attempts, next_attempt_at, attachments) VALUES (:key, :kind, "
                ":key, '[]', 's', 't', '2026-12-01 07:00:00', 0, '2026-12-01 07:00:00', '[]')"),
                {"key": key, "kind": kind})
    migrate(engine)
    with session_scope(engine) as s:
        assert repo.agenda_meetings(s) == [date(2026, 12, 18)]
        assert repo.forget_agendas(s, date(2026, 12, 18), dry_run=True) == 1


def test_the_migrations_build_exactly_the_tables_the_models_declare(engine):
    """Migrations are written by hand at times: alembic finds nothing they missed."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, SQLModel.metadata) == []
