"""One worker pass against real servers: Dovecot (IMAPS, certificate checked), aiosmtpd,
and the database (SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest
from imapclient import IMAPClient
from pydantic import SecretStr
from sqlmodel import select

from config.errors import LoginFailed, Unreachable, UntrustedCertificate
from config.settings import Folders, Server, Settings, Storage
from ingest.mailbox import Mailbox
from storage.db import session_scope
from storage.models import ProcessedMessage, Request
from tests import dovecot as dv
from tests.conftest import VOIRON
from tests.mail import URGENT, fiche_mail, message
from worker import service
from worker.pipeline import Services

FOLDERS = Folders(processed="Saisine/Traités", quarantine="Saisine/À vérifier")


def settings_for(tmp_path, dovecot, smtp_port) -> Settings:
    return Settings(
        circonscription=VOIRON,
        storage=Storage(data_dir=tmp_path / "data"), folders=FOLDERS,
        imap=Server(host="127.0.0.1", port=dovecot.tls_port, security="tls",
                    username=dv.USER, password=dv.PASSWORD, ca_file=dovecot.ca_file),
        smtp=Server(host="127.0.0.1", port=smtp_port, security="none"))


def one_pass(settings, engine, sandbox):
    return service.one_pass(Services(settings, engine, sandbox))


def flags(dovecot, folder):
    client = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=10)
    client.login(dv.USER, dv.PASSWORD)
    client.select_folder(folder, readonly=True)
    found = client.get_flags(client.search("ALL"))
    client.logout()
    return found


def test_a_pass_reads_routes_stores_answers_and_files_the_mail(
        engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    dovecot.deliver(fiche_mail().as_bytes())
    dovecot.deliver(fiche_mail(URGENT, subject="Fiche urgente").as_bytes())
    dovecot.deliver(message(subject="Réponse automatique : absent", Auto_Submitted="auto-replied")
                    .as_bytes())
    dovecot.deliver(fiche_mail(sender="inconnu@gmail.com").as_bytes())

    result = one_pass(settings, engine, sandbox)

    assert result.outcomes == {"accepted": 2, "machine": 1, "quarantined": 1}
    assert result.references == ["PR-2026-0001", "PR-2026-0002"] and result.sent == 3
    assert sorted(to[0] for to, _ in smtp_server.messages) == [
        "ce.0381234x@ac-grenoble.fr", "ce.0381234x@ac-grenoble.fr", "ien.voiron@ac-grenoble.fr"]
    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids(FOLDERS.processed)) == 3
    assert len(dovecot.uids(FOLDERS.quarantine)) == 1
    # Read with BODY.PEEK: the messages stay unread for the people who use the mailbox.
    assert all(b"\\Seen" not in f for f in flags(dovecot, FOLDERS.processed).values())
    with session_scope(engine) as s:
        assert all(m.moved_at for m in s.exec(select(ProcessedMessage)))


def test_nothing_is_processed_twice(engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    raw = fiche_mail().as_bytes()
    dovecot.deliver(raw)
    one_pass(settings, engine, sandbox)
    assert one_pass(settings, engine, sandbox).outcomes == {}
    # A person drags the message back into the inbox, and the inbox's UIDVALIDITY changes.
    dovecot.deliver(raw)
    dovecot.set_uidvalidity(12345)
    again = one_pass(settings, engine, sandbox)
    assert again.outcomes == {"seen": 1} and again.sent == 0
    with session_scope(engine) as s:
        assert len(list(s.exec(select(Request)))) == 1
    assert len(smtp_server.messages) == 1


def test_wrong_password_is_a_clear_error(tmp_path, dovecot):
    settings = settings_for(tmp_path, dovecot, 25)
    bad = settings.imap.model_copy(update={"password": SecretStr("wrong")})
    with pytest.raises(LoginFailed, match="imap 127.0.0.1"):
        Mailbox(bad, FOLDERS).connect()


def test_untrusted_certificate_is_refused(tmp_path, dovecot):
    settings = settings_for(tmp_path, dovecot, 25)
    untrusted = settings.imap.model_copy(update={"ca_file": None})
    with pytest.raises(UntrustedCertificate, match="CERTIFICATE_VERIFY_FAILED"):
        Mailbox(untrusted, FOLDERS).connect()


def test_nothing_listening_is_told_apart(tmp_path, dovecot):
    from demo.smtp import free_port

    settings = settings_for(tmp_path, dovecot, 25)
    closed = settings.imap.model_copy(update={"port": free_port()})
    with pytest.raises(Unreachable, match="ConnectionRefusedError"):
        Mailbox(closed, FOLDERS).connect()


def test_saisine_run_once_from_the_command_line(tmp_path, dovecot, smtp_server):
    import subprocess
    import sys

    from worker.service import single_worker

    data = tmp_path / "data"
    config = dv.worker_config(tmp_path / "saisine.toml", dovecot, smtp_server.port, data)
    env = dv.worker_env()

    def saisine(*args):
        return subprocess.run([sys.executable, "-m", "worker.cli", "--config", str(config), *args],
                              capture_output=True, text=True, timeout=120, env=env)

    dovecot.deliver(fiche_mail(URGENT).as_bytes())
    first = saisine("run", "--once")
    assert first.returncode == 0, first.stderr
    assert "accepted: 1" in first.stdout and "PR-2026-0001" in first.stdout
    assert "mail sent: 2" in first.stdout
    assert "nothing new" in saisine("run", "--once").stdout
    assert len(smtp_server.messages) == 2
    # Personal data stays out of the log: no pupil name in what the worker printed.
    assert "ROUX" not in first.stdout + first.stderr
    with single_worker(data):
        locked = saisine("run", "--once")
    assert locked.returncode == 2 and "another worker already runs" in locked.stderr


def test_uidvalidity_changing_under_an_open_session(engine, sandbox, tmp_path, dovecot,
                                                    smtp_server, caplog):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    raw = fiche_mail().as_bytes()
    dovecot.deliver(raw)
    worker = service.Worker(Services(settings, engine, sandbox))
    with Mailbox(settings.imap, settings.folders) as mailbox:
        first = mailbox.uidvalidity
        assert worker.one_pass(mailbox).outcomes == {"accepted": 1}
        # While the worker stays connected, the mailbox is rebuilt with a new UIDVALIDITY
        # and the handled message comes back, along with a new one.
        dovecot.deliver(raw)
        dovecot.set_uidvalidity(first + 1000)
        dovecot.deliver(fiche_mail(URGENT).as_bytes())
        again = worker.one_pass(mailbox)
        assert mailbox.uidvalidity == first + 1000
    assert again.outcomes == {"seen": 1, "accepted": 1}
    assert "UIDVALIDITY of INBOX changed" in caplog.text
    with session_scope(engine) as s:
        assert len(list(s.exec(select(Request)))) == 2


def test_a_large_backlog_reports_its_progress(engine, sandbox, tmp_path, dovecot, smtp_server,
                                              caplog):
    import logging

    from worker.progress import BacklogProgress

    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    for n in range(25):
        dovecot.deliver(message(subject=f"Question {n}", body="Sans fiche.").as_bytes())
    caplog.set_level(logging.INFO, "saisine.worker")
    progress = BacklogProgress(terminal=False, at_least=20, every_seconds=0)
    result = service.one_pass(Services(settings, engine, sandbox), progress)
    assert result.outcomes == {"no_fiche": 25}
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("backlog")]
    assert lines[0] == "backlog: 25 emails to read"
    assert "backlog: 13/25 emails read" in lines and lines[-1].startswith("backlog: 25 emails read in")
    # A usual pass (a few emails) says nothing of the sort.
    dovecot.deliver(message(subject="Encore une", body="Sans fiche.").as_bytes())
    caplog.clear()
    service.one_pass(Services(settings, engine, sandbox), progress)
    assert not [r for r in caplog.records if r.getMessage().startswith("backlog")]


def test_a_person_changing_the_mailbox_under_the_worker(engine, sandbox, tmp_path, dovecot,
                                                       smtp_server, caplog):
    """The processed folder deleted, a message deleted or moved away by hand while the
    worker holds its UIDs: no crash, no duplicate, a clear log line."""
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    worker = service.Worker(Services(settings, engine, sandbox))
    with Mailbox(settings.imap, settings.folders) as mailbox:
        dovecot.deliver(fiche_mail().as_bytes())
        assert worker.one_pass(mailbox).outcomes == {"accepted": 1}
        dovecot.doveadm("mailbox", "delete", "-u", dv.USER, "-r", "-s", FOLDERS.processed)
        dovecot.deliver(fiche_mail(URGENT).as_bytes())
        assert worker.one_pass(mailbox).outcomes == {"accepted": 1}
        assert "folder Saisine/Traités had disappeared: created again" in caplog.text
        assert len(dovecot.uids(FOLDERS.processed)) == 1

        # Deleted by a person between the search and the fetch: simply not there.
        dovecot.deliver(fiche_mail({**URGENT, "eleve_nom": "MOREL"}).as_bytes())
        waiting = mailbox.waiting()
        dovecot.doveadm("expunge", "-u", dv.USER, "mailbox", "INBOX", "all")
        assert list(mailbox.fetch(waiting)) == []
        assert "left INBOX before it was read (moved or deleted by someone else)" in caplog.text
        # Moved away by a person before our move: the move is a no-op, not an error.
        mailbox.move(waiting, FOLDERS.processed)
    with session_scope(engine) as s:
        assert len(list(s.exec(select(Request)))) == 2
    assert len(smtp_server.messages) == 3  # two acknowledgements, one alert


def test_a_bug_on_one_email_quarantines_it_and_logs_where_not_what(
        engine, sandbox, tmp_path, dovecot, smtp_server, monkeypatch, caplog):
    """The log keeps the frames of the crash for whoever fixes it, never the exception's
    text (which may quote the email) nor pupil data; the next email is read as usual."""
    from worker import pipeline

    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    dovecot.deliver(fiche_mail().as_bytes())

    def broken(journey, services):
        raise ValueError(f"cannot route {journey.email.subject}: LEFEBVRE Léa")

    monkeypatch.setattr(pipeline, "PIPELINE", [*pipeline.PIPELINE[:5], broken,
                                               *pipeline.PIPELINE[6:]])
    result = one_pass(settings, engine, sandbox)
    assert result.outcomes == {"quarantined": 1}
    [record] = [r for r in caplog.records if "could not be handled" in r.getMessage()]
    logged = record.getMessage()
    assert "ValueError at test_worker.py" in logged and "in broken" in logged
    assert "pipeline.py" in logged and "run.py" in logged
    assert "LEFEBVRE" not in logged and "cannot route" not in logged
    monkeypatch.undo()
    dovecot.deliver(fiche_mail().as_bytes())
    assert one_pass(settings, engine, sandbox).outcomes == {"accepted": 1}
