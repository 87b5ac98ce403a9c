"""What a person does to a request, from the bureau or the command line: correct what was
read, change its status, note something. One function each, in the caller's transaction;
the audit names who did it and which fields, never their values.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from config.calendar import find_member, meeting_for
from config.errors import ActionError
from config.settings import Settings
from ingest.message import Attachment, Email
from notify import mails
from parsers.fields import FIELD_BY_KEY, FIELD_KEYS, MOTIF_CODES, REQUIRED, Kind
from parsers.normalise import NORMALISERS
from storage import repo
from storage.models import Direction, ProcessedMessage, Request, RequestStatus
from worker.routing import robot_reason, take_fields


@dataclass(frozen=True)
class Corrected:
    changed: list[str]  # the fields whose value changed
    alerted: bool  # the request became urgent: the IEN was alerted
    still_to_check: list[str]  # required fields still missing


def value_of(key: str, given: Any) -> Any:
    """A value typed by a person, normalised as if read from a fiche: None when empty.
    Raises `ActionError` when it is not a value of its kind (a date that is none)."""
    spec = FIELD_BY_KEY.get(key)
    if spec is None:
        raise ActionError(f"{key} : ce champ n'existe pas")
    if spec.kind is Kind.MOTIFS:
        codes = [given] if isinstance(given, str) else list(given or [])
        unknown = [c for c in codes if c not in MOTIF_CODES]
        if unknown:
            raise ActionError(f"{spec.shown_as} : motif inconnu ({', '.join(unknown)})")
        return [c for c in MOTIF_CODES if c in codes] or None
    if spec.kind is Kind.BOOL:
        if given in (None, ""):
            return None
        if isinstance(given, bool):
            return given
        text = str(given).strip().lower()
        if text in ("oui", "true", "1", "yes"):
            return True
        if text in ("non", "false", "0", "no"):
            return False
        raise ActionError(f"{spec.shown_as} : oui ou non")
    text = str(given or "").strip()
    if not text:
        return None
    value, warning = NORMALISERS[spec.kind](key, text)
    if value in (None, "") or (warning and spec.kind in (Kind.DATE, Kind.NIVEAU, Kind.UAI)):
        raise ActionError(f"{spec.shown_as} : {_EXPECTED.get(spec.kind, 'valeur illisible')}")
    return value


# What a person is told a field expects, when what they typed is not one.
_EXPECTED = {Kind.DATE: "une date est attendue (jj/mm/aaaa)",
             Kind.NIVEAU: "un niveau est attendu (TPS, PS, MS, GS, CP, CE1, CE2, CM1, CM2)",
             Kind.UAI: "un numéro UAI est attendu (7 chiffres et une lettre, ex. 0381234K)",
             Kind.EMAIL: "une adresse électronique est attendue",
             Kind.PHONE: "un numéro de téléphone est attendu"}


def correct(session: Session, settings: Settings, request: Request, changes: dict[str, Any],
            who: str) -> Corrected:
    """A person's correction of what was read: the fields change, and everything derived
    from them (school, commune, the keys that recognise the fiche, what is missing). The
    review flag clears when no required field is missing; a request that becomes urgent
    alerts the IEN now, as a corrected fiche would."""
    # Every field of the contract, as an extraction gives them (None where not read).
    fields = {key: request.fields.get(key) for key in FIELD_KEYS}
    for key, given in changes.items():
        fields[key] = value_of(key, given)
    changed = sorted(k for k in changes if fields.get(k) != request.fields.get(k))
    if not changed:
        return Corrected([], False, list(request.missing))
    was_urgent = request.urgent
    take_fields(request, fields)
    request.needs_review = bool(request.missing)
    request.urgent = bool(fields.get("urgence")) or (was_urgent and "urgence" not in changed)
    session.add(request)
    repo.audit(session, "request.corrected", request.reference,
               f"by {who}; fields changed: {', '.join(changed)}"[:500])
    alerted = False
    if request.urgent and not was_urgent and settings.circonscription.alert_to:
        repo.enqueue(session, mails.alert(request, request.fiche_hash, False, request.sender,
                                          settings.circonscription))
        alerted = True
    return Corrected(changed, alerted, list(request.missing))


def set_status(session: Session, request: Request, status: RequestStatus, who: str,
               reason: str = "") -> None:
    """Move a request along (reçue → à l'étude ...); classée sans suite needs a reason,
    kept in its history with the earlier state."""
    if status is RequestStatus.DISMISSED and not reason.strip():
        raise ActionError("Classée sans suite : indiquez la raison.")
    if request.status == status:
        return
    repo.remember(request, to=status.value, reason=reason.strip()[:500], by=who)
    request.status = status
    session.add(request)
    repo.audit(session, "request.status", request.reference, f"by {who}: {status.value}")


def reply(session: Session, settings: Settings, request: Request, text: str,
          author: str, who: str) -> None:
    """A person's message to the school, from the circonscription's address, threaded with
    the school's last email and sent through the outbox (the worker sends it)."""
    if not text.strip():
        raise ActionError("Le message est vide.")
    thread = repo.last_school_email_id(session, request) or mails.acknowledgement_id(
        request.reference, settings.circonscription)
    draft = mails.reply(request, text[:20_000], author, thread, secrets.token_hex(8),
                        settings.circonscription)
    repo.enqueue(session, draft)
    repo.audit(session, "request.replied", request.reference, f"by {who}")


def decide(session: Session, settings: Settings, request: Request, decision: str | None,
           referent: str | None, close: bool, who: str) -> None:
    """The pôle's decision ("suite donnée"), who follows it up (a member of the pôle, by
    name, role or address), or the request's closing; an earlier decision stays in its
    history."""
    if not (decision or referent or close):
        raise ActionError("Indiquez la suite donnée, la personne qui suit la demande, ou "
                          "sa clôture.")
    if referent and settings.pole:
        member = find_member(settings.pole, referent)
        if member is None:
            known = "; ".join(f"{m.name} ({m.role})" for m in settings.pole)
            raise ActionError(f"Aucun membre du pôle « {referent} » (les membres : {known}).")
        referent = member.name
    repo.decide(session, request.reference, decision, referent, close)
    repo.audit(session, "request.decided", request.reference,
               f"by {who}: status={request.status}")


def move(session: Session, settings: Settings, request: Request, meeting: date,
         who: str) -> None:
    """Study the request at another meeting of the calendar."""
    if meeting not in {m.date for m in settings.meetings}:
        raise ActionError(f"Aucune réunion le {meeting:%d/%m/%Y} dans le calendrier.")
    if request.meeting_date == meeting:
        return
    repo.remember(request, meeting=request.meeting_date.isoformat()
                  if request.meeting_date else None, to_meeting=meeting.isoformat(), by=who)
    request.meeting_date, request.late = meeting, False
    session.add(request)
    repo.audit(session, "request.moved", request.reference, f"by {who}: {meeting.isoformat()}")


def request_from_email(session: Session, settings: Settings, record: ProcessedMessage,
                       email: Email, fiche: Attachment | None, who: str) -> Request:
    """A set-aside email made a request by a person: `fiche` is the file they picked as
    its fiche (None: they will type it from the email's text). The fields are left for
    them to type beside the file, as for a scan; every file of the email is kept; the
    school gets its acknowledgement (a person's mail only, never a robot's)."""
    fiche_hash = fiche.sha256 if fiche else record.content_hash
    taken = repo.find_request_by_fiche(session, fiche_hash)
    if taken is not None:
        raise ActionError(f"Ce fichier est déjà la fiche de la demande {taken.reference}.")
    local = record.processed_at.astimezone(ZoneInfo(settings.agenda.timezone))
    meeting, late = meeting_for(settings.meetings, local.date(), settings.meeting_deadline_days)
    request = Request(
        reference=repo.next_reference(session, local.year), sender=email.sender or "inconnu",
        created_at=record.processed_at, fiche_hash=fiche_hash, method="bureau",
        fields={key: None for key in FIELD_KEYS}, missing=list(REQUIRED), needs_review=True,
        scanned=True, source_message_id=email.message_id,
        meeting_date=meeting.date if meeting else None, late=late,
        circonscription_id=record.circonscription_id)
    repo.add_request(session, request)
    _take(session, settings, record, email, request)
    circo = settings.circonscription
    if email.sender and robot_reason(email, circo.own_addresses + [circo.sender]) is None:
        repo.enqueue(session, mails.acknowledgement([request], email.sender, email.message_id,
                                                    circo))
    repo.audit(session, "request.created", request.reference,
               f"by {who} from set-aside email {record.id}")
    return request


def attach_email(session: Session, settings: Settings, record: ProcessedMessage, email: Email,
                 request: Request, who: str) -> None:
    """A set-aside email joins a request: its text in the conversation, its files kept."""
    _take(session, settings, record, email, request)
    repo.audit(session, "request.completed", request.reference,
               f"by {who}: set-aside email {record.id} attached")


def _take(session: Session, settings: Settings, record: ProcessedMessage, email: Email,
          request: Request) -> None:
    for attachment in email.attachments:
        repo.store_file(session, settings.storage.data_dir, request, attachment.data,
                        attachment.name)
    repo.add_message(session, request, Direction.IN, email.sender or "inconnu", email.subject,
                     email.body, [a.sha256 for a in email.attachments], processed_id=record.id,
                     at=record.processed_at, read=True)
    record.request_id = request.id
    repo.handled(session, record)
