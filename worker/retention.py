"""Retention: pupils' data is deleted once its time is up.

A request is kept until the end of the school year of the meeting that studied it
(or a number of days after that meeting, if the settings say so); a request that
never had a meeting counts from the day it arrived. Then the request goes, with
its files (from the disk too, unless another request still holds the same file)
and every mail about it still in the outbox; the agendas of past meetings go the
same way. What stays has no pupil data: the record that an email was handled
(needed so that it is never handled twice), and the audit trail of references.

`purge` runs from the worker once a day, and from `saisine purge [--dry-run]`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from config.settings import Settings
from storage import repo
from storage.db import session_scope

log = logging.getLogger("saisine.retention")


def expires(day: date, settings: Settings) -> date:
    """The first day on which data about a meeting held on `day` is no longer kept."""
    if settings.retention.keep == "days":
        return day + timedelta(days=settings.retention.days)
    end_of_year = date(day.year if day.month < 9 else day.year + 1, 8, 31)
    return end_of_year + timedelta(days=1)


@dataclass
class Purge:
    references: list[str] = field(default_factory=list)
    files: int = 0
    mails: int = 0
    agendas: list[str] = field(default_factory=list)


def purge(engine: Engine, settings: Settings, today: date, dry_run: bool = False) -> Purge:
    """Delete (or, with `dry_run`, only list) what is kept past its time on `today`."""
    data_dir = settings.storage.data_dir
    result = Purge()  # with dry_run, `files` counts the files named by what would go
    with session_scope(engine) as session:
        for request in repo.all_requests(session):
            held = request.meeting_date or request.created_at.date()
            if expires(held, settings) > today:
                continue
            result.references.append(request.reference)
            files, mails = repo.forget_request(session, request, dry_run)
            result.files += files
            result.mails += mails
        for record in repo.quarantine_details(session):
            if expires(record.processed_at.date(), settings) <= today and not dry_run:
                repo.forget_details(session, record)
        for meeting in repo.agenda_meetings(session):
            if expires(meeting, settings) <= today:
                result.agendas.append(meeting.isoformat())
                result.mails += repo.forget_agendas(session, meeting, dry_run)
        if not dry_run and (result.references or result.agendas):
            repo.audit(session, "retention.purged", None,
                       f"{len(result.references)} request(s), {result.mails} mail(s), "
                       f"agendas of {len(result.agendas)} meeting(s)")
    if not dry_run:
        # Files go once the rows that named them are gone for good (after the commit).
        result.files = repo.sweep_files(engine, data_dir)
        if result.references or result.agendas:
            log.info("retention: %d request(s) and the agendas of %d meeting(s) deleted, "
                     "with %d file(s)", len(result.references), len(result.agendas),
                     result.files)
    return result


def purge_daily(engine: Engine, settings: Settings, today: date) -> Purge | None:
    """`purge`, at most once a day (the worker calls this after every pass)."""
    marker = f"day {today.isoformat()}"
    with session_scope(engine) as session:
        if repo.audited(session, "retention.checked", marker):
            return None
        repo.audit(session, "retention.checked", None, marker)
    return purge(engine, settings, today)
