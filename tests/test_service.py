"""The long-running worker as a process: IDLE wakes it within seconds, it survives the
IMAP server restarting under it, and it stops promptly on SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from config.settings import Folders
from ingest.mailbox import Mailbox
from tests import dovecot as dv
from tests.mail import URGENT, fiche_mail, message
from tests.test_worker import settings_for


@contextmanager
def worker_process(config: Path, log: Path) -> Iterator[subprocess.Popen]:
    """`saisine run` in a process of its own, as a service runs it, its output in `log`.
    Tests stop it themselves (SIGTERM) where they mean to; whatever they left running is
    killed at the end."""
    with open(log, "wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "worker.cli", "--config", str(config),
                                   "run"], stdout=out, stderr=subprocess.STDOUT,
                                  env=dv.worker_env())
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def agenda_recorded_sent(data: Path) -> bool:
    import sqlite3

    try:
        # Read-only: never create the database before the worker does.
        with contextlib.closing(sqlite3.connect(f"file:{data / 'saisine.db'}?mode=ro",
                                                uri=True)) as db:
            return db.execute("SELECT count(*) FROM outbox WHERE kind = 'agenda' "
                              "AND sent_at IS NOT NULL").fetchone()[0] == 1
    except sqlite3.Error:  # not created yet, or busy: ask again
        return False


def received(sink, subject_start: str) -> list:
    """The mail the SMTP server got whose subject starts so."""
    return [m for _, m in sink.messages if str(m["Subject"]).startswith(subject_start)]


def logged(log: Path, text: str) -> bool:
    """Whether the worker's output says `text` yet."""
    return log.exists() and text in log.read_text(errors="replace")


def wait_until(condition, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


def test_idle_wakes_up_when_mail_arrives(tmp_path, dovecot):
    settings = settings_for(tmp_path, dovecot, 25)
    woke: list[float] = []
    with Mailbox(settings.imap, Folders()) as mailbox:
        # Deliver once the server has said it is idling, not after a guessed delay.
        idling, start_idle = threading.Event(), mailbox.client.idle

        def idle():
            answer = start_idle()
            idling.set()
            return answer

        mailbox.client.idle = idle

        def deliver_soon():
            assert idling.wait(10)
            dovecot.deliver(fiche_mail().as_bytes())

        threading.Thread(target=deliver_soon).start()
        started = time.monotonic()
        assert mailbox.wait_for_mail(20) is True
        woke.append(time.monotonic() - started)
    assert woke[0] < 5


def test_worker_alerts_within_seconds_survives_a_server_restart_and_stops(
        tmp_path, dovecot, smtp_server):
    data = tmp_path / "data"
    config = dv.worker_config(tmp_path / "saisine.toml", dovecot, smtp_server.port, data,
                              top="poll_seconds = 120\nflush_seconds = 60")
    log = tmp_path / "worker.log"
    with worker_process(config, log) as worker:
        wait_until(lambda: logged(log, "connected to imap"), 30)
        dovecot.deliver(fiche_mail(URGENT).as_bytes())
        alerted = wait_until(lambda: any(to == ["ien.voiron@ac-grenoble.fr"]
                                         for to, _ in smtp_server.messages), 20)
        assert alerted < 10

        dovecot.kick()  # the worker's IMAP connection is cut mid-IDLE...
        dovecot.restart()  # ...and the server restarts
        dovecot.deliver(fiche_mail({**URGENT, "eleve_nom": "GIRARD"}).as_bytes())
        wait_until(lambda: sum(to == ["ien.voiron@ac-grenoble.fr"]
                               for to, _ in smtp_server.messages) == 2, 40)
        assert dovecot.uids("INBOX") == []

        stopping = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(15) == 0 or worker.returncode in (0, 130)
        assert time.monotonic() - stopping < 15
    output = (tmp_path / "worker.log").read_text()
    assert "reconnecting" in output and "Traceback" not in output
    assert "ROUX" not in output and "GIRARD" not in output  # no pupil data in logs


def test_the_running_worker_sends_a_due_agenda_once_across_restarts(
        tmp_path, dovecot, smtp_server):
    """The deadline passed (real clock): the worker queues and sends the agenda at
    start-up; restarted, it sends nothing more."""
    from datetime import date, timedelta

    meeting = date.today() + timedelta(days=10)
    data = tmp_path / "data"
    config = dv.worker_config(tmp_path / "saisine.toml", dovecot, smtp_server.port, data)
    config.write_text(config.read_text() + f"""
[[meetings]]
date = {meeting.isoformat()}
deadline = {(date.today() - timedelta(days=7)).isoformat()}

[[pole]]
name = "Mme Inspectrice"
role = "IEN"
email = "ien.voiron@ac-grenoble.fr"
""")
    dovecot.deliver(fiche_mail().as_bytes())
    def agendas() -> list:
        return received(smtp_server, "Ordre du jour")

    for run in range(2):
        log = tmp_path / f"worker{run}.log"
        if run == 1:
            # Something to read, so that the log says when the first pass (and the look at
            # the calendar that ends it) is over.
            dovecot.deliver(message(subject="Réponse automatique : absente",
                                    Auto_Submitted="auto-replied").as_bytes())
        with worker_process(config, log) as worker:
            if run == 0:
                # Until the worker has recorded it as sent: stopped between the SMTP
                # server's answer and that record, it would rightly send it again.
                wait_until(lambda: agenda_recorded_sent(data), 30)
                assert len(agendas()) == 1
            else:
                wait_until(lambda log=log: logged(log, "pass: machine: 1"), 30)
            worker.send_signal(signal.SIGTERM)
            worker.wait(15)
    assert len(agendas()) == 1
    # Looked at after the pass: the fiche that was waiting is on the agenda.
    assert "1 demande reçue jusqu" in agendas()[0].get_body(("plain",)).get_content()
    attached = [a.get_filename() for a in agendas()[0].iter_attachments()]
    assert attached == [f"ordre-du-jour-pole-ressource-{meeting.isoformat()}.docx",
                        f"ordre-du-jour-pole-ressource-{meeting.isoformat()}.pdf"]


def test_the_worker_rides_out_the_database_going_away(tmp_path, dovecot, smtp_server,
                                                     fresh_postgres):
    """PostgreSQL drops every connection and refuses new ones for a few seconds: the
    worker retries by itself, and the email that came meanwhile is handled once."""
    from sqlalchemy import create_engine, text

    from tests.conftest import POSTGRES_ADMIN

    name = fresh_postgres.rsplit("/", 1)[1]
    config = dv.worker_config(tmp_path / "saisine.toml", dovecot, smtp_server.port,
                              tmp_path / "data", top="poll_seconds = 2",
                              database_url=fresh_postgres)
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with worker_process(config, tmp_path / "worker.log") as worker:
            dovecot.deliver(fiche_mail().as_bytes())
            wait_until(lambda: len(received(smtp_server, "[PR-")) == 1, 30)
            with admin.connect() as c:
                c.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
                c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               f"WHERE datname = '{name}'"))
            dovecot.deliver(fiche_mail(URGENT).as_bytes())
            wait_until(lambda: logged(tmp_path / "worker.log", "reconnecting"), 30)
            with admin.connect() as c:
                c.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
            wait_until(lambda: len(received(smtp_server, "[PR-")) == 2, 60)
            worker.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(30)  # else killed on leaving
    finally:
        admin.dispose()
    output = (tmp_path / "worker.log").read_text()
    assert "database" in output and "reconnecting" in output and "Traceback" not in output
    engine = create_engine(fresh_postgres)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM request")).scalar() == 2
    engine.dispose()
    assert dovecot.uids("INBOX") == []


def test_a_connection_cut_silently_during_idle_is_noticed(tmp_path, dovecot, smtp_server):
    """The IMAP connection goes silent (nothing arrives, nothing is closed): the next poll
    finds it dead within its timeout, the worker reconnects and reads the new mail."""
    from tests.proxy import SilentCut

    relay = SilentCut(dovecot.tls_port)
    data = tmp_path / "data"
    config = dv.worker_config(tmp_path / "saisine.toml", dovecot, smtp_server.port, data,
                              top="poll_seconds = 3")
    config.write_text(config.read_text().replace(f"port = {dovecot.tls_port}",
                                                 f"port = {relay.port}\ntimeout = 3"))
    try:
        with worker_process(config, tmp_path / "worker.log") as worker:
            dovecot.deliver(fiche_mail().as_bytes())
            wait_until(lambda: len(received(smtp_server, "[PR-")) == 1, 30)
            wait_until(lambda: logged(tmp_path / "worker.log", "pass: accepted: 1"), 30)
            relay.cut()  # the pass is over: the worker is (going) back to IDLE
            dovecot.deliver(fiche_mail(URGENT).as_bytes())
            wait_until(lambda: len(received(smtp_server, "[PR-")) == 2, 40)
            worker.send_signal(signal.SIGTERM)
            worker.wait(15)
    finally:
        relay.close()
    output = (tmp_path / "worker.log").read_text()
    assert "connection lost while waiting" in output and "reconnecting" in output
    assert "Traceback" not in output


def test_sigterm_while_a_mail_is_being_accepted_stops_at_once(tmp_path, dovecot):
    """The SMTP server takes its time over a message when the stop comes: the worker
    hangs up rather than wait (the mail is retried at the next start)."""
    import asyncio

    from demo.smtp import MailSink

    class SlowSink(MailSink):
        started = False

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            SlowSink.started = True
            await asyncio.sleep(20)
            return await super().handle_DATA(server, session, envelope)

    with SlowSink() as sink:
        config = dv.worker_config(tmp_path / "saisine.toml", dovecot, sink.port,
                                  tmp_path / "data")
        dovecot.deliver(fiche_mail().as_bytes())
        with worker_process(config, tmp_path / "worker.log") as worker:
            wait_until(lambda: SlowSink.started, 30)
            stopping = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            worker.wait(15)
            assert time.monotonic() - stopping < 8
    assert "Traceback" not in (tmp_path / "worker.log").read_text()


def test_the_scheduler_says_nothing_at_info():
    import logging

    from worker.cli.service import log_events

    log_events()
    # Set on the scheduler's own logger, whatever the root's level (INFO for `saisine run`).
    assert logging.getLogger("apscheduler").level == logging.WARNING
