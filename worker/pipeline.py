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

from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.calendar import meeting_for
from config.errors import EmailError, ExtractionError
from config.settings import Settings
from ingest.message import Email, read_email
from notify import mails
from parsers.registry import sniff
from parsers.sandbox import Sandbox
from storage import repo
from storage.db import session_scope
from storage.models import Outcome, Request
from worker.routing import (
    Decision,
    Read,
    machine_reason,
    reference_in,
    route,
    sender_allowed,
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
    content_hash: str = ""
    email: Email | None = None
    unreadable: str | None = None
    machine: str | None = None
    allowed: bool = False
    reads: list[Read] = field(default_factory=list)
    known_fiches: set[str] = field(default_factory=set)
    replied_reference: str | None = None
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
        if earlier:
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
    j.machine = machine_reason(j.email, circo.own_addresses + [circo.sender])
    j.allowed = sender_allowed(j.email, circo.allowed_domains)


def read_attachments(j: Journey, s: Services) -> None:
    """Extract every attachment that may be a fiche; only for mail we will act on."""
    if j.email is None or j.machine or not j.allowed:
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
        reference = reference_in(j.email) or repo.reference_answered(session, j.email.in_reply_to)
        if reference and repo.find_request(session, reference):
            j.replied_reference = reference
        j.known_fiches = {r.attachment.sha256 for r in j.reads
                          if repo.find_request_by_fiche(session, r.attachment.sha256)}


def decide(j: Journey, s: Services) -> None:
    if j.email is None:
        j.decision = Decision(Outcome.QUARANTINE, j.unreadable or "unreadable email")
        return
    j.decision = route(j.email, machine=j.machine, allowed=j.allowed, reads=j.reads,
                       known_fiches=j.known_fiches, replied_reference=j.replied_reference)


def store(j: Journey, s: Services) -> None:
    """Everything the decision implies, in one transaction."""
    decision = j.decision
    assert decision is not None
    with session_scope(s.engine) as session:
        first_request: Request | None = None
        if decision.outcome == Outcome.NEW:
            for read in decision.fiches:
                request = _new_request(session, j, s, read, decision)
                first_request = first_request or request
        elif decision.outcome == Outcome.ATTACHED:
            first_request = _attach(session, j, s, decision)
        elif decision.outcome == Outcome.NO_FICHE:
            _ask_for_fiche(session, j, s)
        repo.record_processed(
            session, mailbox=j.mailbox, uidvalidity=j.uidvalidity, uid=j.uid,
            content_hash=j.content_hash, message_id=j.email.message_id if j.email else None,
            outcome=decision.outcome, reason=decision.reason[:500],
            request_id=first_request.id if first_request else None)
        repo.audit(session, f"email.{decision.outcome.value}",
                   first_request.reference if first_request else None, decision.reason[:200])
    j.outcome = decision.outcome


PIPELINE: list[Callable[[Journey, Services], None]] = [
    already_seen, parse, screen, read_attachments, find_thread, decide, store,
]


def process(raw: bytes, mailbox: str, uidvalidity: int, uid: int, services: Services) -> Journey:
    """Run one email through the pipeline; returns the journey (outcome, references)."""
    journey = Journey(raw, mailbox, uidvalidity, uid)
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
    year = (j.email.date or datetime.now(UTC)).year
    fields = extraction.fields
    urgent = bool(fields.get("urgence")) or decision.urgent_subject
    received = (j.email.date or datetime.now(UTC)).date()
    meeting, late = meeting_for(s.settings.meetings, received, s.settings.meeting_deadline_days)
    request = repo.add_request(session, Request(
        reference=repo.next_reference(session, year), sender=j.email.sender,
        school_name=fields.get("ecole_nom"), school_commune=fields.get("ecole_commune"),
        fiche_hash=read.attachment.sha256, method=extraction.method, fields=fields,
        missing=extraction.missing, warnings=extraction.warnings,
        needs_review=extraction.needs_review, urgent=urgent,
        source_message_id=j.email.message_id, meeting_date=meeting.date if meeting else None,
        late=late))
    _keep_files(session, s, request, [read.attachment] + decision.others)
    _acknowledge(session, j, s, request)
    if urgent:
        _alert(session, j, s, request, read, decision.urgent_subject)
    repo.audit(session, "request.created", request.reference,
               f"method={extraction.method} urgent={urgent} review={extraction.needs_review}")
    j.references.append(request.reference)
    return request


def _attach(session: Session, j: Journey, s: Services, decision: Decision) -> Request:
    request = repo.find_request(session, decision.reference or "")
    assert request is not None
    files = [r.attachment for r in decision.fiches] + decision.others
    _keep_files(session, s, request, files)
    if decision.fiches and decision.fiches[0].extraction:
        # A corrected fiche replaces what was read from the first one.
        extraction = decision.fiches[0].extraction
        request.fields, request.missing = extraction.fields, extraction.missing
        request.warnings, request.needs_review = extraction.warnings, extraction.needs_review
        session.add(request)
    repo.audit(session, "request.completed", request.reference, f"{len(files)} file(s) added")
    j.references.append(request.reference)
    return request


def _keep_files(session: Session, s: Services, request: Request, files: list) -> None:
    for attachment in files:
        repo.store_file(session, s.settings.storage.data_dir, request, attachment.data,
                        attachment.name)


def _acknowledge(session: Session, j: Journey, s: Services, request: Request) -> None:
    assert j.email is not None
    if _flooding(session, j, s, request.reference):
        return
    repo.enqueue(session, mails.acknowledgement(request, j.email.sender, j.email.message_id,
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


def _alert(session: Session, j: Journey, s: Services, request: Request, read: Read,
           subject_urgent: bool) -> None:
    circo = s.settings.circonscription
    if not circo.alert_to:
        repo.audit(session, "alert.no_recipient", request.reference, "no alert_to configured")
        return
    repo.enqueue(session, mails.alert(request, read.attachment.sha256, subject_urgent, circo))


def _ask_for_fiche(session: Session, j: Journey, s: Services) -> None:
    assert j.email is not None
    if _flooding(session, j, s, None):
        return
    repo.enqueue(session, mails.fiche_not_found(j.email.sender, j.email.subject, j.content_hash,
                                                j.email.message_id,
                                                s.settings.circonscription))
