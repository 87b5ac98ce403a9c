"""The tables. Pupil data lives only in `Request.fields` and the stored files; the audit
trail and processed-message log carry references and outcomes, never a name."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Outcome(StrEnum):
    """What became of an email (`ProcessedMessage.outcome`); decided in `worker.routing`."""

    NEW = "accepted"  # one request per new fiche
    ATTACHED = "attached"  # a reply that adds documents or a fiche to a known request
    DUPLICATE = "duplicate"  # every fiche in it is already a request
    MACHINE = "machine"  # auto-reply, bounce, list, ourselves: recorded, never answered
    NO_FICHE = "no_fiche"  # kept for the secretariat; the school is asked for its fiche
    QUARANTINE = "quarantined"  # not for us, or not readable: a person decides
    OTHER = "other"  # a school's mail that is not a request: the secretariat reads it
    SEEN = "seen"  # the same email again (another place, same bytes): nothing new

    @property
    def quarantined(self) -> bool:
        """Whether its email leaves for the quarantine folder, where a person looks."""
        return self in (Outcome.QUARANTINE, Outcome.NO_FICHE, Outcome.OTHER)


class RequestStatus(StrEnum):
    """Where a request stands (`Request.status`): reçue → à l'étude → décidée → notifiée →
    close, or classée sans suite (with a reason)."""

    RECEIVED = "received"  # waiting for its meeting (carried over while undecided)
    STUDYING = "studying"  # a person has taken it up
    DECIDED = "decided"  # the pôle decided what follows
    NOTIFIED = "notified"  # the school was told the decision
    CLOSED = "closed"
    DISMISSED = "dismissed"  # classée sans suite

    @property
    def label(self) -> str:
        return {RequestStatus.RECEIVED: "reçue", RequestStatus.STUDYING: "à l'étude",
                RequestStatus.DECIDED: "décidée", RequestStatus.NOTIFIED: "notifiée",
                RequestStatus.CLOSED: "close",
                RequestStatus.DISMISSED: "classée sans suite"}[self]

    @classmethod
    def label_of(cls, value: str) -> str:
        """How a stored status reads; as it is, should it be none of these."""
        return cls(value).label if value in cls._value2member_map_ else value

    @property
    def open(self) -> bool:
        """Still waiting for the pôle (carried over to the next meeting)."""
        return self in (RequestStatus.RECEIVED, RequestStatus.STUDYING)


class MailKind(StrEnum):
    """What a queued mail is (`Outbox.kind`); each kind is written by one function of
    `notify.mails`."""

    ACK = "ack"  # the acknowledgement to the school
    ALERT = "alert"  # an urgent request, to the IEN
    NO_FICHE = "no_fiche"  # asks the school for its fiche
    AGENDA = "agenda"  # a meeting's agenda, to each member of the pôle
    REMINDER = "reminder"  # the call for requests before a deadline
    DECISION = "decision"  # the pôle's decision, to the school
    SCHOOL_MESSAGE = "school_message"  # tells who follows a request that the school wrote
    REPLY = "reply"  # a person's message to the school, written in the bureau

    @property
    def answers_sender(self) -> bool:
        """An automatic answer to someone's email (RFC 3834 "auto-replied"), counted
        against the per-sender rate limit; the others are "auto-generated"."""
        return self in (MailKind.ACK, MailKind.NO_FICHE)

    @property
    def to_school(self) -> bool:
        """Part of a request's conversation with its school (the others are internal)."""
        return self in (MailKind.ACK, MailKind.NO_FICHE, MailKind.DECISION, MailKind.REPLY)

    @property
    def automatic(self) -> bool:
        """Written by Saisine (RFC 3834 Auto-Submitted); a person's own reply is not."""
        return self is not MailKind.REPLY


class Role(StrEnum):
    """What a bureau account may do (`Account.role`)."""

    SECRETARIAT = "secretariat"  # triages, corrects, answers schools, prepares meetings
    IEN = "ien"  # sees everything, records and sends decisions
    POLE = "pole"  # a member of the pôle: the requests of their meetings, notes
    ADMIN = "admin"  # accounts and roles; no pupil data

    @property
    def label(self) -> str:
        return {Role.SECRETARIAT: "Secrétariat", Role.IEN: "IEN", Role.POLE: "Membre du pôle",
                Role.ADMIN: "Administrateur"}[self]

    @property
    def sees_pupils(self) -> bool:
        return self is not Role.ADMIN

    @property
    def edits(self) -> bool:
        """Corrects fields, answers schools, moves and closes requests."""
        return self in (Role.SECRETARIAT, Role.IEN)

    @property
    def administers(self) -> bool:
        return self is Role.ADMIN


class Circonscription(SQLModel, table=True):
    """A circonscription: every request, email, note and account belongs to one (one
    per deployment today; row 1, named from the settings)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)


class Account(SQLModel, table=True):
    """A person of the bureau. The password is kept as an argon2 hash only."""

    id: int | None = Field(default=None, primary_key=True)
    circonscription_id: int = Field(default=1, foreign_key="circonscription.id", index=True)
    email: str = Field(max_length=320, unique=True, index=True)  # lower case
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)  # a `Role`
    password_hash: str = Field(max_length=300)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    # Sign-in throttling: failures in a row, and until when the account waits.
    failed_logins: int = 0
    locked_until: datetime | None = None


class WebSession(SQLModel, table=True):
    """A signed-in browser, kept server-side so that it can be revoked. Only a hash of
    the cookie's token is stored: a copy of the database opens no session."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None


class SavedView(SQLModel, table=True):
    """A person's named filters of the request list ("mes urgentes", "réunion de mars")."""

    __tablename__ = "saved_view"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    name: str = Field(max_length=80)
    query: str = Field(max_length=500)  # the list's URL query


class Note(SQLModel, table=True):
    """A private note on a request, for the bureau only (pupil data: purged with it)."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    account_id: int = Field(foreign_key="account.id")
    at: datetime = Field(default_factory=utcnow)
    text: str
    opinion: bool = False  # an opinion (avis) for the meeting, as pôle members give them


class ProcessedMessage(SQLModel, table=True):
    """One email seen in the mailbox, and what became of it. (mailbox, UIDVALIDITY, UID)
    says where it was; the content hash recognises it wherever it is now."""

    __tablename__ = "processed_message"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", "uid"),)

    id: int | None = Field(default=None, primary_key=True)
    circonscription_id: int = Field(default=1, foreign_key="circonscription.id", index=True)
    mailbox: str = Field(max_length=255)
    uidvalidity: int
    uid: int
    content_hash: str = Field(max_length=64, index=True)
    message_id: str | None = Field(default=None, max_length=998, index=True)
    outcome: str = Field(max_length=32)  # an `Outcome`
    reason: str | None = Field(default=None, max_length=500)
    request_id: int | None = Field(default=None, foreign_key="request.id")
    processed_at: datetime = Field(default_factory=utcnow)
    moved_at: datetime | None = None  # the server was touched, after the commit
    # A person dealt with it in the bureau (made a request of it, attached it, dismissed it).
    handled_at: datetime | None = None
    # Who sent a quarantined email and its subject, for the bureau's quarantine page; kept
    # until a person deals with it or retention's time (a subject may name a pupil).
    sender: str | None = Field(default=None, max_length=320)
    subject: str | None = Field(default=None, max_length=500)
    # The email itself, stored by hash in the data folder, for the person who will make a
    # request of it or attach it to one; gone with the sender and the subject.
    raw_sha256: str | None = Field(default=None, max_length=64)
    # A person asked the worker to read the stored email again (after allowing its domain,
    # installing a tool...): done at its next pass, once.
    replay_requested_at: datetime | None = None


class Request(SQLModel, table=True):
    """A school's request: one fiche, read."""

    id: int | None = Field(default=None, primary_key=True)
    circonscription_id: int = Field(default=1, foreign_key="circonscription.id", index=True)
    reference: str = Field(max_length=20, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    sender: str = Field(max_length=320)
    school_name: str | None = Field(default=None, max_length=200)
    school_commune: str | None = Field(default=None, max_length=120)
    fiche_hash: str = Field(max_length=64, unique=True, index=True)
    # What was read, as keys (hashes, no text): the same school and pupil (identity), and
    # the same fiche whatever its file (content: a DOCX and its PDF export, a re-save).
    identity_key: str | None = Field(default=None, max_length=64, index=True)
    content_key: str | None = Field(default=None, max_length=64, index=True)
    method: str = Field(max_length=32)
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    missing: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    warnings: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    needs_review: bool = False
    urgent: bool = False
    scanned: bool = False  # the fiche is an image: a person reads it
    status: str = Field(default=RequestStatus.RECEIVED, max_length=20)  # a `RequestStatus`
    source_message_id: str | None = Field(default=None, max_length=998)
    # The meeting that studies it: the first whose deadline it beat (late: not the coming
    # one). A request still open after its meeting is carried over to the next.
    meeting_date: date | None = Field(default=None, index=True)
    late: bool = False
    # What the pôle decided ("suite donnée"), and who follows it up.
    decision: str | None = None
    referent: str | None = Field(default=None, max_length=120)
    decided_at: datetime | None = None
    # Earlier decisions, when the pôle decided again: [{"at", "status", "decision",
    # "referent"}], oldest first (pupil data: purged with the request).
    history: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(
        JSON, nullable=False, server_default="[]"))


class Direction(StrEnum):
    IN = "in"  # from the school (or anyone writing about the request)
    OUT = "out"  # from the circonscription


class Message(SQLModel, table=True):
    """The conversation of a request, in order: every email about it, in and out. An
    email in keeps its text (pupil data: purged with the request); one out points to
    its outbox row, which holds what was sent."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    direction: str = Field(max_length=3)  # a `Direction`
    # Who the circonscription corresponds with: an email's sender, or a mail's recipients.
    correspondent: str = Field(max_length=320)
    subject: str = Field(default="", max_length=500)
    body: str = ""
    files: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    processed_id: int | None = Field(default=None, foreign_key="processed_message.id")
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    # A message from a school that nobody has opened yet (the bureau shows them).
    read_at: datetime | None = None


class StoredFile(SQLModel, table=True):
    """A file kept for a request, stored by content hash in the private data folder."""

    __tablename__ = "stored_file"
    __table_args__ = (UniqueConstraint("request_id", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    sha256: str = Field(max_length=64, index=True)
    size: int
    name: str = Field(max_length=200)  # the sender's name for it, shown, never used as a path
    stored_at: datetime = Field(default_factory=utcnow)


class Outbox(SQLModel, table=True):
    """Mail to send, written in the same transaction as what caused it. `key` makes the
    message unique (and its Message-ID stable), so a retry never sends a second one."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, index=True)
    kind: str = Field(max_length=20)  # a `MailKind`
    message_id: str = Field(max_length=300, index=True)  # derived from the key
    reference: str | None = Field(default=None, max_length=20, index=True)
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subject: str = Field(max_length=500)
    body_text: str
    body_html: str | None = None
    in_reply_to: str | None = Field(default=None, max_length=998)
    attach_sha256: str | None = Field(default=None, max_length=64)
    # Documents stored by hash in the data folder: [{"name": ..., "sha256": ...}].
    attachments: list[dict[str, str]] = Field(default_factory=list,
                                              sa_column=Column(JSON, nullable=False,
                                                               server_default="[]"))
    # The meeting an agenda or a call for requests is about (retention, resends).
    meeting_date: date | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = Field(default=None, index=True)
    last_error: str | None = Field(default=None, max_length=500)


class AuditEvent(SQLModel, table=True):
    """What happened, when, to which reference: no pupil data here."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    event: str = Field(max_length=40)
    reference: str | None = Field(default=None, max_length=20, index=True)
    detail: str | None = Field(default=None, max_length=500)


class Counter(SQLModel, table=True):
    """Numbering of references per year: PR-2026-0001, PR-2026-0002..."""

    name: str = Field(primary_key=True, max_length=40)
    value: int = 0
