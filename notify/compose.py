"""Composing the mail Saisine sends: French texts from templates, and the headers that
keep it from looping (RFC 3834) and thread it with the school's email. What each kind
of mail says is in `notify.mails`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate

from babel.dates import format_date
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from parsers.fields import FIELD_BY_KEY, motif_label
from parsers.registry import file_type
from storage.models import MailKind

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# What schools write reaches HTML mail: escaped in every *.html.j2 template (a bare
# ["html"] would not match that double extension).
_env = Environment(loader=PackageLoader("notify", "templates"), undefined=StrictUndefined,
                   autoescape=select_autoescape(["html", "html.j2"]), keep_trailing_newline=True)


def date_fr(day: date) -> str:
    """« mardi 15 décembre 2026 », as the circonscription writes dates."""
    return format_date(day, "EEEE d MMMM y", locale="fr_FR")


def day_fr(day: date | None) -> str:
    """« 15/12/2026 », as French forms write dates; empty for none."""
    return day.strftime("%d/%m/%Y") if day else ""


def counted(n: int, one: str, many: str, none: str) -> str:
    """« 1 demande reçue », « 3 demandes reçues », « aucune demande reçue »: agreed in number."""
    return none if n == 0 else f"{n} {one if n == 1 else many}"


_env.filters["date_fr"] = date_fr
_env.filters["counted"] = counted
# A field as mail names it (its short label), from its one declaration.
_env.filters["field_label"] = lambda key: FIELD_BY_KEY[key].shown_as


def render(name: str, **context: object) -> str:
    return _env.get_template(name).render(**context)


def shown(key: str, value: object) -> str:
    if key == "motifs" and isinstance(value, list):
        return ", ".join(motif_label(m) for m in value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return day_fr(date.fromisoformat(value))
    return str(value)


def message_id(key: str, sender: str) -> str:
    """A Message-ID derived from the outbox key, in the sender's domain: the same mail keeps
    the same id on retry, and the id queued is the id sent (replies are matched on it)."""
    domain = sender.rpartition("@")[2] or "saisine.invalid"
    return f"<saisine.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build(*, message_id: str, kind: MailKind, sender: str, recipients: list[str], subject: str,
          body_text: str, body_html: str | None, in_reply_to: str | None,
          attachments: Sequence[tuple[str, bytes]] = ()) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    # RFC 3834: answers are auto-replied, alerts auto-generated; ask other robots for silence.
    # A person's reply from the bureau is neither: it goes as any person's mail does.
    if kind.automatic:
        mail["Auto-Submitted"] = "auto-replied" if kind.answers_sender else "auto-generated"
        mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(body_text)
    if body_html:
        mail.add_alternative(body_html, subtype="html")
    for name, data in attachments:
        # Named by what it is, not by what it is called: mail clients open it right.
        maintype, _, subtype = file_type(data)[1].partition("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return mail
