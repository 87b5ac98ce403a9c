"""What becomes of an email: decided here, and only here.

The pipeline's steps gather facts (who sent it, whether a machine did, which
attachments are fiches and what they say, which request it answers); `route`
turns them into one `Decision`. Nothing else chooses between accepting,
attaching, ignoring and quarantining.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.message import Attachment, Email
from parsers.fields import FIELDS
from parsers.model import Extraction
from storage.models import Outcome

REFERENCE = re.compile(r"\bPR-(\d{4})-(\d{4})\b")
_URGENT = re.compile(r"\burgen(?:t|te|ce)\b", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:r[ée]ponse automatique|message d'absence|absence du bureau|absent|out of office|"
    r"automatic reply|auto(?:matic)?[- ]?reply|autoreply|undeliverable|non remis|"
    r"delivery status notification|mail delivery (?:failed|system))\b", re.IGNORECASE)
_ROBOT_SENDERS = re.compile(r"^(?:mailer-daemon|postmaster|no-?reply|ne-?pas-?repondre|"
                            r"nepasrepondre|bounce[s]?|daemon)[@+.-]", re.IGNORECASE)
# Fields a fiche has and no other school document does: three of them make a fiche.
_FICHE_MARKERS = tuple(f.key for f in FIELDS if f.identifies)


@dataclass(frozen=True)
class Read:
    """One attachment and what extraction made of it (or why it could not)."""

    attachment: Attachment
    extraction: Extraction | None
    error: str | None = None

    @property
    def is_fiche(self) -> bool:
        if self.extraction is None:
            return False
        if self.extraction.scanned:
            return True  # cannot tell by reading: a person will look
        fields = self.extraction.fields
        return sum(1 for key in _FICHE_MARKERS if fields.get(key) not in (None, [])) >= 3


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str
    fiches: list[Read] = field(default_factory=list)  # new fiches, for NEW and ATTACHED
    others: list[Attachment] = field(default_factory=list)  # documents that come with them
    reference: str | None = None  # the request a reply belongs to
    urgent_subject: bool = False

    @property
    def answers_sender(self) -> bool:
        return self.outcome in (Outcome.NEW, Outcome.ATTACHED, Outcome.NO_FICHE)


def machine_reason(email: Email, own_addresses: list[str]) -> str | None:
    """Why this email comes from a machine (RFC 3834 and practice), or None for a person."""
    h = email.headers
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto[:40]}"
    if email.content_type == "multipart/report":
        return "delivery or read report"
    if h.get("return-path", "").strip() == "<>":
        return "empty Return-Path (bounce)"
    if h.get("precedence", "").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {h['precedence'].strip().lower()}"
    if "list-id" in h or "list-unsubscribe" in h:
        return "mailing list"
    suppress = h.get("x-auto-response-suppress", "").lower()
    if any(word in suppress for word in ("all", "oof", "autoreply")):
        return f"X-Auto-Response-Suppress: {suppress[:40]}"
    if "x-autoreply" in h or "x-autorespond" in h:
        return "auto-reply header"
    if not email.sender:
        return "no sender"
    if email.sender in {a.lower() for a in own_addresses}:
        return "our own address"
    if _ROBOT_SENDERS.match(email.sender):
        return "robot sender address"
    if _AUTO_SUBJECT.match(email.subject):
        return "auto-reply subject"
    return None


def sender_allowed(email: Email, allowed_domains: list[str]) -> bool:
    domain = email.sender.rpartition("@")[2]
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in allowed_domains)


def reference_in(email: Email) -> str | None:
    m = REFERENCE.search(email.subject)
    return m[0] if m else None


def route(email: Email, *, machine: str | None, allowed: bool, reads: list[Read],
          known_fiches: set[str], replied_reference: str | None) -> Decision:
    """The one decision. `known_fiches`: hashes of fiches already stored;
    `replied_reference`: the known request this email answers, if any."""
    urgent_subject = bool(_URGENT.search(email.subject))
    if machine:
        return Decision(Outcome.MACHINE, machine)
    if not allowed:
        domain = email.sender.rpartition("@")[2] or "?"
        return Decision(Outcome.QUARANTINE, f"sender domain {domain} is not allowed")
    fiches = [r for r in reads if r.is_fiche]
    new = [r for r in fiches if r.attachment.sha256 not in known_fiches]
    # Everything that is not a fiche is kept with the request for a person to open, the
    # files Saisine could not read included (a damaged report is still the school's).
    others = [r.attachment for r in reads if not r.is_fiche]
    unreadable = [r for r in reads if r.error is not None]
    if replied_reference and (reads or email.body.strip()):
        return Decision(Outcome.ATTACHED, f"reply to {replied_reference}", fiches=new,
                        others=others, reference=replied_reference, urgent_subject=urgent_subject)
    if new:
        return Decision(Outcome.NEW, f"{len(new)} new fiche(s)", fiches=new, others=others,
                        urgent_subject=urgent_subject)
    if fiches:
        return Decision(Outcome.DUPLICATE, "every fiche in it is already a request")
    if unreadable and len(unreadable) == len(reads):
        return Decision(Outcome.QUARANTINE, "; ".join(r.error or "" for r in unreadable)[:480])
    return Decision(Outcome.NO_FICHE, "no fiche found in the email", others=others,
                    urgent_subject=urgent_subject)
