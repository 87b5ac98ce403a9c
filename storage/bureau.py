"""What the bureau reads: every query scoped by the signed-in person's circonscription,
and by their role where it narrows what they see.

A member of the pôle sees the requests of the meetings they attend and those they
follow up;
the secretariat and the IEN see every request of their circonscription; an
administrator sees accounts, never a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from storage.models import (
    Account,
    Direction,
    Message,
    Note,
    Outcome,
    ProcessedMessage,
    Request,
    RequestStatus,
    Role,
    SavedView,
    utcnow,
)

QUARANTINED = [o.value for o in Outcome if o.quarantined]
OPEN = [s.value for s in RequestStatus if s.open]


@dataclass(frozen=True)
class Viewer:
    """Who is looking: their circonscription and role, their name (for what they follow
    up) and, for a member of the pôle, the meetings they attend."""

    circonscription_id: int
    role: Role
    name: str
    meetings: frozenset[date] = frozenset()

    @classmethod
    def of(cls, account: Account, meetings: frozenset[date] = frozenset()) -> Viewer:
        return cls(account.circonscription_id, Role(account.role), account.name, meetings)


@dataclass(frozen=True)
class Filters:
    """The list's filters, as the page's form gives them (empty: no filter)."""

    meeting: date | None = None
    status: str = ""
    motif: str = ""
    urgent: bool = False
    review: bool = False
    late: bool = False
    search: str = ""
    sort: str = "recent"  # "recent", "oldest", "school", "meeting"


def _visible(viewer: Viewer) -> list[ColumnElement[bool]]:
    if not viewer.role.sees_pupils:
        return [col(Request.id).is_(None)]  # nothing
    where = [col(Request.circonscription_id) == viewer.circonscription_id]
    if viewer.role is Role.POLE:
        where.append(or_(col(Request.meeting_date).in_(viewer.meetings),
                         col(Request.referent) == viewer.name))
    return where


def find(session: Session, viewer: Viewer, reference: str) -> Request | None:
    """The request, if this person may see it (else None: the page answers 404, which
    tells nothing of another circonscription's references)."""
    return session.exec(select(Request).where(
        col(Request.reference) == reference, *_visible(viewer))).first()


def requests(session: Session, viewer: Viewer, filters: Filters,
             limit: int = 500) -> list[Request]:
    where = _visible(viewer)
    if filters.meeting:
        where.append(col(Request.meeting_date) == filters.meeting)
    if filters.status:
        where.append(col(Request.status) == filters.status)
    if filters.urgent:
        where.append(col(Request.urgent).is_(True))
    if filters.review:
        where.append(col(Request.needs_review).is_(True))
    if filters.late:
        where.append(col(Request.late).is_(True))
    if filters.search.strip():
        like = f"%{filters.search.strip()}%"
        where.append(or_(col(Request.reference).ilike(like), col(Request.school_name).ilike(like),
                         col(Request.school_commune).ilike(like)))
    orders: dict[str, ColumnElement[Any]] = {
        "oldest": col(Request.created_at).asc(), "school": col(Request.school_name).asc(),
        "meeting": col(Request.meeting_date).asc()}
    order = orders.get(filters.sort, col(Request.created_at).desc())
    rows = list(session.exec(select(Request).where(*where).order_by(order, col(Request.id))
                             .limit(limit)))
    if filters.motif:  # motifs live in the fields' JSON: filtered here, portably
        rows = [r for r in rows if filters.motif in (r.fields.get("motifs") or [])]
    return rows


def meetings(session: Session, viewer: Viewer) -> list[date]:
    """The meetings that have requests, for the list's filter."""
    found = session.exec(select(col(Request.meeting_date)).where(
        *_visible(viewer), col(Request.meeting_date).is_not(None)).distinct().order_by(
        col(Request.meeting_date)))
    return [d for d in found if d is not None]


def meeting_requests(session: Session, viewer: Viewer, meeting: date) -> list[Request]:
    """What a meeting studies: its own requests (decided ones stay, for the meeting mode
    and its record), and those still open from before it or with no meeting (carried
    over, as its agenda says)."""
    carried = and_(col(Request.status).in_(OPEN),
                   or_(col(Request.meeting_date) < meeting, col(Request.meeting_date).is_(None)))
    return list(session.exec(select(Request).where(
        *_visible(viewer), or_(col(Request.meeting_date) == meeting, carried))
        .order_by(col(Request.created_at))))


@dataclass(frozen=True)
class ToHandle:
    """What needs a person now."""

    urgent: list[Request]
    review: list[Request]
    messages: list[tuple[Message, Request]]
    quarantined: list[ProcessedMessage]

    @property
    def count(self) -> int:
        return len(self.urgent) + len(self.review) + len(self.messages) + len(self.quarantined)


# What needs a person, as conditions: fetched by `to_handle`, counted by `counts`.
URGENT = col(Request.urgent).is_(True)
TO_CHECK = col(Request.needs_review).is_(True)


def _open(viewer: Viewer) -> list[ColumnElement[bool]]:
    return [*_visible(viewer), col(Request.status).in_(OPEN)]


def _unread(viewer: Viewer) -> list[ColumnElement[bool]]:
    """Messages from schools nobody has opened (the query joins their request)."""
    return [*_visible(viewer), col(Message.direction) == Direction.IN,
            col(Message.read_at).is_(None)]


def _set_aside(viewer: Viewer) -> list[ColumnElement[bool]]:
    return [col(ProcessedMessage.circonscription_id) == viewer.circonscription_id,
            col(ProcessedMessage.outcome).in_(QUARANTINED),
            col(ProcessedMessage.handled_at).is_(None)]


def to_handle(session: Session, viewer: Viewer) -> ToHandle:
    by_date = col(Request.created_at)
    urgent = list(session.exec(select(Request).where(*_open(viewer), URGENT).order_by(by_date)))
    review = list(session.exec(select(Request).where(*_open(viewer), TO_CHECK)
                               .order_by(by_date)))
    messages = [(m, r) for m, r in session.exec(select(Message, Request).join(
        Request, col(Request.id) == Message.request_id).where(*_unread(viewer))
        .order_by(col(Message.at)))]
    return ToHandle(urgent, review, messages, quarantine(session, viewer))


def quarantine(session: Session, viewer: Viewer, limit: int = 500) -> list[ProcessedMessage]:
    """Emails set aside that nobody has dealt with yet, newest first."""
    if not viewer.role.edits:
        return []
    return list(session.exec(select(ProcessedMessage).where(*_set_aside(viewer)).order_by(
        col(ProcessedMessage.processed_at).desc()).limit(limit)))


def quarantined_email(session: Session, viewer: Viewer,
                      record_id: int) -> ProcessedMessage | None:
    if not viewer.role.edits:
        return None
    return session.exec(select(ProcessedMessage).where(
        col(ProcessedMessage.id) == record_id,
        col(ProcessedMessage.circonscription_id) == viewer.circonscription_id,
        col(ProcessedMessage.outcome).in_(QUARANTINED))).first()


def mark_read(session: Session, request: Request) -> int:
    """The school's new messages on this request have been seen."""
    rows = list(session.exec(select(Message).where(
        col(Message.request_id) == request.id, col(Message.direction) == Direction.IN,
        col(Message.read_at).is_(None))))
    for message in rows:
        message.read_at = utcnow()
        session.add(message)
    return len(rows)


def notes(session: Session, request: Request) -> list[tuple[Note, Account]]:
    return [(n, a) for n, a in session.exec(select(Note, Account).join(
        Account, col(Account.id) == Note.account_id).where(
        col(Note.request_id) == request.id).order_by(col(Note.at)))]


def add_note(session: Session, request: Request, account: Account, text: str,
             opinion: bool = False) -> Note:
    assert request.id is not None and account.id is not None
    note = Note(request_id=request.id, account_id=account.id, text=text, opinion=opinion)
    session.add(note)
    return note


def counts(session: Session, viewer: Viewer) -> dict[str, int]:
    """The numbers in the navigation (every page: counted, not fetched), of what
    `to_handle` lists (a request both urgent and to check is under each heading)."""

    def number(model: Any, *where: ColumnElement[bool]) -> int:
        statement = select(func.count()).select_from(model)
        if model is Message:
            statement = statement.join(Request, col(Request.id) == Message.request_id)
        return int(session.exec(statement.where(*where)).one())

    quarantined = number(ProcessedMessage, *_set_aside(viewer)) if viewer.role.edits else 0
    waiting = (number(Request, *_open(viewer), URGENT) + number(Request, *_open(viewer), TO_CHECK)
               + number(Message, *_unread(viewer)) + quarantined)
    return {"a_traiter": waiting, "demandes": number(Request, *_visible(viewer)),
            "quarantaine": quarantined}


def views(session: Session, account: Account) -> list[SavedView]:
    return list(session.exec(select(SavedView).where(
        col(SavedView.account_id) == account.id).order_by(col(SavedView.name))))


def save_view(session: Session, account: Account, name: str, query: str) -> SavedView:
    assert account.id is not None
    view = SavedView(account_id=account.id, name=name[:80], query=query[:500])
    session.add(view)
    return view


def drop_view(session: Session, account: Account, view_id: int) -> bool:
    view = session.get(SavedView, view_id)
    if view is None or view.account_id != account.id:
        return False
    session.delete(view)
    return True


def neighbours(session: Session, viewer: Viewer, filters: Filters,
               reference: str) -> tuple[str | None, str | None]:
    """The requests before and after this one in the list these filters make."""
    order = [r.reference for r in requests(session, viewer, filters)]
    if reference not in order:
        return None, None
    i = order.index(reference)
    return (order[i - 1] if i > 0 else None), (order[i + 1] if i + 1 < len(order) else None)
