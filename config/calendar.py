"""The pôle ressource's meetings: one per school period, each with a deadline for fiches.

A request belongs to the first meeting whose deadline it beat; one that arrives after
the deadline of the coming meeting goes to the following one, and is said to be late.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel


class Meeting(BaseModel):
    date: date
    deadline: date | None = None  # empty: `deadline_days` before the meeting

    def deadline_with(self, deadline_days: int) -> date:
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
