"""The bureau's accounts and signed-in sessions, in the database.

A session is a random token in the browser's cookie and its SHA-256 here, with an
expiry and a revocation time, so that signing out (or an administrator) ends it
everywhere. Passwords are hashed by the caller (`bureau.auth`); this module only
stores what it is given.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage.models import Account, Circonscription, WebSession, utcnow


def name_circonscription(session: Session, name: str, circonscription_id: int = 1) -> None:
    """The circonscription's row carries the name the settings give it."""
    row = session.get(Circonscription, circonscription_id)
    if row is None:
        session.add(Circonscription(id=circonscription_id, name=name))
    elif row.name != name:
        row.name = name
        session.add(row)


def find_account(session: Session, email: str) -> Account | None:
    return session.exec(select(Account).where(Account.email == email.strip().lower())).first()


def get_account(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def accounts(session: Session, circonscription_id: int) -> list[Account]:
    return list(session.exec(select(Account).where(
        Account.circonscription_id == circonscription_id).order_by(col(Account.name))))


def add_account(session: Session, account: Account) -> Account:
    account.email = account.email.strip().lower()
    session.add(account)
    session.flush()
    return account


def open_session(session: Session, account: Account, token_hash: str, csrf_token: str,
                 lifetime: timedelta) -> WebSession:
    now = utcnow()
    row = WebSession(token_hash=token_hash, account_id=account.id or 0, csrf_token=csrf_token,
                     created_at=now, last_seen_at=now, expires_at=now + lifetime)
    session.add(row)
    return row


def live_session(session: Session, token_hash: str,
                 now: datetime | None = None) -> tuple[WebSession, Account] | None:
    """The session this token opens, with its account: not expired, not revoked, the
    account still active."""
    now = now or utcnow()
    found = session.exec(select(WebSession, Account).join(
        Account, col(Account.id) == WebSession.account_id).where(
        WebSession.token_hash == token_hash)).first()
    if found is None:
        return None
    row, account = found
    if row.revoked_at is not None or row.expires_at <= now or not account.active:
        return None
    return row, account


def revoke(session: Session, row: WebSession) -> None:
    row.revoked_at = utcnow()
    session.add(row)


def open_sessions(session: Session, account_id: int) -> list[WebSession]:
    return list(session.exec(select(WebSession).where(
        WebSession.account_id == account_id, col(WebSession.revoked_at).is_(None))))


def revoke_all(session: Session, account_id: int) -> int:
    rows = open_sessions(session, account_id)
    for row in rows:
        revoke(session, row)
    return len(rows)

