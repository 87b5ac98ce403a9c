"""Builders for test emails (invented senders and content), as schools' mail clients send them."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from email.message import EmailMessage

from demo.run import school_email
from notify.fiche import write_fiche

# The day the test emails say they were written, and the server received them.
SENT = datetime(2026, 10, 5, 9, 30, tzinfo=UTC)


def message(sender: str = "Directrice <ce.0381234x@ac-grenoble.fr>",
            subject: str = "Fiche de demande pôle ressource",
            body: str = "Bonjour, ci-joint la fiche.",
            attachments: list[tuple[str, bytes, str]] = (), **headers: str) -> EmailMessage:
    """An email with attachments given as (file name, data, MIME type), sent on 5 October."""
    return school_email(sender, subject, body, attachments, date=SENT, **headers)


def _tnef_attribute(level: int, attribute: int, data: bytes) -> bytes:
    return struct.pack("<BII", level, attribute, len(data)) + data + \
        struct.pack("<H", sum(data) & 0xFFFF)


def winmail_dat(files: list[tuple[str, bytes]]) -> bytes:
    """A minimal TNEF stream (Outlook's winmail.dat) holding `files`."""
    out = struct.pack("<IH", 0x223E9F78, 0x0102)
    out += _tnef_attribute(1, 0x00089006, struct.pack("<I", 0x00010000))  # TNEF version
    for name, data in files:
        out += _tnef_attribute(2, 0x00069002, b"\x01\x00" + b"\xff" * 4 + b"\x00" * 8)
        out += _tnef_attribute(2, 0x00018010, name.encode("latin-1") + b"\x00")
        out += _tnef_attribute(2, 0x0006800F, data)
    return out


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FICHE = {"ecole_nom": "École élémentaire Jean Jaurès", "ecole_commune": "Voiron",
         "demandeur_nom": "Claire MARTIN", "eleve_nom": "DUPONT", "eleve_prenom": "Léa",
         "motifs": ["harcelement"], "situation": "Léa est isolée et insultée.", "urgence": False,
         "date_demande": "05/10/2026"}
URGENT = {**FICHE, "eleve_nom": "ROUX", "urgence": True, "urgence_motif": "Menaces de mort."}


def fiche_mail(values: dict = FICHE, name: str = "fiche.docx", **kw: str) -> EmailMessage:
    """A school's email carrying the circonscription's fiche filled with `values`."""
    return message(attachments=[(name, write_fiche("docx", values), DOCX)], **kw)


def bounce() -> EmailMessage:
    """A delivery status notification, as a mail server sends back."""
    report = EmailMessage()
    report["From"] = "MAILER-DAEMON@ac-grenoble.fr"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.set_content("Delivery failed.")
    report.make_mixed()
    report.replace_header("Content-Type", "multipart/report; report-type=delivery-status")
    return report
