"""The long-running worker: one at a time (a lock), passes on a schedule (APScheduler).

Each pass opens the mailbox, handles what waits and flushes the outbox; a pass that
fails (mail server or database away) is logged and the next one tries again.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

from apscheduler.schedulers.blocking import BlockingScheduler

from config.errors import SaisineError
from config.settings import Settings
from ingest.mailbox import Mailbox
from parsers.sandbox import Sandbox
from storage.db import make_engine, migrate
from worker.pipeline import Services
from worker.run import Pass, run_once

log = logging.getLogger("saisine.worker")


class WorkerLocked(SaisineError):
    """Another worker already runs on this data folder."""


@contextmanager
def single_worker(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / "worker.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
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
    engine = make_engine(settings.storage.url())
    migrate(engine)
    with Sandbox(settings) as sandbox:
        try:
            yield Services(settings, engine, sandbox)
        finally:
            engine.dispose()


def one_pass(svc: Services) -> Pass:
    with Mailbox(svc.settings.imap, svc.settings.folders) as mailbox:
        return run_once(svc, mailbox)


def serve(settings: Settings) -> None:
    """Run passes every `poll_seconds` until stopped (Ctrl-C or SIGTERM)."""
    with single_worker(settings.storage.data_dir), services(settings) as svc:
        scheduler = BlockingScheduler(timezone="UTC")

        def job() -> None:
            try:
                result = one_pass(svc)
            except SaisineError as err:
                log.warning("pass failed, will retry: %s", err)
                return
            if result.outcomes or result.sent:
                log.info("pass: %s, %d mail sent", dict(result.outcomes), result.sent)

        scheduler.add_job(job, "interval", seconds=settings.poll_seconds, max_instances=1,
                          coalesce=True, next_run_time=_now())
        log.info("worker started; a pass every %d s", settings.poll_seconds)
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            log.info("worker stopped")


def _now():  # noqa: ANN202 (a datetime, for APScheduler's first run)
    from datetime import datetime

    return datetime.now(UTC)
