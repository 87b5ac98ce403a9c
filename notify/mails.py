"""Every mail Saisine writes, one function per kind, each returning a `Draft`.

A draft is everything the outbox row needs: kind, key (which makes the mail unique
and its Message-ID stable), recipients, subject, text and HTML, threading and
attachments. The worker only decides *when* a mail is due and queues the draft
(`storage.repo.enqueue`) in the same transaction as what caused it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from config.calendar import Member
from config.settings import Circonscription
from notify import compose
from parsers.fields import FIELD_BY_KEY, FIELDS, motif_label
from storage.models import MailKind, Request


@dataclass(frozen=True)
class Draft:
    kind: MailKind
    key: str
    message_id: str
    recipients: list[str]
    subject: str
    text: str
    html: str | None = None
    in_reply_to: str | None = None
    reference: str | None = None  # the request it is about
    meeting_date: date | None = None  # the meeting it is about
    fiche_sha256: str | None = None  # the school's fiche, attached (alerts)
    # Documents stored by hash in the data folder: [{"name": ..., "sha256": ...}].
    attachments: list[dict[str, str]] = field(default_factory=list)


def key_of(kind: MailKind, *parts: object) -> str:
    """The outbox key: one mail of this kind for these parts, ever. Existing keys (and
    so Message-IDs, which replies are matched on) must never change form."""
    prefix = "nofiche" if kind == MailKind.NO_FICHE else kind.value
    return ":".join([prefix, *(str(p) for p in parts)])


def _draft(circo: Circonscription, kind: MailKind, parts: tuple[object, ...],
           **values: Any) -> Draft:
    key = key_of(kind, *parts)
    return Draft(kind=kind, key=key, message_id=compose.message_id(key, circo.sender), **values)


def acknowledgement_id(reference: str, circo: Circonscription) -> str:
    """The Message-ID of a request's acknowledgement: later mail to the school threads
    under it."""
    return compose.message_id(key_of(MailKind.ACK, reference), circo.sender)


# What the acknowledgement repeats: only what the school itself wrote, and no pupil data.
ACKNOWLEDGED = tuple(f for f in FIELDS if f.acknowledged)


def _asked(key: str) -> str:
    spec = FIELD_BY_KEY.get(key)
    return (spec.ask or spec.shown_as) if spec else key


def acknowledgement(requests: list[Request], to: str, in_reply_to: str | None,
                    circo: Circonscription) -> Draft:
    """One answer to one email, listing every request its fiches made."""
    items = [dict(r=r, meeting=r.meeting_date, late=r.late, classe=r.fields.get("classe"),
                  read=[(f.shown_as, compose.shown(f.key, r.fields[f.key]))
                        for f in ACKNOWLEDGED if r.fields.get(f.key) not in (None, [])],
                  missing=[_asked(key) for key in r.missing])
             for r in requests]
    context = dict(items=items, circonscription=circo.name)
    first = requests[0].reference
    references = ", ".join(r.reference for r in requests)
    subject = (f"[{first}] Demande reçue – pôle ressource" if len(requests) == 1
               else f"[{references}] Demandes reçues – pôle ressource")
    return _draft(circo, MailKind.ACK, (first,), recipients=[to], subject=subject,
                  text=compose.render("ack.txt.j2", **context),
                  html=compose.render("ack.html.j2", **context),
                  in_reply_to=in_reply_to, reference=first)


def alert(request: Request, fiche_sha256: str, subject_urgent: bool, sent_by: str,
          circo: Circonscription) -> Draft:
    """An urgent request, to the IEN: what is needed to act at once (the school's phone,
    who sent it, the meeting), the fiche attached."""
    fields = request.fields
    context = dict(r=request, f=fields, subject_urgent=subject_urgent, sender=sent_by,
                   motifs=[motif_label(m) for m in fields.get("motifs") or []],
                   circonscription=circo.name)
    school = request.school_name or "école non lue"
    return _draft(circo, MailKind.ALERT, (request.reference,), recipients=list(circo.alert_to),
                  subject=f"URGENT [{request.reference}] {school}",
                  text=compose.render("alert.txt.j2", **context),
                  html=compose.render("alert.html.j2", **context),
                  fiche_sha256=fiche_sha256, reference=request.reference)


def school_message(request: Request, to: list[str], content_hash: str,
                   circo: Circonscription) -> Draft:
    """Tells who follows a request that its school wrote again (text or documents)."""
    school = request.school_name or request.sender
    text = compose.render("school_message.txt.j2", r=request, school=school,
                          circonscription=circo.name)
    return _draft(circo, MailKind.SCHOOL_MESSAGE, (request.reference, content_hash),
                  recipients=to, subject=f"[{request.reference}] Nouveau message de l'école",
                  text=text, reference=request.reference)


def fiche_not_found(to: str, subject: str, content_hash: str, in_reply_to: str | None,
                    circo: Circonscription) -> Draft:
    context = dict(subject=subject[:120], circonscription=circo.name)
    return _draft(circo, MailKind.NO_FICHE, (content_hash,), recipients=[to],
                  subject="Fiche de demande non trouvée – pôle ressource",
                  text=compose.render("no_fiche.txt.j2", **context),
                  html=compose.render("no_fiche.html.j2", **context),
                  in_reply_to=in_reply_to)


def agenda(meeting: date, to: str, text: str, html: str, attachments: list[dict[str, str]],
           circo: Circonscription, again: str | None = None) -> Draft:
    """A meeting's agenda to one member; `again` makes a resend on demand a new mail."""
    parts: tuple[object, ...] = (meeting.isoformat(), to, *((again,) if again else ()))
    return _draft(circo, MailKind.AGENDA, parts, recipients=[to],
                  subject=f"Ordre du jour du pôle ressource – réunion du "
                          f"{compose.date_fr(meeting)}",
                  text=text, html=html, attachments=attachments, meeting_date=meeting)


def nothing_to_study(meeting: date, deadline: date, to: str, circo: Circonscription) -> Draft:
    """Instead of an empty agenda: the IEN is told that no request came for the meeting."""
    text = compose.render("agenda_empty.txt.j2", meeting=meeting, deadline=deadline,
                          circonscription=circo.name)
    return _draft(circo, MailKind.AGENDA, (meeting.isoformat(), to), recipients=[to],
                  subject=f"Pôle ressource – réunion du {compose.date_fr(meeting)} : "
                          f"aucune demande",
                  text=text, meeting_date=meeting)


def reminder(meeting: date, deadline: date, to: str, circo: Circonscription) -> Draft:
    text = compose.render("reminder.txt.j2", meeting=meeting, deadline=deadline,
                          circonscription=circo.name)
    return _draft(circo, MailKind.REMINDER, (meeting.isoformat(), to), recipients=[to],
                  subject=f"Pôle ressource : demandes pour la réunion du "
                          f"{compose.date_fr(meeting)}",
                  text=text, meeting_date=meeting)


def decision(request: Request, decided_at: str, follower: Member | None,
             circo: Circonscription) -> Draft:
    """The pôle's decision to the school, threaded under our acknowledgement, naming the
    person who follows it up and how to reach them."""
    text = compose.render("decision.txt.j2", r=request, follower=follower,
                          circonscription=circo.name)
    return _draft(circo, MailKind.DECISION, (request.reference, decided_at),
                  recipients=[request.sender],
                  subject=f"[{request.reference}] Suite donnée par le pôle ressource",
                  text=text, in_reply_to=acknowledgement_id(request.reference, circo),
                  reference=request.reference)


def reply(request: Request, text: str, author: str, in_reply_to: str, token: str,
          circo: Circonscription) -> Draft:
    """A person's message to the school about its request, from the bureau: their words,
    signed with their name, threaded with the school's last email."""
    body = compose.render("reply.txt.j2", r=request, text=text.strip(), author=author,
                          circonscription=circo.name)
    return _draft(circo, MailKind.REPLY, (request.reference, token), recipients=[request.sender],
                  subject=f"[{request.reference}] Message du pôle ressource", text=body,
                  in_reply_to=in_reply_to, reference=request.reference)
