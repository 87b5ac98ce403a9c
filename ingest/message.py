"""Reading one raw email into plain data: who sent it, what it answers, what it carries.

mail-parser does the MIME work (RFC 2047/2231 names, nested messages, broken
parts); this module turns its result into an `Email` and unpacks Outlook's
winmail.dat (TNEF). Nothing here decides anything: whether a message is a
fiche, a reply or a machine's mail is routing's business, which reads the
header facts collected here.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from email.policy import default as default_policy
from email.utils import getaddresses, parsedate_to_datetime
from hashlib import sha256

import mailparser
from tnefparse import TNEF

from config.errors import EmailError
from parsers.text import CONTROL_CHARS

# Headers that tell a person's mail from a machine's (RFC 3834 and common practice).
MACHINE_HEADERS = ("auto-submitted", "x-auto-response-suppress", "precedence", "list-id",
                   "list-unsubscribe", "x-autoreply", "x-autorespond", "x-loop",
                   "x-mailer-daemon", "return-path", "feedback-id", "sender")
_MSGID = re.compile(r"<[^<>\s]+>")
# RFC 5322's obsolete "Name : value" (obs-optional, 4.5.3), which real senders still
# write: Python's parser would take the rest of the header block for the body, From: too.
_OBS_FIELD = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.MULTILINE)
_END_OF_HEADERS = re.compile(rb"\r?\n\r?\n")
# A signed email's signature is not a document the school sent.
_SIGNATURES = {"application/pkcs7-signature", "application/x-pkcs7-signature",
               "application/pgp-signature"}


@dataclass(frozen=True)
class Attachment:
    """A file from the email. `name` is the sender's, for display only: never a path."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Email:
    message_id: str | None
    sender: str  # the From address, lower case ("" when there is none)
    sender_name: str
    subject: str
    date: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    headers: dict[str, str]  # MACHINE_HEADERS present, names in lower case
    content_type: str  # of the whole message, e.g. "multipart/report" for a bounce
    body: str
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...]


def safe_name(name: str | None, fallback: str = "piece-jointe") -> str:
    """A file name fit for a message or a listing: no path, no control characters."""
    name = CONTROL_CHARS.sub("", (name or "").replace("\\", "/")).split("/")[-1].strip(" .")
    return name[:120] or fallback


def read_email(raw: bytes) -> Email:
    """Parse one message (RFC 5322 bytes). Raises `EmailError` only when nothing is readable."""
    try:
        parsed = mailparser.parse_from_bytes(_obsolete_fields_read(raw))
    except Exception as err:  # mail-parser lets any parsing failure through
        raise EmailError(f"email: unreadable message ({type(err).__name__})") from err
    headers = {k.lower(): _header(parsed, k) for k in parsed.headers
               if k.lower() in MACHINE_HEADERS}
    senders = getaddresses([_header(parsed, "From")])
    sender_name, sender = senders[0] if senders else ("", "")
    return Email(
        message_id=_first_id(_header(parsed, "Message-ID")),
        sender=sender.strip().lower(),
        sender_name=sender_name.strip(),
        subject=_one_line(_decoded(parsed, "Subject") or parsed.subject),
        date=_date(_header(parsed, "Date")),
        in_reply_to=_first_id(_header(parsed, "In-Reply-To")),
        references=tuple(_MSGID.findall(_header(parsed, "References"))),
        headers=headers,
        content_type=parsed.message.get_content_type(),
        body="\n".join(parsed.text_plain) or "\n".join(parsed.text_html),
        attachments=tuple(_attachments(parsed)),
        defects=tuple(str(d) for d in (parsed.defects_categories or [])),
    )


def _obsolete_fields_read(raw: bytes) -> bytes:
    end = _END_OF_HEADERS.search(raw)
    head, rest = (raw[:end.start()], raw[end.start():]) if end else (raw, b"")
    return _OBS_FIELD.sub(rb"\1:", head) + rest


def _decoded(parsed: mailparser.MailParser, name: str) -> str:
    """A header's text by the standard library's RFC 2047 decoder: mail-parser drops the
    space between an encoded word and the plain word after a fold ("pôle ressource" came
    out "pôleressource"). Empty when the standard decoder cannot read it."""
    raw = parsed.message.get(name)
    if not isinstance(raw, str):
        return ""
    try:
        return str(default_policy.header_factory(name.lower(), raw))
    except Exception:  # a damaged header: mail-parser's reading stands
        return ""


def _header(parsed: mailparser.MailParser, name: str) -> str:
    value = parsed.message.get(name)
    return _one_line(str(value)) if value is not None else ""


def _one_line(value: object) -> str:
    """A header value on one line, without control characters. mail-parser gives a list
    when a header is repeated (a damaged or forged message): the first one counts."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return " ".join(CONTROL_CHARS.sub(" ", str(value or "")).split())


def _first_id(value: str) -> str | None:
    found = _MSGID.findall(value)
    return found[0] if found else None


def _date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None


def _attachments(parsed: mailparser.MailParser) -> list[Attachment]:
    found: list[Attachment] = []
    listed: set[str] = set()  # what mail-parser saw, by content (winmail.dat included)
    for part in parsed.attachments:
        kind = (part.get("mail_content_type") or "").lower()
        if kind == "message/rfc822":
            continue  # mail-parser already lists the forwarded message's own attachments
        if kind in _SIGNATURES:
            continue
        data = _payload(part)
        if not data:  # undecodable or empty: nothing to read
            continue
        listed.add(sha256(data).hexdigest())
        name = safe_name(part.get("filename"))
        if kind == "application/ms-tnef" or name.lower() == "winmail.dat":
            found.extend(_tnef(data))
        else:
            found.append(Attachment(name, data))
    found.extend(_unlisted_parts(parsed, listed))
    return found


def _unlisted_parts(parsed: mailparser.MailParser, listed: set[str]) -> list[Attachment]:
    """Files sent without a name or a Content-Disposition (an inline part, a bare
    application/octet-stream): mail-parser passes them over, a school's fiche may be
    one. Every non-text leaf part is taken, by content; the sniffing decides later."""
    found = []
    for part in parsed.message.walk():
        if part.is_multipart() or part.get_content_maintype() in ("text", "message", "multipart") \
                or part.get_content_type() in _SIGNATURES:
            continue
        try:
            data = part.get_payload(decode=True)
        except Exception:  # a damaged part's encoding: nothing to read in it
            continue
        if not isinstance(data, bytes) or not data:
            continue
        digest = sha256(data).hexdigest()
        if digest not in listed:
            listed.add(digest)
            found.append(Attachment(safe_name(part.get_filename()), data))
    return found


def _payload(part: dict) -> bytes | None:
    payload = part.get("payload") or ""
    if not part.get("binary"):
        return payload.encode("utf-8", "replace")
    try:
        return base64.b64decode(payload)
    except (binascii.Error, ValueError):
        return None


def _tnef(data: bytes) -> list[Attachment]:
    """The files inside Outlook's winmail.dat; none if it is damaged."""
    try:
        parsed = TNEF(data)
    except Exception:  # tnefparse raises bare exceptions on damaged input
        return []
    files = []
    for item in parsed.attachments:
        try:
            name = item.long_filename() if hasattr(item, "long_filename") else item.name
        except Exception:  # a damaged name (tnefparse decodes it without care): no name
            name = ""
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        if item.data:
            files.append(Attachment(safe_name(name), bytes(item.data)))
    return files
