"""The operations the worker performs on the database, each inside the caller's session.

Callers open one `session_scope` per email, so a request, its files, its outbox mail
and the processed-message record are committed together or not at all.
"""

from __future__ import annotations

import collections
import hashlib
import os
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.models import (
    AuditEvent,
    Counter,
    Direction,
    MailKind,
    Message,
    Note,
    Outbox,
    Outcome,
    ProcessedMessage,
    Request,
    RequestStatus,
    StoredFile,
    utcnow,
)

if TYPE_CHECKING:
    from notify.mails import Draft

# --- messages -----------------------------------------------------------------

def find_processed(session: Session, mailbox: str, uidvalidity: int,
                   uid: int) -> ProcessedMessage | None:
    return session.exec(select(ProcessedMessage).where(
        ProcessedMessage.mailbox == mailbox, ProcessedMessage.uidvalidity == uidvalidity,
        ProcessedMessage.uid == uid)).first()


def find_seen(session: Session, mailbox: str, uidvalidity: int, uid: int,
              content_hash: str) -> tuple[ProcessedMessage | None, ProcessedMessage | None]:
    """(the record for this place, the first record of these bytes), in one query: asked
    for every email of every pass. The same bytes under another UID mean a UIDVALIDITY
    change, a move by hand, or the same email delivered twice."""
    found = session.exec(select(ProcessedMessage).where(or_(
        col(ProcessedMessage.content_hash) == content_hash,
        and_(col(ProcessedMessage.mailbox) == mailbox,
             col(ProcessedMessage.uidvalidity) == uidvalidity,
             col(ProcessedMessage.uid) == uid))).order_by(col(ProcessedMessage.id))).all()
    here = next((m for m in found if (m.mailbox, m.uidvalidity, m.uid) ==
                 (mailbox, uidvalidity, uid)), None)
    same = next((m for m in found if m.content_hash == content_hash), None)
    return here, same


def mark_moved(session: Session, mailbox: str, uidvalidity: int, uids: list[int]) -> None:
    """The server was touched (after the commit): these messages left the inbox."""
    session.execute(update(ProcessedMessage).where(
        col(ProcessedMessage.mailbox) == mailbox,
        col(ProcessedMessage.uidvalidity) == uidvalidity,
        col(ProcessedMessage.uid).in_(uids)).values(moved_at=utcnow()))


def record_processed(session: Session, *, mailbox: str, uidvalidity: int, uid: int,
                     content_hash: str, outcome: Outcome, reason: str | None = None,
                     message_id: str | None = None, request_id: int | None = None,
                     sender: str | None = None, subject: str | None = None,
                     raw_sha256: str | None = None) -> ProcessedMessage:
    """`sender`, `subject` and the stored email are kept only for an email set aside, for
    the person who will look at it."""
    quarantined = Outcome(outcome).quarantined
    message = ProcessedMessage(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid,
                               content_hash=content_hash, message_id=message_id,
                               outcome=outcome, reason=reason, request_id=request_id,
                               sender=(sender or None) if quarantined else None,
                               subject=(subject or "")[:500] if quarantined else None,
                               raw_sha256=raw_sha256 if quarantined else None)
    session.add(message)
    session.flush()
    return message


# --- requests -------------------------------------------------------------------

def next_reference(session: Session, year: int) -> str:
    """PR-YYYY-NNNN, numbered without gaps within the transaction that uses it."""
    name = f"PR-{year}"
    counter = session.exec(select(Counter).where(Counter.name == name).with_for_update()).first()
    if counter is None:
        counter = Counter(name=name, value=0)
        session.add(counter)
    counter.value += 1
    session.flush()
    return f"{name}-{counter.value:04d}"


def find_request(session: Session, reference: str) -> Request | None:
    return session.exec(select(Request).where(Request.reference == reference)).first()


def find_request_by_fiche(session: Session, fiche_hash: str) -> Request | None:
    """The request this file is the fiche of, or one of the files of (a correction
    already received, sent again)."""
    found = session.exec(select(Request).where(Request.fiche_hash == fiche_hash)).first()
    if found is None:
        found = session.exec(select(Request).join(
            StoredFile, col(StoredFile.request_id) == col(Request.id)).where(
            col(StoredFile.sha256) == fiche_hash)).first()
    return found


def find_request_by_keys(session: Session, identity: str | None,
                         content: str | None) -> tuple[Request | None, Request | None]:
    """(a request read the same, one about the same school and pupil): a fiche sent again
    in another format, or a corrected one."""
    same = session.exec(select(Request).where(col(Request.content_key) == content)
                        .order_by(col(Request.id))).first() if content else None
    about = session.exec(select(Request).where(col(Request.identity_key) == identity)
                         .order_by(col(Request.id).desc())).first() if identity else None
    return same, about


def add_request(session: Session, request: Request) -> Request:
    session.add(request)
    session.flush()
    return request


# --- files ----------------------------------------------------------------------

def file_path(data_dir: Path, sha256: str) -> Path:
    return data_dir / "files" / sha256[:2] / sha256


def store_blob(data_dir: Path, data: bytes) -> str:
    """Write `data` once under its hash, owner-only; returns the hash. Written before the
    commit: a file left by a rolled-back transaction is only an unreferenced copy."""
    sha256 = hashlib.sha256(data).hexdigest()
    path = file_path(data_dir, sha256)
    if not path.exists():
        for folder in (path.parent.parent, path.parent):  # mkdir's mode skips parents
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return sha256


def store_file(session: Session, data_dir: Path, request: Request, data: bytes,
               name: str) -> StoredFile:
    """Keep a file for a request: written once per content, owner-only, never under the
    sender's name."""
    sha256 = store_blob(data_dir, data)
    existing = session.exec(select(StoredFile).where(
        StoredFile.request_id == request.id, StoredFile.sha256 == sha256)).first()
    if existing:
        return existing
    assert request.id is not None  # flushed by add_request
    stored = StoredFile(request_id=request.id, sha256=sha256, size=len(data), name=name)
    session.add(stored)
    session.flush()
    return stored


# --- outbox -----------------------------------------------------------------------

def enqueue(session: Session, draft: Draft) -> Outbox | None:
    """Queue a mail once per key; None when that key was queued already."""
    if session.exec(select(Outbox).where(Outbox.key == draft.key)).first():
        return None
    mail = Outbox(key=draft.key, kind=draft.kind, recipients=draft.recipients,
                  subject=draft.subject, body_text=draft.text, body_html=draft.html,
                  in_reply_to=draft.in_reply_to, attach_sha256=draft.fiche_sha256,
                  message_id=draft.message_id, reference=draft.reference,
                  meeting_date=draft.meeting_date, attachments=draft.attachments)
    session.add(mail)
    session.flush()
    request = find_request(session, draft.reference) \
        if draft.reference and draft.kind.to_school else None
    if request is not None:
        add_message(session, request, Direction.OUT, ", ".join(draft.recipients),
                    draft.subject, outbox_id=mail.id)
    return mail


def add_message(session: Session, request: Request, direction: Direction, correspondent: str,
                subject: str = "", body: str = "", files: list[str] | None = None,
                processed_id: int | None = None, outbox_id: int | None = None,
                at: datetime | None = None, read: bool = False) -> Message:
    """One more email in a request's conversation. `read`: nobody needs to be shown it
    as new (the email that brought the fiche is the request itself)."""
    assert request.id is not None  # flushed by add_request
    at = at or utcnow()
    message = Message(request_id=request.id, direction=direction,
                      correspondent=correspondent[:320], subject=subject[:500], body=body,
                      files=files or [], processed_id=processed_id, outbox_id=outbox_id,
                      at=at, read_at=at if read else None)
    session.add(message)
    session.flush()
    return message


def conversation(session: Session, request: Request) -> list[tuple[Message, Outbox | None]]:
    """Every email of a request, in and out, in the order they were handled (an email's
    own time may be a second behind our answer to an earlier one); a mail out with what
    it said."""
    rows = session.exec(select(Message, Outbox).join(
        Outbox, col(Message.outbox_id) == col(Outbox.id), isouter=True).where(
        col(Message.request_id) == request.id).order_by(col(Message.id)))
    return [(message, mail) for message, mail in rows]


def last_school_email_id(session: Session, request: Request) -> str | None:
    """The Message-ID of the school's latest email about this request: a reply threads
    under it."""
    found = session.exec(select(ProcessedMessage.message_id).join(
        Message, col(Message.processed_id) == ProcessedMessage.id).where(
        col(Message.request_id) == request.id, col(Message.direction) == Direction.IN,
        col(ProcessedMessage.message_id).is_not(None)).order_by(col(Message.id).desc())).first()
    return found


def replies_to(session: Session, address: str, since: datetime) -> int:
    """How many answers (acknowledgements, requests for a fiche) went to `address` since."""
    answers = [kind for kind in MailKind if kind.answers_sender]
    recent = session.exec(select(Outbox.recipients).where(
        col(Outbox.kind).in_(answers), col(Outbox.created_at) >= since))
    return sum(address.lower() in (r.lower() for r in recipients) for recipients in recent)


def reference_answered(session: Session, in_reply_to: str | None) -> str | None:
    """The request whose mail (an acknowledgement) this email replies to."""
    mail = mail_answered(session, in_reply_to)
    return mail.reference if mail else None


def mail_answered(session: Session, in_reply_to: str | None) -> Outbox | None:
    """Our mail this email replies to (an acknowledgement may list several requests)."""
    if not in_reply_to:
        return None
    return session.exec(select(Outbox).where(Outbox.message_id == in_reply_to)).first()


def due_mail(session: Session, now: datetime | None = None, limit: int = 50) -> list[Outbox]:
    now = now or utcnow()
    return list(session.exec(select(Outbox).where(
        col(Outbox.sent_at).is_(None), col(Outbox.next_attempt_at) <= now)
        .order_by(col(Outbox.id)).limit(limit)))


def mark_sent(session: Session, mail: Outbox, at: datetime | None = None) -> None:
    mail.sent_at = at or utcnow()
    mail.last_error = None
    session.add(mail)


def mark_failed(session: Session, mail: Outbox, error: str, retry_at: datetime) -> None:
    mail.attempts += 1
    mail.last_error = error[:500]
    mail.next_attempt_at = retry_at
    session.add(mail)


# --- audit ----------------------------------------------------------------------------

def audited(session: Session, event: str, detail: str) -> bool:
    """Whether this event was recorded with this detail: marks what was done once."""
    return session.exec(select(AuditEvent.id).where(
        AuditEvent.event == event, AuditEvent.detail == detail)).first() is not None


def agenda_requests(session: Session, meeting: date) -> list[Request]:
    """What a meeting studies: open requests assigned to it, carried over from an earlier
    one, or received while the calendar had no meeting."""
    return list(session.exec(select(Request).where(
        col(Request.status).in_([s for s in RequestStatus if s.open]),
        or_(col(Request.meeting_date) <= meeting, col(Request.meeting_date).is_(None)))
        .order_by(col(Request.created_at))))


def remember(request: Request, at: datetime | None = None, **change: Any) -> None:
    """Keep the request's state as it stands (status, decision, who follows it up) in its
    history, before it changes; `change` says what changes, and who changes it."""
    request.history = [*request.history, {
        "at": (at or utcnow()).isoformat(), "status": request.status,
        "decision": request.decision, "referent": request.referent, **change}]


def decide(session: Session, reference: str, decision: str | None, referent: str | None,
           close: bool) -> Request | None:
    """Record what the pôle decided ("suite donnée"), and close the request if asked."""
    request = find_request(session, reference)
    if request is None:
        return None
    if request.decision or not RequestStatus(request.status).open:
        # Deciding again (a closed request reopened, a decision revised): the earlier
        # decision stays in the request's history.
        remember(request, at=request.decided_at)
    if decision:
        request.decision, request.decided_at = decision, utcnow()
        request.status = RequestStatus.DECIDED
    if referent:
        request.referent = referent
    if close:
        request.status = RequestStatus.CLOSED
        request.decided_at = request.decided_at or utcnow()
    session.add(request)
    return request


# --- retention ----------------------------------------------------------------------------

def all_requests(session: Session) -> list[Request]:
    return list(session.exec(select(Request).order_by(col(Request.id))))


def forget_request(session: Session, request: Request, dry_run: bool) -> tuple[int, int]:
    """Delete a request, the records of its files and its mail; the record that its email
    was handled stays (without the link), so the email is never handled again. Returns
    (files, mails). The files themselves go with `sweep_files`, after the commit."""
    files = list(session.exec(select(StoredFile).where(StoredFile.request_id == request.id)))
    mails = list(session.exec(select(Outbox).where(Outbox.reference == request.reference)))
    messages = list(session.exec(select(Message).where(Message.request_id == request.id)))
    notes = list(session.exec(select(Note).where(Note.request_id == request.id)))
    if not dry_run:
        for row in [*messages, *notes]:
            session.delete(row)
        session.flush()  # the messages point to the mail
        for row in [*files, *mails]:
            session.delete(row)
        for handled in session.exec(select(ProcessedMessage).where(
                ProcessedMessage.request_id == request.id)):
            handled.request_id = None
            session.add(handled)
        session.flush()
        session.delete(request)
    return len(files), len(mails)


def quarantine_details(session: Session) -> list[ProcessedMessage]:
    """Records of set-aside emails that still hold a sender, a subject or a copy."""
    return list(session.exec(select(ProcessedMessage).where(
        col(ProcessedMessage.sender).is_not(None) | col(ProcessedMessage.subject).is_not(None)
        | col(ProcessedMessage.raw_sha256).is_not(None))))


def replays_requested(session: Session) -> list[ProcessedMessage]:
    return list(session.exec(select(ProcessedMessage).where(
        col(ProcessedMessage.replay_requested_at).is_not(None),
        col(ProcessedMessage.raw_sha256).is_not(None)).order_by(col(ProcessedMessage.id))))


def handled(session: Session, record: ProcessedMessage) -> None:
    """A person dealt with a set-aside email: its details are no longer needed."""
    record.handled_at = utcnow()
    forget_details(session, record)


def forget_details(session: Session, record: ProcessedMessage) -> None:
    """A set-aside email's sender, subject and stored copy go (`sweep_files` then deletes
    the copy)."""
    record.sender = record.subject = record.raw_sha256 = record.replay_requested_at = None
    session.add(record)


def agenda_meetings(session: Session) -> list[date]:
    days = session.exec(select(col(Outbox.meeting_date)).where(
        col(Outbox.kind) == MailKind.AGENDA, col(Outbox.meeting_date).is_not(None)))
    return sorted({day for day in days if day is not None})


def forget_agendas(session: Session, meeting: date, dry_run: bool) -> int:
    mails = list(session.exec(select(Outbox).where(
        col(Outbox.kind) == MailKind.AGENDA, col(Outbox.meeting_date) == meeting)))
    if not dry_run:
        for mail in mails:
            session.delete(mail)
    return len(mails)


def sweep_files(engine: Engine, data_dir: Path, older_than_seconds: float = 3600) -> int:
    """Delete stored files nothing refers to any more. Only files older than an hour: a
    file is written just before the commit that names it, maybe by a running worker."""
    from storage.db import session_scope

    with session_scope(engine) as session:
        named = set(session.exec(select(StoredFile.sha256)))
        for attach, documents in session.exec(select(Outbox.attach_sha256, Outbox.attachments)):
            if attach:
                named.add(attach)
            named.update(d["sha256"] for d in documents)
        named.update(raw for raw in session.exec(select(ProcessedMessage.raw_sha256)) if raw)
    removed, limit = 0, time.time() - older_than_seconds
    for path in (data_dir / "files").glob("??/*"):
        if path.name not in named and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def audit(session: Session, event: str, reference: str | None = None,
          detail: str | None = None) -> None:
    session.add(AuditEvent(event=event, reference=reference, detail=(detail or None) and
                           detail[:500]))


# --- reading, for people ----------------------------------------------------------------

def list_requests(session: Session, limit: int = 200) -> list[Request]:
    return list(session.exec(select(Request).order_by(col(Request.id).desc()).limit(limit)))


def files_of(session: Session, request: Request) -> list[StoredFile]:
    return list(session.exec(select(StoredFile).where(StoredFile.request_id == request.id)
                             .order_by(col(StoredFile.id))))


def processed(session: Session, limit: int = 200) -> list[ProcessedMessage]:
    return list(session.exec(select(ProcessedMessage).order_by(
        col(ProcessedMessage.id).desc()).limit(limit)))


def unsent(session: Session) -> collections.Counter[str]:
    """Mail waiting in the outbox, by kind (ack, alert, no_fiche...)."""
    kinds = session.exec(select(Outbox.kind).where(col(Outbox.sent_at).is_(None)))
    return collections.Counter(kinds.all())


def quarantined(session: Session, limit: int = 200) -> list[ProcessedMessage]:
    return list(session.exec(select(ProcessedMessage).where(
        col(ProcessedMessage.outcome).in_([o for o in Outcome if o.quarantined]))
        .order_by(col(ProcessedMessage.id).desc()).limit(limit)))


def forget(session: Session, record_id: int) -> ProcessedMessage | None:
    """Forget a processed-message record, so that the email is read again (replay)."""
    record = session.get(ProcessedMessage, record_id)
    if record is not None:
        session.delete(record)
    return record
