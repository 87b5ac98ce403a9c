"""One pass over the mailbox: every waiting email through the pipeline, each moved out
only after its commit. `worker.service` repeats passes and flushes the outbox."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from config.errors import SaisineError, StorageError
from ingest.mailbox import Mailbox
from storage import repo
from storage.db import session_scope
from storage.models import Outcome, ProcessedMessage
from worker.pipeline import Journey, Services, process
from worker.progress import Progress

log = logging.getLogger("saisine.worker")

# Emails are moved in groups once committed: one IMAP command instead of one each.
MOVE_BATCH = 50


@dataclass
class Seen:
    """One email of a pass, for the people reading the report (never logged)."""

    uid: int
    sender: str
    subject: str
    outcome: Outcome
    reason: str
    references: list[str]

    @classmethod
    def of(cls, uid: int, journey: Journey) -> Seen:
        email = journey.email
        assert journey.outcome is not None  # every journey ends with one
        return cls(uid, email.sender if email else "?", email.subject if email else "?",
                   journey.outcome,
                   journey.decision.reason if journey.decision else "already handled",
                   journey.references)


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
    moves: list[tuple[int, str]] = []  # committed, not yet moved
    if touch_server:
        for seen in replay_requested(services):
            result.outcomes[seen.outcome] += 1
            result.references.extend(seen.references)
            result.emails.append(seen)
    try:
        for uid, raw, arrived in mailbox.fetch(waiting):
            seen = _handle(services, mailbox, uid, raw, arrived)
            result.outcomes[seen.outcome] += 1
            result.references.extend(seen.references)
            result.emails.append(seen)
            if touch_server:
                moves.append((uid, folders.quarantine if seen.outcome.quarantined
                              else folders.processed))
            if len(moves) >= MOVE_BATCH:
                _move(services, mailbox, moves)
            progress.advance()
            log.info("message %s: %s", uid, seen.outcome)
    except BaseException:
        # The pass stops (connection lost, database away, a kill): what was committed
        # still leaves the inbox if it can; if not, the next pass recognises it.
        with contextlib.suppress(SaisineError):
            _move(services, mailbox, moves)
        raise
    _move(services, mailbox, moves)
    progress.finish()
    return result


# The place a replayed email is recorded at: its own (mailbox, UIDVALIDITY, UID), one per
# set-aside record, so that a replay is done once however often the pass stops.
REPLAY_MAILBOX = "Saisine/relecture"


def replay_requested(services: Services) -> list[Seen]:
    """The set-aside emails a person asked to have read again (from the bureau): each goes
    through the pipeline from its stored copy, recorded at its own place; then its first
    record is marked dealt with. The email itself stays in the quarantine folder."""
    done = []
    with session_scope(services.engine) as session:
        asked = [(r.id, r.raw_sha256, r.processed_at) for r in repo.replays_requested(session)]
    for record_id, sha256, processed_at in asked:
        assert record_id is not None and sha256 is not None
        path = repo.file_path(services.settings.storage.data_dir, sha256)
        if path.exists():
            done.append(Seen.of(record_id, process(
                path.read_bytes(), REPLAY_MAILBOX, 0, record_id, services,
                received=processed_at, replay_of=record_id)))
        with session_scope(services.engine) as session:
            record = session.get(ProcessedMessage, record_id)
            if record is not None:
                repo.handled(session, record)
                repo.audit(session, "email.replayed", None, f"record {record_id}")
    return done


def _handle(services: Services, mailbox: Mailbox, uid: int, raw: bytes,
            arrived: datetime | None) -> Seen:
    """One email through the pipeline, committed; a bug in it quarantines that email."""
    try:
        journey = process(raw, services.settings.folders.inbox, mailbox.uidvalidity, uid,
                          services, received=arrived)
    except StorageError:
        raise  # without the database nothing can be recorded: stop, retry the pass later
    except Exception as err:  # a bug on one email must not stop the others
        return Seen(uid, "?", "?", Outcome.QUARANTINE,
                    _record_crash(services, mailbox, uid, raw, err), [])
    return Seen.of(uid, journey)


def _move(services: Services, mailbox: Mailbox, moves: list[tuple[int, str]]) -> None:
    """Move committed emails out of the inbox, one command per folder, then note it."""
    if not moves:
        return
    for folder in dict.fromkeys(f for _, f in moves):
        mailbox.move([uid for uid, f in moves if f == folder], folder)
    with session_scope(services.engine) as session:
        repo.mark_moved(session, services.settings.folders.inbox, mailbox.uidvalidity,
                        [uid for uid, _ in moves])
    moves.clear()


def _record_crash(services: Services, mailbox: Mailbox, uid: int, raw: bytes,
                  err: Exception) -> str:
    reason = f"internal error: {type(err).__name__}"
    # Where it broke, for whoever fixes it: the frames only. The exception's text and the
    # frames' variables may hold what the email said, and logs never carry pupil data.
    frames = " < ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}"
                        for f in reversed(traceback.extract_tb(err.__traceback__)))
    log.error("message %s could not be handled (%s at %s); quarantined", uid,
              type(err).__name__, frames)
    with session_scope(services.engine) as session:
        if repo.find_processed(session, services.settings.folders.inbox, mailbox.uidvalidity,
                               uid) is None:
            repo.record_processed(session, mailbox=services.settings.folders.inbox,
                                  uidvalidity=mailbox.uidvalidity, uid=uid,
                                  content_hash=hashlib.sha256(raw).hexdigest(),
                                  outcome=Outcome.QUARANTINE, reason=reason)
    return reason
