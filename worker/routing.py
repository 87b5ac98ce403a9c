"""What becomes of an email: decided here, and only here.

The pipeline's steps gather facts (who sent it, whether a machine did, whether it
asks for no answer, which attachments are fiches and what they say, which request
it answers and whether its sender may touch that request); `route` turns them into
one `Decision`. Nothing else chooses between accepting, attaching, ignoring and
quarantining, nor whether we answer.

Two rules shape it (RFC 3834 and the secretariat's needs):
- machine headers decide whether we *answer*, never whether we *read*: a fiche is
  read and becomes a request whatever header its email carries;
- what does not become a request and is not clearly a machine's mail goes where a
  person looks (the quarantine folder, with its reason).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from config.settings import Settings
from ingest.message import Attachment, Email
from parsers.fields import FIELDS, missing_from
from parsers.model import Extraction
from parsers.text import norm
from storage.models import Outcome, Request

REFERENCE = re.compile(r"\bPR-(\d{4})-(\d{4})\b")
_URGENT = re.compile(r"\burgen(?:t|te|ce)\b", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:r[ée]ponse automatique|message d'absence|absence du bureau|absent|out of office|"
    r"automatic reply|auto(?:matic)?[- ]?reply|autoreply|undeliverable|non remis|"
    r"delivery status notification|mail delivery (?:failed|system))\b", re.IGNORECASE)
# Local parts of robots' addresses: no-reply senders anywhere in the name, mail systems,
# and list software (RFC 2142, and the -request / -owner / owner- conventions).
_ROBOT_LOCAL = re.compile(
    r"no-?reply|do-?not-?reply|ne-?pas-?r[ée]pondre|nepasrepondre|ne_pas_repondre"
    r"|^(?:mailer-daemon|postmaster|bounces?|daemon|owner-.+|listserv|majordomo)$"
    r"|-(?:request|owner|admin|bounces?)$", re.IGNORECASE)
_ROBOT_NAMES = re.compile(r"mail delivery (?:subsystem|system)|mailer-daemon|postmaster",
                          re.IGNORECASE)
# A report as a whole message, or one a mail system mislabelled (RFC 6522, 3464, 8098).
_REPORTS = {"multipart/report", "message/delivery-status", "message/disposition-notification"}
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# Words of an email that tries to send a request; folded (no accents, lower case).
_REQUEST_WORDS = re.compile(r"\b(?:fiche|fiches|demande|demandes|pole|saisine)\b")
# Fields a fiche has and no other school document does: three of them make a fiche.
_FICHE_MARKERS = tuple(f.key for f in FIELDS if f.identifies)
# A scan is taken for a fiche only on evidence OCR cannot invent: the fiche's own
# labels read on it, or identifiers that check themselves (UAI, e-mail, phone).
_SCAN_LABELS = 3
_SCAN_IDENTIFIERS = 2
_IDENTIFIERS = ("ecole_uai", "ecole_email", "ecole_telephone")


@dataclass(frozen=True)
class Read:
    """One attachment and what extraction made of it (or why it could not)."""

    attachment: Attachment
    extraction: Extraction | None
    error: str | None = None

    @property
    def scanned(self) -> bool:
        return self.extraction is not None and self.extraction.scanned

    @property
    def is_fiche(self) -> bool:
        if self.extraction is None:
            return False
        fields = self.extraction.fields
        if self.extraction.scanned:
            identifiers = sum(1 for key in _IDENTIFIERS if fields.get(key))
            return (self.extraction.labels_seen >= _SCAN_LABELS
                    or identifiers >= _SCAN_IDENTIFIERS)
        return sum(1 for key in _FICHE_MARKERS if fields.get(key) not in (None, [])) >= 3


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str
    fiches: list[Read] = field(default_factory=list)  # new fiches, for NEW and ATTACHED
    others: list[Attachment] = field(default_factory=list)  # documents that come with them
    reference: str | None = None  # the request a reply belongs to
    # The other requests a reply concerns (it answers an acknowledgement listing several):
    # its text and documents join their conversations too.
    also: tuple[str, ...] = ()
    urgent_subject: bool = False
    answer: bool = False  # whether the sender gets an answer (acknowledgement, request)


@dataclass(frozen=True)
class Sender:
    """What the pipeline learnt of who sent the email."""

    robot: str | None = None  # why it is clearly a machine's mail (bounce, auto-reply...)
    quiet: str | None = None  # why it must not be answered (robot, list, suppress header)
    allowed: bool = False  # from a school's domain


def robot_reason(email: Email, own_addresses: list[str]) -> str | None:
    """Why this email is clearly a machine's (RFC 3834 and practice), or None."""
    h = email.headers
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto[:40]}"
    if email.content_type in _REPORTS:
        return "delivery or read report"
    if email.content_type == "multipart/digest":
        return "list digest"
    if h.get("return-path", "").strip() == "<>":
        return "empty Return-Path (bounce)"
    if "x-autoreply" in h or "x-autorespond" in h:
        return "auto-reply header"
    if h.get("precedence", "").strip().lower() in ("junk", "auto_reply"):
        return f"Precedence: {h['precedence'].strip().lower()}"
    if email.sender in {a.lower() for a in own_addresses}:
        return "our own address"
    if _is_robot_address(email.sender):
        return "robot sender address"
    sender_header = _ADDRESS.search(h.get("sender", ""))
    if sender_header and _is_robot_address(sender_header[0]):
        return "Sender: header names a list or a robot"
    if _ROBOT_NAMES.search(email.sender_name):
        return "mail system's name"
    if _AUTO_SUBJECT.match(email.subject):
        return "auto-reply subject"
    return None


def quiet_reason(email: Email, robot: str | None) -> str | None:
    """Why we must not answer this email, or None: a robot, or a header asking for
    no automatic answer (lists, bulk mail, Outlook's X-Auto-Response-Suppress)."""
    if robot:
        return robot
    h = email.headers
    suppress = h.get("x-auto-response-suppress", "").lower()
    if any(word in suppress for word in ("all", "oof", "autoreply")):
        return f"X-Auto-Response-Suppress: {suppress[:40]}"
    if h.get("precedence", "").strip().lower() in ("bulk", "list"):
        return f"Precedence: {h['precedence'].strip().lower()}"
    if "list-id" in h or "list-unsubscribe" in h:
        return "mailing list"
    return None


def _is_robot_address(address: str) -> bool:
    return bool(_ROBOT_LOCAL.search(address.rpartition("@")[0]))


def sender_allowed(email: Email, allowed_domains: list[str]) -> bool:
    domain = email.sender.rpartition("@")[2]
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in allowed_domains)


def references_in(text: str) -> list[str]:
    """The request references a subject names, in order, once each (a reply to an
    acknowledgement of two fiches names both)."""
    return list(dict.fromkeys(m[0] for m in REFERENCE.finditer(text)))


def may_update(sender: str, request_sender: str, request_uai: str | None,
               settings: Settings) -> bool:
    """Whether `sender` may add to a request: the school that sent it (the same address,
    or the school's own UAI address, ce.0381234x@...), or the circonscription's staff.
    Anyone else naming its reference in a subject is not trusted with it."""
    sender = sender.lower()
    if sender == request_sender.lower() or settings.is_staff(sender):
        return True
    local, _, domain = sender.partition("@")
    return bool(request_uai) and local == f"ce.{request_uai}".lower() and \
        domain == request_sender.rpartition("@")[2].lower()


def tries_to_send_a_request(email: Email, reads: list[Read]) -> bool:
    """An attachment, or words such as fiche, demande, pôle or saisine: an email that
    means to reach the pôle, and may be told its fiche was not found."""
    return bool(reads) or bool(_REQUEST_WORDS.search(norm(f"{email.subject} {email.body}")))


def fiche_keys(fields: dict[str, Any]) -> tuple[str | None, str | None]:
    """(identity, content) of what a fiche says, as hashes: the same school and pupil;
    the same fiche whatever file carries it (a DOCX and its PDF export, a re-save). None
    where the fiche does not say enough to tell."""
    school = fields.get("ecole_uai") or norm(f"{fields.get('ecole_nom') or ''} "
                                             f"{fields.get('ecole_commune') or ''}")
    if not school:
        return None, None
    pupil = norm(f"{fields.get('eleve_nom') or ''} {fields.get('eleve_prenom') or ''}")
    situation = norm(fields.get("situation") or "")[:300]
    identity = _digest("identity", school, pupil) if pupil else None
    content = _digest("content", school, pupil, fields.get("date_demande") or "", situation) \
        if pupil or situation else None
    return identity, content


def take_fields(request: Request, fields: dict[str, Any]) -> None:
    """The request holds these fields, and what derives from them: the school's name and
    commune, the keys that recognise its fiche, what it still lacks."""
    request.fields = fields
    request.school_name, request.school_commune = fields.get("ecole_nom"), fields.get(
        "ecole_commune")
    request.identity_key, request.content_key = fiche_keys(fields)
    request.missing = missing_from(fields)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def route(email: Email, *, sender: Sender, reads: list[Read], known_fiches: set[str],
          replied_reference: str | None, reply_trusted: bool, ask_for_fiche: str,
          corrects: str | None = None, also_replied: tuple[str, ...] = ()) -> Decision:
    """The one decision. `known_fiches`: hashes of fiches already stored, or read the
    same as one; `replied_reference`: the known request this email answers, if any, and
    `reply_trusted` whether its sender may add to it, `also_replied` the other requests
    it answers that its sender may add to; `corrects`: the request its one new
    fiche corrects (same school and pupil, other content, from its school);
    `ask_for_fiche`: when an email without a fiche is answered ("attempts", "always" or
    "never")."""
    urgent_subject = bool(_URGENT.search(email.subject))
    answer = sender.quiet is None
    if not sender.allowed:
        if sender.robot:
            return Decision(Outcome.MACHINE, sender.robot)
        if not email.sender:  # nobody to answer, and not clearly a machine: a person looks
            return Decision(Outcome.QUARANTINE, "no sender address")
        domain = email.sender.rpartition("@")[2]
        return Decision(Outcome.QUARANTINE, f"sender domain {domain} is not allowed")
    fiches = [r for r in reads if r.is_fiche]
    if any(not r.scanned for r in fiches):
        # A fiche typed in: the scans and photos beside it are its annexes.
        fiches = [r for r in fiches if not r.scanned]
    new = [r for r in fiches if r.attachment.sha256 not in known_fiches]
    chosen = {id(r) for r in fiches}
    # Everything that is not a fiche is kept with the request for a person to open, the
    # files Saisine could not read included (a damaged report is still the school's).
    others = [r.attachment for r in reads if id(r) not in chosen]
    unreadable = [r for r in reads if r.error is not None]
    if replied_reference and (reads or email.body.strip()):
        if not reply_trusted:
            return Decision(Outcome.QUARANTINE, f"names {replied_reference} but does not come "
                                                f"from its school nor from the circonscription")
        return Decision(Outcome.ATTACHED, f"reply to {replied_reference}", fiches=new,
                        others=others, reference=replied_reference, also=also_replied,
                        urgent_subject=urgent_subject, answer=answer)
    if corrects and len(new) == 1:
        return Decision(Outcome.ATTACHED, f"corrected fiche for {corrects}", fiches=new,
                        others=others, reference=corrects, urgent_subject=urgent_subject,
                        answer=answer)
    if new:
        return Decision(Outcome.NEW, f"{len(new)} new fiche(s)", fiches=new, others=others,
                        urgent_subject=urgent_subject, answer=answer)
    if fiches:
        return Decision(Outcome.DUPLICATE, "every fiche in it is already a request")
    if sender.robot:
        return Decision(Outcome.MACHINE, sender.robot)
    if unreadable and len(unreadable) == len(reads):
        return Decision(Outcome.QUARANTINE, "; ".join(r.error or "" for r in unreadable)[:480])
    attempt = tries_to_send_a_request(email, reads)
    if answer and (ask_for_fiche == "always" or (ask_for_fiche == "attempts" and attempt)):
        return Decision(Outcome.NO_FICHE, "no fiche found in the email", others=others,
                        urgent_subject=urgent_subject, answer=True)
    why = "no fiche found in the email" if attempt else "not a request to the pôle"
    return Decision(Outcome.OTHER, f"{why}; left for the secretariat, unanswered"
                                   f"{f' ({sender.quiet})' if sender.quiet else ''}",
                    others=others)
