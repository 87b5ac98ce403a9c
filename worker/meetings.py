"""The meetings' scheduled mail: the call for requests before each deadline (optional),
and the consolidated agenda the morning after it.

`queue_due(engine, settings, now)` is called at the end of every pass of the worker
(at least every `poll_seconds`) and is safe to call any number of times: what it
queues is marked in the audit trail in the same transaction as the mail (outbox),
so an agenda goes out once per meeting, across restarts. `now` is a parameter so
that tests hold the clock. The commands of after the meeting (`decide`,
`notify-decision`, `agenda send`) find their helpers here too.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.calendar import Meeting, find_member, recipients
from config.errors import ActionError, ConfigError, SaisineError
from config.settings import Settings
from notify import agenda as documents
from notify import mails
from storage import repo
from storage.db import session_scope
from storage.models import RequestStatus, utcnow

log = logging.getLogger("saisine.meetings")


def _at(day: date, settings: Settings) -> datetime:
    local = datetime.combine(day, time(settings.agenda.send_hour),
                             ZoneInfo(settings.agenda.timezone))
    return local.astimezone(UTC)


def deadline_of(meeting: Meeting, settings: Settings) -> date:
    return meeting.deadline_with(settings.meeting_deadline_days)


def agenda_time(meeting: Meeting, settings: Settings) -> datetime:
    """The working morning after the deadline (every fiche received on the deadline day
    counts): a deadline on a Friday or a weekend sends it on Monday, not to an empty
    office, nor on a public holiday."""
    day = deadline_of(meeting, settings) + timedelta(days=1)
    while day.weekday() >= 5 or day in _public_holidays(day.year):
        day += timedelta(days=1)
    return _at(day, settings)


@lru_cache(maxsize=8)
def _public_holidays(year: int) -> holidays.HolidayBase:
    """France's public holidays of `year`: built once, not at every pass of the worker."""
    return holidays.country_holidays("FR", years=year)


def reminder_time(meeting: Meeting, settings: Settings) -> datetime | None:
    days = settings.agenda.reminder_days
    return _at(deadline_of(meeting, settings) - timedelta(days=days), settings) if days else None


def queue_due(engine: Engine, settings: Settings, now: datetime | None = None) -> list[str]:
    """Queue what is due at `now` and was not queued before; says what it queued."""
    now = now or datetime.now(UTC)
    today = now.astimezone(ZoneInfo(settings.agenda.timezone)).date()
    done = []
    for meeting in settings.meetings:
        if meeting.date < today:
            continue  # a past meeting: nothing to send any more
        reminder, agenda = reminder_time(meeting, settings), agenda_time(meeting, settings)
        # A call for requests is pointless once the deadline's morning has come.
        too_late = _at(deadline_of(meeting, settings), settings)
        jobs = [("reminder", queue_reminder, reminder is not None and reminder <= now < too_late),
                ("agenda", queue_agenda, agenda <= now)]
        for name, queue, due in jobs:
            if not due:
                continue
            marker = f"meeting {meeting.date.isoformat()}"
            with session_scope(engine) as session:
                if repo.audited(session, f"{name}.queued", marker):
                    continue
                count = queue(session, settings, meeting)
                repo.audit(session, f"{name}.queued", None, marker)
            log.info("%s of the meeting of %s queued for %d recipient(s)", name, meeting.date,
                     count)
            done.append(f"{name} {meeting.date.isoformat()}")
    return done


def build_agenda(session: Session, settings: Settings, meeting: Meeting) -> documents.Agenda:
    """The agenda of `meeting` as it stands: what is sent, and what `agenda preview` writes."""
    return documents.build(repo.agenda_requests(session, meeting.date), meeting.date,
                           deadline_of(meeting, settings), settings.circonscription.name,
                           settings.agenda.full_names)


def agenda_file_stem(meeting: Meeting) -> str:
    return f"ordre-du-jour-pole-ressource-{meeting.date.isoformat()}"


def queue_agenda(session: Session, settings: Settings, meeting: Meeting,
                 again: str | None = None) -> int:
    """Build the agenda of `meeting` and queue it to each of its recipients; `again` makes
    the keys of a resend on demand. Returns how many mails were queued."""
    circo = settings.circonscription
    agenda = build_agenda(session, settings, meeting)
    if agenda.count == 0 and again is None:
        # Nothing to study: no empty agenda to every member, a word to the IEN instead.
        ien = [m.email for m in recipients(meeting, settings.pole) if m.role.casefold() == "ien"]
        drafts = [mails.nothing_to_study(meeting.date, deadline_of(meeting, settings), address,
                                         circo) for address in ien or circo.alert_to]
        return sum(repo.enqueue(session, draft) is not None for draft in drafts)
    data_dir = settings.storage.data_dir
    name = agenda_file_stem(meeting)
    attachments = [
        {"name": f"{name}.docx", "sha256": repo.store_blob(data_dir, documents.to_docx(agenda))},
        {"name": f"{name}.pdf", "sha256": repo.store_blob(data_dir, documents.to_pdf(agenda))},
    ]
    text, html = documents.to_text(agenda), documents.to_html(agenda)
    queued = 0
    for member in recipients(meeting, settings.pole):
        draft = mails.agenda(meeting.date, member.email, text, html, attachments, circo, again)
        if repo.enqueue(session, draft):
            queued += 1
    if not queued:
        log.warning("agenda of %s: no recipient (set [[pole]] members in the settings)",
                    meeting.date)
    return queued


def queue_reminder(session: Session, settings: Settings, meeting: Meeting) -> int:
    deadline = deadline_of(meeting, settings)
    drafts = [mails.reminder(meeting.date, deadline, address, settings.circonscription)
              for address in settings.agenda.reminder_to]
    return sum(repo.enqueue(session, draft) is not None for draft in drafts)


# --- after the meeting ------------------------------------------------------------------

def choose(settings: Settings, wanted: date | None, today: date | None = None) -> Meeting:
    """The meeting on `wanted`, else the next one in the calendar."""
    today = today or datetime.now(ZoneInfo(settings.agenda.timezone)).date()
    if wanted is not None:
        for meeting in settings.meetings:
            if meeting.date == wanted:
                return meeting
        raise ConfigError(f"agenda: no meeting on {wanted} in the calendar")
    coming = sorted((m for m in settings.meetings if m.date >= today), key=lambda m: m.date)
    if not coming:
        raise ConfigError("agenda: no meeting to come in the calendar ([[meetings]])")
    return coming[0]


def queue_decision(session: Session, settings: Settings, reference: str,
                   today: date | None = None) -> tuple[str, bool]:
    """Queue the pôle's decision to the school, threaded under our acknowledgement; says
    to whom, and whether it was queued now (False: it had been already)."""
    today = today or datetime.now(ZoneInfo(settings.agenda.timezone)).date()
    request = repo.find_request(session, reference)
    if request is None:
        raise SaisineError(f"notify-decision: no request {reference}")
    if not request.decision:
        raise ActionError(f"{reference} n'a pas encore de décision : indiquez d'abord la "
                          f"suite donnée (saisine decide {reference} --suite …).")
    if request.meeting_date is not None and request.meeting_date > today:
        raise ActionError(f"{reference} est étudiée à la réunion du "
                          f"{request.meeting_date:%d/%m/%Y} : sa décision part à l'école "
                          f"après cette réunion.")
    if request.decided_at is None:  # a decision always has its time; older rows may not
        request.decided_at = utcnow()
    follower = find_member(settings.pole, request.referent)
    draft = mails.decision(request, request.decided_at.isoformat(), follower,
                           settings.circonscription)
    queued = repo.enqueue(session, draft) is not None
    if queued and request.status == RequestStatus.DECIDED:
        request.status = RequestStatus.NOTIFIED
        session.add(request)
    repo.audit(session, "decision.notified" if queued else "decision.already_queued",
               request.reference)
    return request.sender, queued
