"""The long-running worker: one at a time (a lock), woken by IDLE, with a poll as a
safety net and a scheduled outbox flush (APScheduler).

The main thread keeps the IMAP connection: a pass, then IDLE until the server
announces mail or `poll_seconds` pass, then a pass again. Each pass ends by
queueing what the meeting calendar says is due (agenda, call for requests) and,
once a day, by deleting the data kept past its time (`worker.retention`). A lost
connection is re-opened with a growing delay, and the first pass after it
catches up on what arrived meanwhile. The outbox is flushed during and after
each pass and every `flush_seconds`, never twice at once (a lock), so no mail is
sent twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler

from config.errors import SaisineError
from config.retry import delay_after
from config.settings import Settings, Storage
from ingest.mailbox import Mailbox
from notify import sender
from parsers.sandbox import Sandbox
from storage import repo
from storage.db import open_database, rehearsal, session_scope
from worker.meetings import queue_due
from worker.pipeline import Services
from worker.progress import Progress
from worker.retention import purge_daily
from worker.run import Pass, run_once

log = logging.getLogger("saisine.worker")
BACKOFF = (1, 2, 5, 15, 30, 60, 120, 300)  # seconds before reconnecting; the last repeats
SEND_EVERY_SECONDS = 1.0  # during a pass


class WorkerLocked(SaisineError):
    """Another worker already runs on this data folder."""


@contextmanager
def single_worker(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(data_dir / "worker.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise WorkerLocked(f"worker: another worker already runs on {data_dir}") from err
        yield
    finally:
        os.close(fd)


@contextmanager
def services(settings: Settings) -> Iterator[Services]:
    engine = open_database(settings.storage.url())
    with Sandbox(settings) as sandbox:
        try:
            yield Services(settings, engine, sandbox)
        finally:
            engine.dispose()


class Worker:
    def __init__(self, svc: Services, progress: Progress | None = None) -> None:
        self.svc = svc
        self.progress = progress or Progress()
        self.flush_lock = threading.Lock()
        self.stopping = threading.Event()

    def flush(self) -> tuple[int, int]:
        with self.flush_lock:
            try:
                return sender.flush(self.svc.engine, self.svc.settings)
            except SaisineError as err:  # the database away: the next flush retries
                log.warning("outbox flush failed: %s", err)
                return 0, 0

    def one_pass(self, mailbox: Mailbox) -> Pass:
        # Mail goes out while the pass works: on a backlog, sending overlaps the time the
        # parsing child reads fiches, instead of waiting for the whole pass.
        sending: Counter[str] = Counter()
        done = threading.Event()

        def send_meanwhile() -> None:
            while not done.wait(SEND_EVERY_SECONDS):
                sending.update(dict(zip(("sent", "failed"), self.flush(), strict=True)))

        # A daemon: a stop (SIGTERM) never waits on a mail server; an interrupted send is
        # retried later, as after a crash.
        sender_thread = threading.Thread(target=send_meanwhile, name="send-during-pass",
                                         daemon=True)
        sender_thread.start()
        try:
            result = run_once(self.svc, mailbox, self.progress)
            # After the mail, so that an agenda due now includes what just arrived. A pass
            # runs at least every poll_seconds, so the calendar is never looked at late.
            queue_due(self.svc.engine, self.svc.settings)
            purge_daily(self.svc.engine, self.svc.settings, date.today())
        finally:
            done.set()
            sender_thread.join()
        sent, failed = self.flush()
        result.sent, result.send_failures = sent + sending["sent"], failed + sending["failed"]
        if result.outcomes or result.sent:
            log.info("pass: %s, %d mail sent",
                     ", ".join(f"{k}: {n}" for k, n in sorted(result.outcomes.items())),
                     result.sent)
        return result

    def watch(self) -> None:
        """Pass, IDLE, pass... until `stopping` is set; reconnect with backoff on errors."""
        settings = self.svc.settings
        failures = 0
        while not self.stopping.is_set():
            try:
                with Mailbox(settings.imap, settings.folders) as mailbox:
                    self.one_pass(mailbox)  # catches up on what arrived while away
                    failures = 0  # only once a whole pass went through
                    while not self.stopping.is_set():
                        mailbox.wait_for_mail(settings.poll_seconds)
                        self.one_pass(mailbox)
            except SaisineError as err:
                delay = delay_after(BACKOFF, failures)
                failures += 1
                log.warning("%s; reconnecting in %d s", err, delay)
                self.stopping.wait(delay)


def one_pass(svc: Services, progress: Progress | None = None) -> Pass:
    """`saisine run --once`."""
    with Mailbox(svc.settings.imap, svc.settings.folders) as mailbox:
        return Worker(svc, progress).one_pass(mailbox)


@dataclass
class Rehearsal:
    result: Pass
    would_send: Counter


def dry_run(settings: Settings, progress: Progress | None = None) -> Rehearsal:
    """`saisine run --dry-run`: the real pipeline on the real mailbox, with every database
    change rolled back, files kept in a scratch folder, no mail sent, nothing moved."""
    url = settings.storage.url()
    with tempfile.TemporaryDirectory(prefix="saisine-dry-run-") as scratch, \
            rehearsal(url) as connection:
        rehearsed = settings.model_copy(update={"storage": Storage(
            data_dir=Path(scratch), database_url=url)})
        with Sandbox(rehearsed) as sandbox:
            svc = Services(rehearsed, connection, sandbox)  # type: ignore[arg-type]
            mailbox = Mailbox(settings.imap, settings.folders)
            try:
                mailbox.connect(create_folders=False)
                result = run_once(svc, mailbox, progress, touch_server=False)
            finally:
                mailbox.close()
            with session_scope(connection) as session:
                would_send = repo.unsent(session)
    return Rehearsal(result, would_send)


def serve(settings: Settings, progress: Progress | None = None) -> None:
    """Run until stopped (Ctrl-C or SIGTERM)."""
    import signal

    with single_worker(settings.storage.data_dir), services(settings) as svc:
        worker = Worker(svc, progress)
        scheduler = BackgroundScheduler(timezone="UTC")
        scheduler.add_job(worker.flush, "interval", seconds=settings.flush_seconds,
                          max_instances=1, coalesce=True)
        scheduler.start()
        # SIGTERM stops like Ctrl-C: it must interrupt a blocking IDLE, not wait it out.
        # Whatever was not committed is simply handled again by the next worker.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        log.info("worker started (IDLE, poll every %d s)", settings.poll_seconds)
        try:
            worker.watch()
        except KeyboardInterrupt:
            pass
        finally:
            worker.stopping.set()
            scheduler.shutdown(wait=True)
            log.info("worker stopped")
