"""The pôle ressource's meetings: one per school period, each with a deadline for fiches.

A request belongs to the first meeting whose deadline it beat; one that arrives after
the deadline of the coming meeting goes to the following one, and is said to be late.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict

from config.errors import CalendarError


class Member(BaseModel):
    """Someone of the pôle ressource who receives the agendas."""

    model_config = ConfigDict(extra="forbid")  # a mistyped key is refused with its name

    name: str
    role: str  # as the circonscription says it: IEN, CPC, psychologue, enseignant spécialisé...
    email: str


class Meeting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # `dt.date`: inside the class, `date` names this field, not the type.
    date: dt.date
    deadline: dt.date | None = None  # empty: `deadline_days` before the meeting
    roles: list[str] = []  # who gets its agenda, by role; empty: every member

    def deadline_with(self, deadline_days: int) -> dt.date:
        return self.deadline or self.date - timedelta(days=deadline_days)


def meeting_for(meetings: list[Meeting], received: date,
                deadline_days: int) -> tuple[Meeting | None, bool]:
    """(the meeting a request received on `received` goes to, whether it is late); no
    meeting when the calendar has none left."""
    coming = sorted((m for m in meetings if m.date >= received), key=lambda m: m.date)
    for position, meeting in enumerate(coming):
        if received <= meeting.deadline_with(deadline_days):
            return meeting, position > 0
    return None, bool(coming)


def find_member(members: list[Member], who: str | None) -> Member | None:
    """The pôle member named by `who`: their name, role or address (case aside)."""
    wanted = (who or "").strip().casefold()
    return next((m for m in members if wanted and wanted in (
        m.name.casefold(), m.role.casefold(), m.email.casefold())), None)


def recipients(meeting: Meeting, members: list[Member]) -> list[Member]:
    wanted = {r.casefold() for r in meeting.roles}
    return [m for m in members if not wanted or m.role.casefold() in wanted]


# --- proposing a calendar from the official school holidays ------------------------------

# The long holidays that close a school period ("Pont de l'Ascension" does not).
PERIOD_ENDS = ("Vacances de la Toussaint", "Vacances de Noël", "Vacances d'hiver",
               "Vacances de printemps", "Vacances d'été")


def school_periods(year: str, zone: str) -> list[tuple[date, date]]:
    """The five periods of school year `year` ("2026-2027") in `zone` (A, B, C): from the
    first school day after one holiday to the last school day before the next."""
    from vacances_scolaires_france import UnsupportedZoneException

    try:
        first_year = int(year.split("-")[0])
    except ValueError as err:
        raise CalendarError(f"calendar: year {year!r}: expected like 2026-2027") from err
    official = _official()
    try:
        key = official.zone_key(zone.upper())
    except UnsupportedZoneException as err:
        raise CalendarError(
            f"calendar: zone {zone!r}: the official school holidays known here are those of "
            f"zones {', '.join(official.SUPPORTED_ZONES)} (Corse and the overseas académies "
            f"have calendars of their own: write their [[meetings]] by hand)") from err
    start, end = date(first_year, 8, 1), date(first_year + 1, 7, 31)
    off = sorted(d for d, row in official.data.items()
                 if start <= d <= end and row[key] and row["nom_vacances"] in PERIOD_ENDS)
    if not off or off[-1] < date(first_year + 1, 7, 1):
        raise CalendarError(f"calendar: no official holidays known for {year} (zone {zone})")
    periods, begin = [], None
    for day in (start + timedelta(days=n) for n in range((end - start).days + 1)):
        if day in off:
            if begin is not None:
                periods.append((begin, day - timedelta(days=1)))
                begin = None
        elif begin is None and day.weekday() < 5:
            begin = day
    return periods


def suggest(year: str, zone: str, deadline_days: int = 6) -> list[Meeting]:
    """One meeting per period, on its last school day that is neither a Wednesday (no
    class in most primary schools) nor a public or school holiday: decisions can then be
    carried out before the break, as the circonscription's own notice did (meeting on
    16 October, the day before the Toussaint holidays)."""
    periods = school_periods(year, zone)  # first: it says clearly what it does not know
    meetings = []
    for begin, end in periods:
        day = end
        while day >= begin and not meeting_day(day, zone):
            day -= timedelta(days=1)
        meetings.append(Meeting(date=day, deadline=day - timedelta(days=deadline_days)))
    return meetings


def meeting_day(day: date, zone: str = "A") -> bool:
    """A day the pôle can meet: a school day that is not a Wednesday (no class in most
    primary schools), a public holiday or a school holiday of `zone`."""
    import holidays

    official = _official()
    return day.weekday() not in (2, 5, 6) and day not in holidays.France(years=day.year) \
        and not official.data.get(day, {}).get(official.zone_key(zone.upper()))


@lru_cache(maxsize=1)
def _official() -> Any:
    """The official school holidays, read once (the package reads its CSV on each build)."""
    from vacances_scolaires_france import SchoolHolidayDates

    return SchoolHolidayDates()


def first_meeting_day(day: date, zone: str = "A") -> date:
    """The first day from `day` on when the pôle can meet."""
    while not meeting_day(day, zone):
        day += timedelta(days=1)
    return day
