"""Trust the intake, on the real servers (Dovecot, aiosmtpd): no school mail lost, no robot,
stranger or forger answered, nothing made a request that is not a fiche, dates from our
side, one answer per email, and the conversation of each request kept.

All senders, schools and pupils are invented."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from PIL import Image, ImageDraw
from sqlmodel import select

from config.calendar import Meeting
from notify.fiche import write_fiche
from storage import repo
from storage.db import session_scope
from storage.models import AuditEvent, Message, Outbox, ProcessedMessage, Request
from tests.conftest import DATA
from tests.mail import DOCX, FICHE, URGENT, fiche_mail, message
from tests.test_worker import FOLDERS, one_pass, settings_for

SCHOOL = "ce.0381234x@ac-grenoble.fr"


def run(settings, engine, sandbox):
    return one_pass(settings, engine, sandbox)


def requests_of(engine) -> list[Request]:
    with session_scope(engine) as s:
        return list(s.exec(select(Request).order_by(Request.id)))


def to(smtp_server, address: str) -> list[EmailMessage]:
    return [m for rcpt, m in smtp_server.messages if address in rcpt]


def photo(text: str = "", size: tuple[int, int] = (900, 700)) -> bytes:
    """A picture (noise, and maybe some printed words), big enough not to be a logo."""
    rng = random.Random(7)
    image = Image.new("L", size, 255)
    pixels = image.load()
    for _ in range(size[0] * size[1] // 6):
        pixels[rng.randrange(size[0]), rng.randrange(size[1])] = rng.randrange(256)
    if text:
        draw = ImageDraw.Draw(image)
        for n, line in enumerate(text.split("\n")):
            draw.text((40, 40 + 30 * n), line, fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# --- never lose a school's mail ---------------------------------------------------------

@pytest.mark.parametrize("headers", [{"X_Auto_Response_Suppress": "All"},
                                     {"Precedence": "list"},
                                     {"List_Id": "<directeurs.ac-grenoble.fr>"}])
def test_a_fiche_is_read_whatever_machine_header_it_carries(
        engine, sandbox, tmp_path, dovecot, smtp_server, headers):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    dovecot.deliver(fiche_mail(**headers).as_bytes())
    result = run(settings, engine, sandbox)
    assert result.outcomes == {"accepted": 1} and result.references == ["PR-2026-0001"]
    assert smtp_server.messages == []  # the header means: do not answer
    assert len(dovecot.uids(FOLDERS.processed)) == 1


def test_a_text_reply_is_kept_with_its_request_and_its_follower_told(
        engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    dovecot.deliver(fiche_mail().as_bytes())
    run(settings, engine, sandbox)
    [ack] = to(smtp_server, SCHOOL)
    reply = message(subject=f"Re: {ack['Subject']}",
                    body="Bonjour, la famille a été reçue hier ; elle accepte un bilan.",
                    In_Reply_To=ack["Message-ID"])
    dovecot.deliver(reply.as_bytes())
    result = run(settings, engine, sandbox)
    assert result.outcomes == {"attached": 1}
    [request] = requests_of(engine)
    with session_scope(engine) as s:
        exchanges = repo.conversation(s, request)
    assert [(m.direction, bool(out)) for m, out in exchanges] == [
        ("in", False), ("out", True), ("in", False)]
    assert "elle accepte un bilan" in exchanges[2][0].body
    # Whoever follows the request (no referent yet: the IEN) is told, without pupil data.
    [told] = to(smtp_server, "ien.voiron@ac-grenoble.fr")
    assert "Nouveau message de l'école" in told["Subject"]
    assert "DUPONT" not in told.as_string() and "Léa" not in told.get_content()
    assert len(to(smtp_server, SCHOOL)) == 1  # the school gets no second acknowledgement


def test_an_attachment_without_a_name_or_disposition_is_found_by_content(
        engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    mail = message(body="Bonjour, voici la fiche.")
    mail.make_mixed()
    part = EmailMessage()
    part.set_content(write_fiche("docx", FICHE), maintype="application",
                     subtype="octet-stream")
    del part["Content-Disposition"]
    mail.attach(part)
    dovecot.deliver(mail.as_bytes())
    assert run(settings, engine, sandbox).outcomes == {"accepted": 1}


def test_mail_that_is_not_a_request_goes_to_a_person_unanswered(
        engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    dovecot.deliver(message(subject="Invitation : conseil d'école du 12 novembre",
                            body="Vous êtes conviée au conseil d'école.").as_bytes())
    dovecot.deliver(message(subject="", body="Pouvez-vous me rappeler ?").as_bytes())
    result = run(settings, engine, sandbox)
    assert result.outcomes == {"other": 2}
    assert smtp_server.messages == []
    assert len(dovecot.uids(FOLDERS.quarantine)) == 2  # where the secretariat looks


def test_a_request_without_its_fiche_is_asked_for_it_without_echoing_an_empty_subject(
        engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    dovecot.deliver(message(subject="", body="Voici notre demande pour le pôle.").as_bytes())
    assert run(settings, engine, sandbox).outcomes == {"no_fiche": 1}
    [asked] = to(smtp_server, SCHOOL)
    text = asked.get_body(("plain",)).get_content()
    assert "a bien reçu votre message, mais" in text and "« »" not in text


# --- never answer a robot, a stranger or a forger ------------------------------------------

@pytest.mark.parametrize("sender,headers", [
    ("Ne pas répondre <ne-pas-repondre@ac-grenoble.fr>", {}),
    ("Notifications <donotreply.notifications@ac-grenoble.fr>", {}),
    ("Alertes <alertes-noreply@ac-grenoble.fr>", {}),
    ("directeurs-request@ac-grenoble.fr", {}),
    ("owner-directeurs@ac-grenoble.fr", {}),
    ("directeurs-admin@ac-grenoble.fr", {}),
    ("Mail Delivery Subsystem <courrier@ac-grenoble.fr>", {}),
    ("Postmaster <postmaster@ac-grenoble.fr>", {}),
    ("Une école <ce.0381234x@ac-grenoble.fr>", {"Sender": "directeurs-bounces@ac-grenoble.fr"}),
])
def test_robots_of_the_allowed_domains_are_never_answered(
        engine, sandbox, tmp_path, dovecot, smtp_server, sender, headers):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    dovecot.deliver(message(sender=sender, subject="Votre demande au pôle", body="Information.",
                            **headers).as_bytes())
    assert run(settings, engine, sandbox).outcomes == {"machine": 1}
    assert smtp_server.messages == []


def test_a_digest_is_never_answered(engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    digest = message(subject="Directeurs : résumé du jour (demande, fiche)")
    digest.make_mixed()
    digest.replace_header("Content-Type", "multipart/digest")
    dovecot.deliver(digest.as_bytes())
    assert run(settings, engine, sandbox).outcomes == {"machine": 1}
    assert smtp_server.messages == []


def test_only_its_school_or_the_circonscription_may_add_to_a_request(
        engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    dovecot.deliver(fiche_mail({**FICHE, "ecole_uai": "0381234X"}).as_bytes())
    run(settings, engine, sandbox)
    forged = {**FICHE, "ecole_nom": "École usurpée", "urgence": True, "urgence_motif": "x"}
    dovecot.deliver(fiche_mail(forged, sender="ce.0389999z@ac-grenoble.fr",
                               subject="Correction PR-2026-0001").as_bytes())
    result = run(settings, engine, sandbox)
    assert result.outcomes == {"quarantined": 1}
    [request] = requests_of(engine)
    assert request.school_name == "École élémentaire Jean Jaurès" and not request.urgent
    assert len(dovecot.uids(FOLDERS.quarantine)) == 1
    # The school's own UAI address (another person of the same school) and the IEN may.
    dovecot.deliver(message(sender="Directrice <ce.0381234x@ac-grenoble.fr>",
                            subject="PR-2026-0001 compléments", body="Le bilan suit.")
                    .as_bytes())
    dovecot.deliver(message(sender="ien.voiron@ac-grenoble.fr", subject="PR-2026-0001",
                            body="Vu, à voir en réunion.").as_bytes())
    assert run(settings, engine, sandbox).outcomes == {"attached": 2}
    # The school's message is told to whoever follows the request; the IEN's own is not.
    notices = [m for m in to(smtp_server, "ien.voiron@ac-grenoble.fr")
               if "Nouveau message" in m["Subject"]]
    assert len(notices) == 1


# --- never make a request out of something that is not a fiche ----------------------------

def test_a_photo_or_a_scanned_invoice_is_no_request_and_no_alert(
        engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    dovecot.deliver(message(subject="URGENT photos de la sortie", body="Les photos.",
                            attachments=[("sortie.png", photo(), "image/png")]).as_bytes())
    dovecot.deliver(message(subject="Facture", body="Ci-joint la facture.", attachments=[
        ("facture.png", photo("FACTURE N° 2026-114\nPapeterie du Centre\nMontant : 45,00 EUR\n"
                              "Date : 05/10/2026"), "image/png")]).as_bytes())
    result = run(settings, engine, sandbox)
    assert requests_of(engine) == []
    assert "accepted" not in result.outcomes
    assert to(smtp_server, "ien.voiron@ac-grenoble.fr") == []  # no alert, no fiche sent
    assert len(dovecot.uids(FOLDERS.quarantine)) == 2


def test_a_scanned_fiche_is_a_request_and_its_acknowledgement_says_a_person_reads_it(
        engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    scan = (DATA / "45-scan-png.png").read_bytes()
    dovecot.deliver(message(attachments=[("fiche.png", scan, "image/png")]).as_bytes())
    assert run(settings, engine, sandbox).outcomes == {"accepted": 1}
    [ack] = to(smtp_server, SCHOOL)
    text = ack.get_body(("plain",)).get_content()
    assert "un membre du secrétariat la lira" in text and "Il manque" not in text


def test_files_beside_a_fiche_are_its_annexes(engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    scan = (DATA / "44-scan-pdf.pdf").read_bytes()
    dovecot.deliver(message(attachments=[
        ("fiche.docx", write_fiche("docx", FICHE), DOCX),
        ("bilan-scanne.pdf", scan, "application/pdf"),
        ("photo.png", photo(), "image/png")]).as_bytes())
    result = run(settings, engine, sandbox)
    assert result.outcomes == {"accepted": 1}
    [request] = requests_of(engine)
    with session_scope(engine) as s:
        assert sorted(f.name for f in repo.files_of(s, request)) == [
            "bilan-scanne.pdf", "fiche.docx", "photo.png"]


def test_a_corrected_fiche_updates_what_derives_from_it_and_alerts_when_now_urgent(
        engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    dovecot.deliver(fiche_mail().as_bytes())
    run(settings, engine, sandbox)
    corrected = {**URGENT, "eleve_nom": "DUPONT", "ecole_nom": "École Jean Jaurès (Voiron)",
                 "ecole_commune": "Voiron"}
    dovecot.deliver(fiche_mail(corrected, subject="PR-2026-0001 fiche corrigée").as_bytes())
    assert run(settings, engine, sandbox).outcomes == {"attached": 1}
    [request] = requests_of(engine)
    assert request.urgent and request.school_name == "École Jean Jaurès (Voiron)"
    [alert] = [m for m in to(smtp_server, "ien.voiron@ac-grenoble.fr")
               if m["Subject"].startswith("URGENT [PR-2026-0001]")]
    assert [a.get_content_type() for a in alert.iter_attachments()] == [DOCX]
    with session_scope(engine) as s:
        [audit] = s.exec(select(AuditEvent).where(AuditEvent.event == "request.corrected"))
        assert "urgence" in audit.detail and "DUPONT" not in audit.detail


# --- dates, answers ---------------------------------------------------------------------

def test_the_date_header_never_dates_the_request(engine, sandbox, tmp_path, dovecot,
                                                  smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port).model_copy(update={
        "meetings": [Meeting(date=datetime(2017, 10, 20).date()),
                     Meeting(date=datetime.now(UTC).date().replace(year=datetime.now().year + 1))]})
    old = fiche_mail()
    old.replace_header("Date", "Fri, 13 Oct 2017 09:00:00 +0200")
    dovecot.deliver(old.as_bytes())
    run(settings, engine, sandbox)
    [request] = requests_of(engine)
    this_year = datetime.now(UTC).year
    assert request.reference == f"PR-{this_year}-0001"
    assert request.meeting_date == settings.meetings[1].date
    assert request.created_at.date() == datetime.now(UTC).date()


def test_two_fiches_in_one_email_get_one_acknowledgement(engine, sandbox, tmp_path, dovecot,
                                                         smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    other = {**FICHE, "eleve_nom": "PETIT", "situation": "Une autre situation."}
    dovecot.deliver(message(attachments=[("a.docx", write_fiche("docx", FICHE), DOCX),
                                         ("b.docx", write_fiche("docx", other), DOCX)])
                    .as_bytes())
    assert run(settings, engine, sandbox).references == ["PR-2026-0001", "PR-2026-0002"]
    [ack] = to(smtp_server, SCHOOL)
    text = ack.get_body(("plain",)).get_content()
    assert "PR-2026-0001" in text and "PR-2026-0002" in text


def test_a_reply_to_an_acknowledgement_of_two_requests_reaches_both(
        engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    other = {**FICHE, "eleve_nom": "PETIT", "eleve_prenom": "Hugo",
             "situation": "Une autre situation."}
    dovecot.deliver(message(attachments=[("a.docx", write_fiche("docx", FICHE), DOCX),
                                         ("b.docx", write_fiche("docx", other), DOCX)])
                    .as_bytes())
    run(settings, engine, sandbox)
    [ack] = to(smtp_server, SCHOOL)
    dovecot.deliver(message(subject=f"Re: {ack['Subject']}", In_Reply_To=ack["Message-ID"],
                            body="Les deux familles ont été reçues.").as_bytes())
    assert run(settings, engine, sandbox).outcomes == {"attached": 1}
    first, second = requests_of(engine)
    with session_scope(engine) as s:
        for request in (first, second):
            texts = [m.body for m, _ in repo.conversation(s, request)]
            assert any("Les deux familles" in text for text in texts), request.reference
    # A corrected fiche answering the same acknowledgement corrects the pupil it is about,
    # whichever reference comes first.
    corrected = {**other, "classe": "CM2", "situation": "Une autre situation, précisée."}
    reply = message(subject="Re: fiche corrigée", In_Reply_To=ack["Message-ID"],
                    attachments=[("b2.docx", write_fiche("docx", corrected), DOCX)])
    dovecot.deliver(reply.as_bytes())
    assert run(settings, engine, sandbox).outcomes == {"attached": 1}
    first, second = requests_of(engine)
    assert second.fields["classe"] == "CM2" and first.fields.get("classe") == FICHE.get("classe")


def test_the_urgent_alert_has_what_the_ien_needs(engine, sandbox, tmp_path, dovecot,
                                                smtp_server):
    today = datetime.now(UTC).date()
    settings = settings_for(tmp_path, dovecot, smtp_server.port).model_copy(update={
        "meetings": [Meeting(date=today.replace(year=today.year + 1))]})
    dovecot.deliver(fiche_mail({**URGENT, "ecole_telephone": "04 76 12 34 56"}).as_bytes())
    run(settings, engine, sandbox)
    [alert] = to(smtp_server, "ien.voiron@ac-grenoble.fr")
    text = alert.get_body(("plain",)).get_content()
    assert "04 76 12 34 56" in text and SCHOOL in text
    assert str(today.year + 1) in text  # the meeting
    [fiche] = list(alert.iter_attachments())
    assert fiche.get_filename() == "fiche-PR-2026-0001.docx"
    assert fiche.get_content_type() == DOCX
    with session_scope(engine) as s:
        assert all(m.outcome != "quarantined" for m in s.exec(select(ProcessedMessage)))
        assert s.exec(select(Outbox)).first() is not None
        assert s.exec(select(Message)).first() is not None


def test_the_same_fiche_in_another_format_or_resaved_is_one_request(
        engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    dovecot.deliver(fiche_mail().as_bytes())
    run(settings, engine, sandbox)
    # Its PDF export, a week later: other bytes, the same fiche.
    pdf = write_fiche("pdf", FICHE)
    dovecot.deliver(message(subject="Fiche pôle (renvoi)",
                            attachments=[("fiche.pdf", pdf, "application/pdf")]).as_bytes())
    assert run(settings, engine, sandbox).outcomes == {"duplicate": 1}
    assert len(requests_of(engine)) == 1
    assert len(to(smtp_server, SCHOOL)) == 1  # acknowledged once


def test_a_corrected_fiche_sent_as_a_new_email_updates_its_request_visibly(
        engine, sandbox, tmp_path, dovecot, smtp_server):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    dovecot.deliver(fiche_mail().as_bytes())
    run(settings, engine, sandbox)
    corrected = {**FICHE, "situation": "Léa est isolée, insultée, et ne vient plus en récréation."}
    dovecot.deliver(fiche_mail(corrected, subject="Fiche corrigée").as_bytes())
    result = run(settings, engine, sandbox)
    assert result.outcomes == {"attached": 1} and result.references == ["PR-2026-0001"]
    [request] = requests_of(engine)
    assert "récréation" in request.fields["situation"]
    with session_scope(engine) as s:
        [audit] = s.exec(select(AuditEvent).where(AuditEvent.event == "request.corrected"))
        assert audit.detail == "fields changed: situation"
