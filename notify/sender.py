"""Sending the outbox: each mail marked sent only once the SMTP server has accepted it.

An SMTP outage only delays mail: a failed attempt is recorded and retried with a
growing delay. Each mail is committed on its own, so a crash loses at most the
record of one accepted mail; the Message-ID derived from its outbox key lets the
recipient's client fold a resent copy into the first.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.errors import LoginFailed, SendError, server_error
from config.retry import delay_after
from config.settings import Server, Settings
from notify import compose
from parsers.registry import file_type
from storage import repo
from storage.db import session_scope
from storage.models import MailKind, Outbox, utcnow

log = logging.getLogger("saisine.notify")

RETRY_DELAYS = (60, 300, 900, 3600, 3 * 3600)  # seconds; the last one repeats


def connect(server: Server) -> smtplib.SMTP:
    """An authenticated SMTP session: implicit TLS, STARTTLS (certificates checked), or plain
    text to a server on this machine."""
    context = ssl.create_default_context(cafile=str(server.ca_file) if server.ca_file else None)
    if server.security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout,
                                              context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        if server.security == "starttls":
            smtp.starttls(context=context)
    if server.username:
        smtp.login(server.username, server.password.get_secret_value())
    return smtp


def probe(server: Server) -> str:
    """Connect and log in as `flush` would, send nothing; says what the server offers."""
    where = f"smtp {server.host}:{server.port}"
    try:
        smtp = connect(server)
        try:
            size = smtp.esmtp_features.get("size")
        finally:
            smtp.quit()
    except smtplib.SMTPAuthenticationError as err:
        raise LoginFailed(f"{where}: login refused for {server.username!r} "
                          f"({err.smtp_code})") from err
    except (OSError, smtplib.SMTPException) as err:  # ssl.SSLError is an OSError
        raise server_error(where, err, SendError) from err
    security = {"tls": "TLS", "starttls": "STARTTLS", "none": "plain text (loopback)"}
    return (f"{where}, {security[server.security]}"
            f"{', logged in' if server.username else ''}"
            f"{f', messages up to {int(size) // 1_000_000} MB' if size and size.isdigit() else ''}")


def message_for(mail: Outbox, settings: Settings) -> EmailMessage:
    data_dir = settings.storage.data_dir
    attachments = []
    if mail.attach_sha256:
        path = repo.file_path(data_dir, mail.attach_sha256)
        if path.exists():
            data = path.read_bytes()
            # The fiche attached to an alert is named after its content, not its sender's name.
            suffix, _ = file_type(data)
            attachments.append((f"fiche-{mail.reference or 'demande'}{suffix}", data))
    for document in mail.attachments:
        path = repo.file_path(data_dir, document["sha256"])
        if path.exists():
            attachments.append((document["name"], path.read_bytes()))
    return compose.build(message_id=mail.message_id, kind=MailKind(mail.kind),
                         sender=settings.circonscription.sender, recipients=mail.recipients,
                         subject=mail.subject, body_text=mail.body_text, body_html=mail.body_html,
                         in_reply_to=mail.in_reply_to, attachments=attachments)


def flush(engine: Engine, settings: Settings, batch: int = 50) -> tuple[int, int]:
    """Send everything due, `batch` mails per SMTP session; returns (sent, failed). Stops at
    the first failure (the rest waits for its retry time). Never raises for a mail server
    problem."""
    sent = failed = 0
    while not failed:
        with session_scope(engine) as session:
            due = [m.id for m in repo.due_mail(session, limit=batch) if m.id is not None]
        if not due:
            break
        batch_sent, failed = _send(engine, settings, due)
        sent += batch_sent
        if not batch_sent:
            break
    return sent, failed


def _send(engine: Engine, settings: Settings, due: list[int]) -> tuple[int, int]:
    sent = failed = 0
    try:
        smtp = connect(settings.smtp)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as err:
        _fail_all(engine, due, f"SMTP connection: {type(err).__name__}: {err}")
        log.warning("smtp unreachable (%s); %d mail(s) will be retried", type(err).__name__,
                    len(due))
        return 0, len(due)
    try:
        for mail_id in due:
            with session_scope(engine) as session:
                mail = session.get(Outbox, mail_id)
                if mail is None or mail.sent_at is not None:
                    continue
                try:
                    smtp.send_message(message_for(mail, settings))
                except (smtplib.SMTPException, OSError) as err:
                    _retry_later(session, mail, f"{type(err).__name__}: {err}")
                    failed += 1
                    if isinstance(err, (smtplib.SMTPServerDisconnected, socket.timeout)):
                        break
                    continue
                repo.mark_sent(session, mail)
                sent += 1
                log.info("sent %s %s", mail.kind, mail.reference or mail.key[:20])
    except BaseException:
        # Interrupted (SIGTERM) maybe in the middle of a message: a QUIT now would be read
        # as part of its text, and we would wait for an answer that never comes.
        smtp.close()
        raise
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
    return sent, failed


def _retry_later(session: Session, mail: Outbox, error: str) -> None:
    delay = delay_after(RETRY_DELAYS, mail.attempts)
    repo.mark_failed(session, mail, error, utcnow() + timedelta(seconds=delay))


def _fail_all(engine: Engine, ids: list[int], error: str) -> None:
    with session_scope(engine) as session:
        for mail_id in ids:
            mail = session.get(Outbox, mail_id)
            if mail is not None and mail.sent_at is None:
                _retry_later(session, mail, error)
