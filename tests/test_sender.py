"""The outbox sender against a real SMTP server (aiosmtpd): headers, attachments, outages,
refusals, TLS with certificate checks."""

from __future__ import annotations

import ssl
import subprocess
from datetime import timedelta

import pytest
from sqlmodel import select

from config.settings import Server, Settings, Storage
from demo.smtp import free_port
from notify import sender
from storage.db import session_scope
from storage.models import Outbox, utcnow
from tests.conftest import VOIRON
from tests.mail import DOCX, FICHE, URGENT, fiche_mail
from worker.pipeline import Services, process


def settings_for(tmp_path, port: int, **smtp) -> Settings:
    return Settings(
        circonscription=VOIRON,
        storage=Storage(data_dir=tmp_path / "data"),
        smtp=Server(host="127.0.0.1", port=port, security=smtp.pop("security", "none"), **smtp))


def queue(engine, sandbox, settings, values=FICHE, uid=1):
    return process(fiche_mail(values).as_bytes(), "INBOX", 1, uid, Services(settings, engine,
                                                                             sandbox))


def outbox(engine):
    with session_scope(engine) as s:
        return list(s.exec(select(Outbox).order_by(Outbox.id)))


def test_acknowledgement_and_alert_are_sent_once_with_the_right_headers(
        engine, sandbox, tmp_path, smtp_server):
    settings = settings_for(tmp_path, smtp_server.port)
    journey = queue(engine, sandbox, settings, URGENT)
    assert sender.flush(engine, settings) == (2, 0)
    assert sender.flush(engine, settings) == (0, 0)  # nothing sent twice
    # The IEN's alert goes first (it is queued as the request is made), then the answer.
    [(alert_to, alert), (ack_to, ack)] = smtp_server.messages
    assert ack_to == ["ce.0381234x@ac-grenoble.fr"] and alert_to == ["ien.voiron@ac-grenoble.fr"]
    assert ack["Auto-Submitted"] == "auto-replied" and alert["Auto-Submitted"] == "auto-generated"
    assert ack["Subject"] == f"[{journey.references[0]}] Demande reçue – pôle ressource"
    assert ack["In-Reply-To"] and ack["Message-ID"].startswith("<saisine.")
    assert "Référence : PR-2026-0001" in ack.get_body(("plain",)).get_content()
    [fiche] = list(alert.iter_attachments())
    assert fiche.get_filename() == "fiche-PR-2026-0001.docx" and fiche.get_content()[:2] == b"PK"
    assert fiche.get_content_type() == DOCX  # its real type, not application/octet-stream
    assert all(m.sent_at is not None for m in outbox(engine))


def test_smtp_outage_delays_mail_and_loses_nothing(engine, sandbox, tmp_path, smtp_server):
    down = settings_for(tmp_path, free_port())  # nothing listens there
    queue(engine, sandbox, down)
    assert sender.flush(engine, down) == (0, 1)
    [mail] = outbox(engine)
    assert mail.sent_at is None and mail.attempts == 1 and "connection" in mail.last_error
    assert mail.next_attempt_at > utcnow()
    assert sender.flush(engine, down) == (0, 0)  # not due yet
    with session_scope(engine) as s:  # time passes
        row = s.get(Outbox, mail.id)
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        s.add(row)
    up = settings_for(tmp_path, smtp_server.port)
    assert sender.flush(engine, up) == (1, 0)
    assert len(smtp_server.messages) == 1


def test_a_refused_mail_is_retried_later(engine, sandbox, tmp_path, smtp_server):
    settings = settings_for(tmp_path, smtp_server.port)
    queue(engine, sandbox, settings)
    smtp_server.refuse = "451 4.3.0 Mailbox busy, try later"
    assert sender.flush(engine, settings) == (0, 1)
    [mail] = outbox(engine)
    assert mail.sent_at is None and "451" in mail.last_error and smtp_server.messages == []


@pytest.fixture
def tls_server(tmp_path):
    """aiosmtpd with STARTTLS and a certificate from a private CA made for the test."""
    from demo.smtp import MailSink

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with MailSink(tls_context=context, require_starttls=True) as sink:
        sink.cert = cert
        yield sink


def test_starttls_checks_the_certificate(engine, sandbox, tmp_path, tls_server):
    untrusted = settings_for(tmp_path, tls_server.port, security="starttls")
    queue(engine, sandbox, untrusted)
    assert sender.flush(engine, untrusted) == (0, 1)  # self-signed and not trusted: refused
    assert "CERTIFICATE_VERIFY_FAILED" in outbox(engine)[0].last_error
    with session_scope(engine) as s:
        row = s.get(Outbox, outbox(engine)[0].id)
        row.next_attempt_at = utcnow()
        s.add(row)
    trusted = settings_for(tmp_path, tls_server.port, security="starttls", ca_file=tls_server.cert)
    assert sender.flush(engine, trusted) == (1, 0)
    assert len(tls_server.messages) == 1


def test_plain_text_smtp_is_refused_for_a_remote_server():
    with pytest.raises(ValueError, match="only allowed for a server on this machine"):
        Server(host="smtp.ac-grenoble.fr", security="none")
