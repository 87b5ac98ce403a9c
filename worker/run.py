"""One pass over the mailbox: every waiting email through the pipeline, each moved out
only after its commit. `worker.service` repeats passes and flushes the outbox."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field

from ingest.mailbox import Mailbox
from storage import repo
from storage.db import StorageError, session_scope
from storage.models import utcnow
from worker.pipeline import Services, process
from worker.progress import Progress

log = logging.getLogger("saisine.worker")

# Outcomes whose email leaves for the quarantine folder, where a person looks.
TO_QUARANTINE = {"quarantined", "no_fiche"}


@dataclass
class Seen:
    """One email of a pass, for the people reading the report (never logged)."""

    uid: int
    sender: str
    subject: str
    outcome: str
    reason: str
    references: list[str]


@dataclass
class Pass:
    outcomes: Counter = field(default_factory=Counter)
    references: list[str] = field(default_factory=list)
    emails: list[Seen] = field(default_factory=list)
    sent: int = 0
    send_failures: int = 0


def run_once(services: Services, mailbox: Mailbox, progress: Progress | None = None,
             touch_server: bool = True) -> Pass:
    """Every waiting email through the pipeline. `touch_server=False` (dry run) leaves
    every email where it is."""
    result = Pass()
    folders = services.settings.folders
    waiting = mailbox.waiting()
    progress = progress or Progress()
    progress.start(len(waiting))
    for uid, raw in mailbox.fetch(waiting):
        reason = ""
        try:
            journey = process(raw, folders.inbox, mailbox.uidvalidity, uid, services)
            outcome = journey.outcome
            reason = journey.decision.reason if journey.decision else "already handled"
            result.references.extend(journey.references)
        except StorageError:
            raise  # without the database nothing can be recorded: stop, retry the pass later
        except Exception as err:  # a bug on one email must not stop the others
            outcome = "quarantined"
            journey = None
            reason = _record_crash(services, mailbox, uid, raw, err)
        if touch_server:
            mailbox.move(uid, folders.quarantine if outcome in TO_QUARANTINE
                         else folders.processed)
            _mark_moved(services, mailbox, uid)
        result.outcomes[outcome] += 1
        email = journey.email if journey else None
        result.emails.append(Seen(uid, email.sender if email else "?",
                                  email.subject if email else "?", outcome, reason,
                                  journey.references if journey else []))
        progress.advance()
        log.info("message %s: %s", uid, outcome)
    progress.finish()
    return result


def _record_crash(services: Services, mailbox: Mailbox, uid: int, raw: bytes,
                  err: Exception) -> str:
    reason = f"internal error: {type(err).__name__}"
    log.error("message %s could not be handled (%s); quarantined", uid, type(err).__name__)
    with session_scope(services.engine) as session:
        if repo.find_processed(session, services.settings.folders.inbox, mailbox.uidvalidity,
                               uid) is None:
            repo.record_processed(session, mailbox=services.settings.folders.inbox,
                                  uidvalidity=mailbox.uidvalidity, uid=uid,
                                  content_hash=hashlib.sha256(raw).hexdigest(),
                                  outcome="quarantined", reason=reason)
    return reason


def _mark_moved(services: Services, mailbox: Mailbox, uid: int) -> None:
    with session_scope(services.engine) as session:
        record = repo.find_processed(session, services.settings.folders.inbox,
                                     mailbox.uidvalidity, uid)
        if record is not None:
            record.moved_at = utcnow()
            session.add(record)
