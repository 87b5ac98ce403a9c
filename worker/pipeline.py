"""One email's journey, as an explicit list of steps (after GNU Mailman's pipelines).

Each step reads and fills the `Journey`; a step may end it early (`journey.done`).
The facts the steps gather go to `routing.route`, which decides; `store` then
writes everything the decision implies (requests, files, outbox mail, the
processed-message record, the audit trail) in one transaction. The mail server
is touched only after that commit, by the caller.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.calendar import find_member, meeting_for
from config.errors import EmailError, ExtractionError
from config.settings import Settings
from ingest.message import Email, read_email
from notify import mails
from parsers.model import Extraction
from parsers.registry import sniff
from parsers.sandbox import Sandbox
from storage import repo
from storage.db import session_scope
from storage.models import Direction, Outcome, Request
from worker.routing import (
    Decision,
    Read,
    Sender,
    fiche_keys,
    may_update,
    quiet_reason,
    references_in,
    robot_reason,
    route,
    sender_allowed,
    take_fields,
)

FICHE_KINDS = {"docx", "odt", "doc", "rtf", "pdf", "image"}


@dataclass
class Services:
    """What the steps need, built once by the worker."""

    settings: Settings
    engine: Engine
    sandbox: Sandbox


@dataclass
class Journey:
    raw: bytes
    mailbox: str
    uidvalidity: int
    uid: int
    # When the email reached us (the server's INTERNALDATE, else our clock): it dates the
    # request and picks its meeting. Never the sender's Date: header, which is theirs.
    received: datetime = field(default_factory=lambda: datetime.now(UTC))
    content_hash: str = ""
    email: Email | None = None
    unreadable: str | None = None
    sender: Sender = field(default_factory=Sender)
    reads: list[Read] = field(default_factory=list)
    known_fiches: set[str] = field(default_factory=set)
    replied_reference: str | None = None
    reply_trusted: bool = False
    also_replied: tuple[str, ...] = ()  # the other requests a reply answers
    corrects: str | None = None  # the request a new fiche corrects (same school and pupil)
    # The set-aside email (its record) this journey reads again, at a person's request.
    replay_of: int | None = None
    decision: Decision | None = None
    references: list[str] = field(default_factory=list)
    done: bool = False
    outcome: Outcome | None = None


def already_seen(j: Journey, s: Services) -> None:
    """Same place, or same bytes elsewhere (UIDVALIDITY changed, moved by hand): never twice."""
    j.content_hash = hashlib.sha256(j.raw).hexdigest()
    with session_scope(s.engine) as session:
        here, earlier = repo.find_seen(session, j.mailbox, j.uidvalidity, j.uid, j.content_hash)
        if here:
            j.done, j.outcome = True, Outcome.SEEN
            return
        if earlier and earlier.id != j.replay_of:
            repo.record_processed(session, mailbox=j.mailbox, uidvalidity=j.uidvalidity,
                                  uid=j.uid, content_hash=j.content_hash,
                                  message_id=earlier.message_id, outcome=Outcome.SEEN,
                                  reason=f"same message as record {earlier.id}",
                                  request_id=earlier.request_id)
            j.done, j.outcome = True, Outcome.SEEN


def parse(j: Journey, s: Services) -> None:
    try:
        j.email = read_email(j.raw)
    except EmailError as err:
        j.unreadable = str(err)


def screen(j: Journey, s: Services) -> None:
    if j.email is None:
        return
    circo = s.settings.circonscription
    robot = robot_reason(j.email, circo.own_addresses + [circo.sender])
    j.sender = Sender(robot=robot, quiet=quiet_reason(j.email, robot),
                      allowed=sender_allowed(j.email, circo.allowed_domains))


def read_attachments(j: Journey, s: Services) -> None:
    """Extract every attachment that may be a fiche, from any school's address: machine
    headers decide whether we answer, never whether we read."""
    if j.email is None or not j.sender.allowed:
        return
    for attachment in j.email.attachments:
        kind = sniff(attachment.data)
        if kind not in FICHE_KINDS:
            j.reads.append(Read(attachment, None))  # another document (a report, a table)
            continue
        if kind == "image" and len(attachment.data) < s.settings.min_scan_bytes:
            continue  # a logo or a signature
        try:
            j.reads.append(Read(attachment, s.sandbox.extract(attachment.data, attachment.name)))
        except ExtractionError as err:
            j.reads.append(Read(attachment, None, error=str(err)))


def find_thread(j: Journey, s: Services) -> None:
    if j.email is None:
        return
    with session_scope(s.engine) as session:
        named = _replied(session, j.email)
        if named:
            j.replied_reference = _concerned(named, j.reads).reference
            trusted = [r for r in named if may_update(j.email.sender, r.sender,
                                                      r.fields.get("ecole_uai"), s.settings)]
            j.reply_trusted = any(r.reference == j.replied_reference for r in trusted)
            j.also_replied = tuple(r.reference for r in trusted
                                   if r.reference != j.replied_reference)
        for read in j.reads:
            if not read.is_fiche or read.extraction is None:
                continue
            if repo.find_request_by_fiche(session, read.attachment.sha256):
                j.known_fiches.add(read.attachment.sha256)
                continue
            # Known by what it says: the same fiche in another file, or a corrected one.
            same, about = repo.find_request_by_keys(session, *fiche_keys(read.extraction.fields))
            if same is not None:
                j.known_fiches.add(read.attachment.sha256)
            elif about is not None and about.reference != j.replied_reference and may_update(
                    j.email.sender, about.sender, about.fields.get("ecole_uai"), s.settings):
                j.corrects = about.reference


def _replied(session: Session, email: Email) -> list[Request]:
    """The known requests an email answers: those its subject names, else those of our
    mail it replies to (an acknowledgement lists every request of the email it answered)."""
    references = references_in(email.subject)
    if not references:
        mail = repo.mail_answered(session, email.in_reply_to)
        references = (references_in(mail.subject) or [mail.reference or ""]) if mail else []
    found = (repo.find_request(session, reference) for reference in references)
    return [request for request in found if request is not None]


def _concerned(named: list[Request], reads: list[Read]) -> Request:
    """Of the requests a reply names, the one its fiche is about (same school and pupil),
    else the first named."""
    for read in reads:
        if read.is_fiche and read.extraction is not None:
            identity, _ = fiche_keys(read.extraction.fields)
            match = next((r for r in named if identity and r.identity_key == identity), None)
            if match is not None:
                return match
    return named[0]


def decide(j: Journey, s: Services) -> None:
    if j.email is None:
        j.decision = Decision(Outcome.QUARANTINE, j.unreadable or "unreadable email")
        return
    j.decision = route(j.email, sender=j.sender, reads=j.reads, known_fiches=j.known_fiches,
                       replied_reference=j.replied_reference, reply_trusted=j.reply_trusted,
                       ask_for_fiche=s.settings.ask_for_fiche, corrects=j.corrects,
                       also_replied=j.also_replied)


def store(j: Journey, s: Services) -> None:
    """Everything the decision implies, in one transaction."""
    decision = j.decision
    assert decision is not None
    with session_scope(s.engine) as session:
        requests: list[Request] = []
        if decision.outcome == Outcome.NEW:
            requests = [_new_request(session, j, s, read, decision) for read in decision.fiches]
        elif decision.outcome == Outcome.ATTACHED:
            requests = [_attach(session, j, s, decision)] + [
                _attach_also(session, j, s, decision, reference) for reference in decision.also]
        first_request = requests[0] if requests else None
        # An email set aside is kept for the bureau, where a person may make a request of it.
        raw = repo.store_blob(s.settings.storage.data_dir, j.raw) \
            if decision.outcome.quarantined else None
        record = repo.record_processed(
            session, mailbox=j.mailbox, uidvalidity=j.uidvalidity, uid=j.uid,
            content_hash=j.content_hash, message_id=j.email.message_id if j.email else None,
            outcome=decision.outcome, reason=decision.reason[:500],
            request_id=first_request.id if first_request else None,
            sender=j.email.sender if j.email else None,
            subject=j.email.subject if j.email else None, raw_sha256=raw)
        for request in requests:
            _converse(session, j, request, decision, record.id)
        if decision.outcome == Outcome.NEW:
            _acknowledge(session, j, s, decision, requests)
        elif decision.outcome == Outcome.ATTACHED:
            for request in requests:
                _tell_followers(session, j, s, request)
        elif decision.outcome == Outcome.NO_FICHE and decision.answer:
            _ask_for_fiche(session, j, s)
        repo.audit(session, f"email.{decision.outcome.value}",
                   first_request.reference if first_request else None, decision.reason[:200])
    j.outcome = decision.outcome


PIPELINE: list[Callable[[Journey, Services], None]] = [
    already_seen, parse, screen, read_attachments, find_thread, decide, store,
]


def process(raw: bytes, mailbox: str, uidvalidity: int, uid: int, services: Services,
            received: datetime | None = None, replay_of: int | None = None) -> Journey:
    """Run one email through the pipeline; returns the journey (outcome, references).
    `replay_of`: the record of this same email, set aside, that a person asked to have
    read again (its bytes are not "the same email again")."""
    journey = Journey(raw, mailbox, uidvalidity, uid, replay_of=replay_of)
    if received is not None:
        journey.received = received
    for step in PIPELINE:
        step(journey, services)
        if journey.done:
            break
    return journey


# --- what `store` writes ----------------------------------------------------------------

def _new_request(session: Session, j: Journey, s: Services, read: Read,
                 decision: Decision) -> Request:
    extraction = read.extraction
    assert extraction is not None and j.email is not None
    fields = extraction.fields
    urgent = bool(fields.get("urgence")) or decision.urgent_subject
    # The circonscription's day, not UTC's: a fiche at 0:30 on the day after the deadline
    # is late.
    local = j.received.astimezone(ZoneInfo(s.settings.agenda.timezone))
    meeting, late = meeting_for(s.settings.meetings, local.date(),
                                s.settings.meeting_deadline_days)
    request = Request(
        reference=repo.next_reference(session, local.year), sender=j.email.sender,
        created_at=j.received, fiche_hash=read.attachment.sha256, method=extraction.method,
        urgent=urgent, source_message_id=j.email.message_id,
        meeting_date=meeting.date if meeting else None, late=late)
    _read_into(request, extraction)
    repo.add_request(session, request)
    _keep_files(session, s, request, [read.attachment] + decision.others)
    if urgent:
        _alert(session, j, s, request, read.attachment.sha256, decision.urgent_subject)
    repo.audit(session, "request.created", request.reference,
               f"method={extraction.method} urgent={urgent} review={extraction.needs_review}")
    j.references.append(request.reference)
    return request


def _attach(session: Session, j: Journey, s: Services, decision: Decision) -> Request:
    request = repo.find_request(session, decision.reference or "")
    assert request is not None
    files = [r.attachment for r in decision.fiches] + decision.others
    _keep_files(session, s, request, files)
    corrected = next((r for r in decision.fiches if r.extraction is not None), None)
    if corrected is not None and corrected.extraction is not None:
        _correct(session, j, s, request, corrected.extraction, corrected.attachment.sha256)
    repo.audit(session, "request.completed", request.reference, f"{len(files)} file(s) added")
    j.references.append(request.reference)
    return request


def _attach_also(session: Session, j: Journey, s: Services, decision: Decision,
                 reference: str) -> Request:
    """Another request the reply answers: its documents and text join it too (a fiche
    corrects only the request it is about)."""
    request = repo.find_request(session, reference)
    assert request is not None
    _keep_files(session, s, request, decision.others)
    repo.audit(session, "request.completed", request.reference,
               f"{len(decision.others)} file(s) added")
    j.references.append(request.reference)
    return request


def _read_into(request: Request, extraction: Extraction) -> None:
    """Everything a request keeps of what was read from its fiche: the fields, what is
    missing, the review flag, the school's name and commune, the keys that recognise it."""
    take_fields(request, extraction.fields)
    request.warnings, request.needs_review = extraction.warnings, extraction.needs_review
    request.scanned = extraction.scanned


def _correct(session: Session, j: Journey, s: Services, request: Request,
             extraction: Extraction, fiche_sha256: str) -> None:
    """A corrected fiche replaces what was read from the first one, and everything derived
    from it: school, commune, urgency (an urgency that appears alerts the IEN now), the
    review flag. The audit names the fields that changed, never their values."""
    fields = extraction.fields
    changed = sorted(key for key in set(fields) | set(request.fields)
                     if fields.get(key) != request.fields.get(key))
    was_urgent = request.urgent
    _read_into(request, extraction)
    request.urgent = was_urgent or bool(fields.get("urgence"))
    session.add(request)
    repo.audit(session, "request.corrected", request.reference,
               f"fields changed: {', '.join(changed) or 'none'}"[:500])
    if request.urgent and not was_urgent:
        _alert(session, j, s, request, fiche_sha256, False)


def _converse(session: Session, j: Journey, request: Request, decision: Decision,
              processed_id: int | None) -> None:
    """The email joins the request's conversation, its text and files with it."""
    assert j.email is not None
    fiches = [] if request.reference in decision.also else decision.fiches  # not its fiche
    files = [r.attachment.sha256 for r in fiches] + [a.sha256 for a in decision.others]
    repo.add_message(session, request, Direction.IN, j.email.sender, j.email.subject,
                     j.email.body, files, processed_id=processed_id, at=j.received,
                     read=decision.outcome == Outcome.NEW)


def _tell_followers(session: Session, j: Journey, s: Services, request: Request) -> None:
    """The school wrote about its request: whoever follows it up is told (its referent in
    the pôle, else the IEN's alert addresses), with no pupil data. Not when the
    circonscription itself wrote."""
    assert j.email is not None
    if s.settings.is_staff(j.email.sender):
        return
    follower = find_member(s.settings.pole, request.referent)
    to = [follower.email] if follower else list(s.settings.circonscription.alert_to)
    if to:
        repo.enqueue(session, mails.school_message(request, to, j.content_hash,
                                                   s.settings.circonscription))


def _keep_files(session: Session, s: Services, request: Request, files: list) -> None:
    for attachment in files:
        repo.store_file(session, s.settings.storage.data_dir, request, attachment.data,
                        attachment.name)


def _acknowledge(session: Session, j: Journey, s: Services, decision: Decision,
                 requests: list[Request]) -> None:
    """One answer per email, however many fiches it brought; none to an email that must
    not be answered (a robot, a list, a header asking for silence)."""
    assert j.email is not None
    if not decision.answer:
        repo.audit(session, "reply.withheld", requests[0].reference,
                   "the email asks for no automatic answer")
        return
    if _flooding(session, j, s, requests[0].reference):
        return
    repo.enqueue(session, mails.acknowledgement(requests, j.email.sender, j.email.message_id,
                                                s.settings.circonscription))


def _flooding(session: Session, j: Journey, s: Services, reference: str | None) -> bool:
    """Too many answers to this sender this hour: a loop with a robot, or a flood. The
    email is still handled; only the answer is held back (and the audit says so)."""
    assert j.email is not None
    since = datetime.now(UTC) - timedelta(hours=1)
    if repo.replies_to(session, j.email.sender, since) < s.settings.max_replies_per_sender_hour:
        return False
    repo.audit(session, "reply.rate_limited", reference, "too many answers this hour")
    return True


def _alert(session: Session, j: Journey, s: Services, request: Request, fiche_sha256: str,
           subject_urgent: bool) -> None:
    circo = s.settings.circonscription
    if not circo.alert_to:
        repo.audit(session, "alert.no_recipient", request.reference, "no alert_to configured")
        return
    assert j.email is not None
    repo.enqueue(session, mails.alert(request, fiche_sha256, subject_urgent, j.email.sender,
                                      circo))


def _ask_for_fiche(session: Session, j: Journey, s: Services) -> None:
    assert j.email is not None
    if _flooding(session, j, s, None):
        return
    repo.enqueue(session, mails.fiche_not_found(j.email.sender, j.email.subject, j.content_hash,
                                                j.email.message_id,
                                                s.settings.circonscription))
