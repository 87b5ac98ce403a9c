"""Who is signed in: passwords (argon2), server-side sessions, CSRF tokens, throttling.

The browser holds a random session token in an HttpOnly cookie; the database holds its
SHA-256 (`storage.accounts`). Every form carries the session's CSRF token. Failed
sign-ins lock the account for a while, growing with each failure, and the address is
told nothing more than "identifiant ou mot de passe incorrect".
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session

from storage import accounts
from storage.models import Account, Role, WebSession, utcnow

COOKIE = "saisine_session"
SEEN_EVERY = timedelta(minutes=1)
FREE_FAILURES = 5  # sign-in attempts before the account waits
LOCK_STEP = timedelta(seconds=30)  # the wait, doubled at each further failure
_HASHER = PasswordHash((Argon2Hasher(),))
# Verifying against this when the account does not exist takes as long as a real check:
# the response time does not tell which addresses have an account.
_DUMMY = _HASHER.hash("saisine-no-such-account")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    account: Account
    session: WebSession
    token: str  # for the cookie (only when just signed in)


def sign_in(session: Session, email: str, password: str,
            lifetime: timedelta) -> SignedIn | None:
    """A new session for this account if the password is right and the account neither
    inactive nor waiting; None otherwise (the caller says nothing more)."""
    account = accounts.find_account(session, email)
    now = utcnow()
    if account is None or not account.active:
        _HASHER.verify(password, _DUMMY)
        return None
    if account.locked_until is not None and account.locked_until > now:
        return None
    valid, updated = _HASHER.verify_and_update(password, account.password_hash)
    if not valid:
        account.failed_logins += 1
        if account.failed_logins >= FREE_FAILURES:
            doublings = min(account.failed_logins - FREE_FAILURES, 10)  # at most 8.5 hours
            account.locked_until = now + LOCK_STEP * 2 ** doublings
        session.add(account)
        return None
    if updated:
        account.password_hash = updated
    account.failed_logins, account.locked_until = 0, None
    return open_for(session, account, lifetime)


def open_for(session: Session, account: Account, lifetime: timedelta) -> SignedIn:
    """A new session for an account whose person has proved who they are (password, or
    the identity provider). A new token every time: a session id planted before it is
    worth nothing."""
    account.last_login_at = utcnow()
    session.add(account)
    token = secrets.token_urlsafe(32)
    row = accounts.open_session(session, account, token_hash(token), secrets.token_urlsafe(32),
                                lifetime)
    return SignedIn(account, row, token)


def current(session: Session, token: str | None) -> tuple[WebSession, Account] | None:
    if not token:
        return None
    found = accounts.live_session(session, token_hash(token))
    if found is not None:
        row, _ = found
        now = utcnow()
        if now - row.last_seen_at > SEEN_EVERY:  # not a write at every page
            row.last_seen_at = now
            session.add(row)
    return found


def csrf_ok(row: WebSession, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(row.csrf_token, given or "")


def new_account(session: Session, email: str, name: str, role: Role, password: str,
                circonscription_id: int = 1) -> Account:
    return accounts.add_account(session, Account(
        email=email, name=name, role=role.value, password_hash=hash_password(password),
        circonscription_id=circonscription_id))


MIN_PASSWORD = 12


def change_password(session: Session, account: Account, current: str, new: str,
                    keep: WebSession) -> bool:
    """The account's new password, if the current one is right; its other sessions end."""
    if len(new) < MIN_PASSWORD or not _HASHER.verify(current, account.password_hash):
        return False
    account.password_hash = hash_password(new)
    session.add(account)
    for row in accounts.open_sessions(session, account.id or 0):
        if row.id != keep.id:
            accounts.revoke(session, row)
    return True


def temporary_password() -> str:
    return secrets.token_urlsafe(12)
