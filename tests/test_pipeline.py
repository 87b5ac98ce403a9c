"""The pipeline end to end without a mailbox: raw email in, requests, files and outbox mail
out, on SQLite and PostgreSQL. Every routing case, dedup, and the acknowledgement's content."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from sqlmodel import select

from config.settings import Settings, Storage
from notify.fiche import write_fiche
from storage.db import session_scope
from storage.models import Outbox, Outcome, ProcessedMessage, Request, StoredFile
from tests import hostile
from tests.conftest import VOIRON
from tests.mail import DOCX, FICHE, SENT, URGENT, bounce, fiche_mail, message
from worker.pipeline import Services, process


@pytest.fixture
def services(engine, sandbox, tmp_path):
    settings = Settings(
        circonscription=VOIRON,
        storage=Storage(data_dir=tmp_path / "data"))
    return Services(settings, engine, sandbox)


class Mailbox:
    """Hands out UIDs like a mailbox would."""

    def __init__(self) -> None:
        self.uid = 0

    def deliver(self, services: Services, m: EmailMessage | bytes, uidvalidity: int = 1,
                received: datetime = SENT):
        """`received`: when the server got it (INTERNALDATE); by default the day the test
        emails say they were written."""
        self.uid += 1
        raw = m if isinstance(m, bytes) else m.as_bytes()
        return process(raw, "INBOX", uidvalidity, self.uid, services, received=received)


def rows(services, model):
    with session_scope(services.engine) as s:
        return list(s.exec(select(model).order_by(model.id)))


def test_a_new_fiche_makes_a_request_and_an_acknowledgement(services):
    journey = Mailbox().deliver(services, fiche_mail())
    assert journey.outcome == "accepted" and journey.references == ["PR-2026-0001"]
    [request] = rows(services, Request)
    assert request.fields["ecole_commune"] == "Voiron" and not request.urgent
    [ack] = rows(services, Outbox)
    assert ack.kind == "ack" and ack.recipients == ["ce.0381234x@ac-grenoble.fr"]
    assert "PR-2026-0001" in ack.subject and "PR-2026-0001" in ack.body_text
    assert "Voiron" in ack.body_text and "harcèlement" in ack.body_text
    assert "Date de la demande : 05/10/2026" in ack.body_text  # as French forms write it
    # The acknowledgement repeats no pupil data.
    assert "DUPONT" not in ack.body_text and "Léa" not in ack.body_text
    assert ack.in_reply_to and ack.message_id.startswith("<saisine.")
    [stored] = rows(services, StoredFile)
    assert stored.name == "fiche.docx" and stored.request_id == request.id


def test_urgent_fiche_alerts_the_ien_with_the_fiche(services):
    Mailbox().deliver(services, fiche_mail(URGENT))
    [request] = rows(services, Request)
    assert request.urgent
    alert = next(m for m in rows(services, Outbox) if m.kind == "alert")
    assert alert.recipients == ["ien.voiron@ac-grenoble.fr"]
    assert alert.subject.startswith("URGENT [PR-2026-0001]")
    assert "Menaces de mort." in alert.body_text and alert.attach_sha256 == request.fiche_hash
    assert "Motif de l'urgence : Menaces de mort." in alert.body_text
    assert "<strong>Demande URGENTE reçue : PR-2026-0001</strong>" in alert.body_html


def test_urgent_in_the_subject_is_enough(services):
    Mailbox().deliver(services, fiche_mail(subject="URGENT - fiche pôle ressource"))
    assert rows(services, Request)[0].urgent
    assert sorted(m.kind for m in rows(services, Outbox)) == ["ack", "alert"]


def test_the_same_email_twice_or_after_a_uidvalidity_change_is_processed_once(services):
    box, mail = Mailbox(), fiche_mail().as_bytes()
    assert box.deliver(services, mail).outcome == "accepted"
    assert process(mail, "INBOX", 1, box.uid, services).outcome == "seen"  # same UID again
    assert box.deliver(services, mail, uidvalidity=2).outcome == "seen"  # new UIDVALIDITY
    assert len(rows(services, Request)) == 1 and len(rows(services, Outbox)) == 1
    assert [m.outcome for m in rows(services, ProcessedMessage)] == ["accepted", "seen"]


def test_the_same_fiche_in_another_email_is_a_duplicate(services):
    # The same file sent again (a DOCX written twice differs by its timestamps).
    fiche = [("fiche.docx", write_fiche("docx", FICHE), DOCX)]
    box = Mailbox()
    box.deliver(services, message(attachments=fiche))
    again = box.deliver(services, message(subject="Fiche (renvoi)", attachments=fiche))
    assert again.outcome == "duplicate"
    assert len(rows(services, Request)) == 1 and len(rows(services, Outbox)) == 1


def test_two_fiches_in_one_email_make_two_requests(services):
    other = {**FICHE, "eleve_nom": "PETIT", "situation": "Autre élève, autre situation."}
    mail = message(attachments=[("a.docx", write_fiche("docx", FICHE), DOCX),
                                ("b.docx", write_fiche("docx", other), DOCX)])
    journey = Mailbox().deliver(services, mail)
    assert journey.references == ["PR-2026-0001", "PR-2026-0002"]
    # One email, one answer: it lists both references.
    [ack] = rows(services, Outbox)
    assert ack.key == "ack:PR-2026-0001" and "[PR-2026-0001, PR-2026-0002]" in ack.subject
    assert "Référence : PR-2026-0001 (fiche 1" in ack.body_text
    assert "Référence : PR-2026-0002 (fiche 2" in ack.body_text


@pytest.mark.parametrize("headers,reason", [
    ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
    ({"Precedence": "bulk"}, "Precedence"),
    ({"List_Id": "<directeurs.ac-grenoble.fr>"}, "mailing list"),
    ({"X_Auto_Response_Suppress": "All"}, "X-Auto-Response-Suppress"),
])
def test_a_fiche_is_read_whatever_its_headers_but_never_answered(services, headers, reason):
    """Outlook puts X-Auto-Response-Suppress on ordinary mail, list software Precedence:
    those headers mean "do not answer", not "do not read"."""
    journey = Mailbox().deliver(services, fiche_mail(**headers))
    assert journey.outcome == "accepted" and journey.references == ["PR-2026-0001"]
    assert rows(services, Outbox) == []  # no acknowledgement
    with session_scope(services.engine) as s:
        from storage.models import AuditEvent

        assert s.exec(select(AuditEvent).where(AuditEvent.event == "reply.withheld")).first()


@pytest.mark.parametrize("headers", [
    {"Auto_Submitted": "auto-replied"}, {"Precedence": "bulk"},
    {"List_Id": "<directeurs.ac-grenoble.fr>"}, {"X_Auto_Response_Suppress": "All"},
])
def test_without_a_fiche_such_mail_is_left_unanswered(services, headers):
    journey = Mailbox().deliver(services, message(subject="Lettre d'information", body="Infos.",
                                                  **headers))
    assert journey.outcome in ("machine", "other") and rows(services, Outbox) == []


def test_auto_reply_subject_and_our_own_address_are_machines(services):
    box = Mailbox()
    assert box.deliver(services, message(subject="Réponse automatique : absence")).outcome == \
        "machine"
    own = message(sender="Saisine <pole.ressource@circo-test.fr>")
    assert box.deliver(services, own).outcome == "machine"
    assert rows(services, Outbox) == []


def test_bounce_is_a_machine(services):
    assert Mailbox().deliver(services, bounce()).outcome == "machine"
    assert rows(services, Outbox) == []


def test_sender_outside_the_allow_list_is_quarantined_without_reply(services):
    journey = Mailbox().deliver(services, fiche_mail(sender="someone@gmail.com"))
    assert journey.outcome == "quarantined" and "gmail.com" in journey.decision.reason
    assert rows(services, Outbox) == [] and rows(services, Request) == []


def test_email_without_fiche_asks_the_school_for_it(services):
    journey = Mailbox().deliver(services, message(subject="Demande pour un élève",
                                                  body="Pouvez-vous venir ?"))
    assert journey.outcome == "no_fiche"
    [reply] = rows(services, Outbox)
    assert reply.kind == "no_fiche" and "fiche" in reply.body_text
    assert "« Demande pour un élève »" in reply.body_html


def test_what_schools_write_is_escaped_in_html_mail(services):
    Mailbox().deliver(services, message(subject="<b>Question</b>", body="Sans fiche."))
    [reply] = rows(services, Outbox)
    assert "&lt;b&gt;Question&lt;/b&gt;" in reply.body_html and "<b>" not in reply.body_html


def test_reply_with_reference_in_subject_attaches_documents(services):
    box = Mailbox()
    box.deliver(services, fiche_mail())
    report = ("bilan.pdf", b"%PDF-1.4\n%%EOF", "application/pdf")
    reply = message(subject="Re: [PR-2026-0001] Demande reçue", attachments=[report])
    journey = box.deliver(services, reply)
    assert journey.outcome == "attached" and journey.references == ["PR-2026-0001"]
    assert sorted(f.name for f in rows(services, StoredFile)) == ["bilan.pdf", "fiche.docx"]
    assert len(rows(services, Request)) == 1


def test_reply_to_our_acknowledgement_by_in_reply_to(services):
    box = Mailbox()
    box.deliver(services, fiche_mail())
    [ack] = rows(services, Outbox)
    corrected = {**FICHE, "situation": "Situation précisée après l'équipe éducative."}
    reply = fiche_mail(corrected, subject="Re: votre message", In_Reply_To=ack.message_id)
    journey = box.deliver(services, reply)
    assert journey.outcome == "attached"
    [request] = rows(services, Request)
    assert request.fields["situation"] == "Situation précisée après l'équipe éducative."


@pytest.mark.parametrize("name,data,reason", [
    ("fiche.docx", hostile.zip_bomb_docx(), "zip bomb"),
    ("fiche.docx", hostile.docx_with_document_xml(hostile.XXE), "DOCTYPE"),
    ("fiche.odt", hostile.odt_with_content(hostile.BILLION_LAUGHS), "DOCTYPE"),
    ("fiche.docx", hostile.many_entries_docx(), "zip entries"),
    ("fiche.docx", hostile.encrypted_entry_docx(), "encrypted"),
    ("fiche.pdf", hostile.pdf_compression_bomb(), "fiche.pdf"),
    ("fiche.pdf", hostile.pdf_many_pages(40), "40 pages"),
    ("scan.png", hostile.png_bomb(), "decompression bomb"),
    ("../../etc/\x1b[31mfiche\x07.docx", hostile.zip_bomb_docx(), "zip bomb"),
])
def test_hostile_attachment_alone_is_quarantined_with_its_reason(services, name, data, reason):
    raw = message(attachments=[("NAME.bin", data, "application/octet-stream")]).as_bytes()
    # Written into the raw email: the email library refuses to build such a name itself.
    raw = raw.replace(b'filename="NAME.bin"', b'filename="' + name.encode() + b'"')
    box = Mailbox()
    journey = box.deliver(services, raw)
    assert journey.outcome == "quarantined" and reason in journey.decision.reason
    assert "\n" not in journey.decision.reason and "/etc/" not in journey.decision.reason
    assert rows(services, Outbox) == [] and rows(services, Request) == []
    # The sandbox was replaced if it had to be: the next email is read as usual.
    assert box.deliver(services, fiche_mail()).outcome == "accepted"


def test_garbage_without_a_sender_is_never_answered_and_a_person_sees_it(services):
    journey = Mailbox().deliver(services, b"\x00\x01 not an email at all")
    assert journey.outcome == "quarantined" and journey.decision.reason == "no sender address"
    assert rows(services, Request) == [] and rows(services, Outbox) == []
    [record] = rows(services, ProcessedMessage)
    assert record.outcome == "quarantined"


def test_signature_logo_is_not_a_fiche(services):
    import io

    from PIL import Image

    logo = io.BytesIO()
    Image.new("RGB", (40, 20), "blue").save(logo, format="PNG")
    mail = message(body="Bonjour", attachments=[("logo.png", logo.getvalue(), "image/png")])
    assert Mailbox().deliver(services, mail).outcome == "no_fiche"


def test_the_acknowledgement_gives_the_meeting_date(services):
    from datetime import date

    from config.calendar import Meeting

    services.settings = services.settings.model_copy(update={"meetings": [
        Meeting(date=date(2026, 10, 16), deadline=date(2026, 10, 10)),
        Meeting(date=date(2026, 12, 15))]})
    box = Mailbox()
    box.deliver(services, fiche_mail())  # sent on 5 October: in time for 16 October
    late = fiche_mail({**FICHE, "eleve_nom": "MOREL"})
    box.deliver(services, late, received=datetime(2026, 10, 12, 6, tzinfo=UTC))
    on_time, after = [m.body_text for m in rows(services, Outbox)]
    assert "réunion du pôle ressource du vendredi 16 octobre 2026." in on_time
    assert ("réunion du pôle ressource du mardi 15 décembre 2026 : elle est arrivée après la "
            "date limite de la réunion précédente.") in after
    html = rows(services, Outbox)[0].body_html
    assert "<strong>vendredi 16 octobre 2026</strong>" in html
    first, second = rows(services, Request)
    assert (first.meeting_date, first.late) == (date(2026, 10, 16), False)
    assert (second.meeting_date, second.late) == (date(2026, 12, 15), True)


def test_without_a_calendar_the_acknowledgement_says_the_date_will_follow(services):
    Mailbox().deliver(services, fiche_mail())
    [ack] = rows(services, Outbox)
    assert "La date de la réunion du pôle ressource qui l'étudiera vous sera communiquée." \
        in ack.body_text


def test_a_school_flooding_gets_its_requests_recorded_and_few_answers(services):
    box = Mailbox()
    for n in range(30):  # 30 fiches in a minute from one address
        box.deliver(services, fiche_mail({**FICHE, "eleve_nom": f"ELEVE{n:02d}"}))
    assert len(rows(services, Request)) == 30
    acks = [m for m in rows(services, Outbox) if m.kind == "ack"]
    assert len(acks) == services.settings.max_replies_per_sender_hour == 10
    with session_scope(services.engine) as s:
        from storage.models import AuditEvent

        limited = s.exec(select(AuditEvent).where(AuditEvent.event == "reply.rate_limited"))
        assert len(list(limited)) == 20


def test_two_saisine_instances_never_answer_each_other(services, engine, sandbox, tmp_path):
    """Instance B receives instance A's acknowledgement (a school forwarded it, or both
    watch one another's address): it is recognised as a robot's, and nothing is sent."""
    from notify import sender

    other = Services(services.settings.model_copy(update={
        "circonscription": services.settings.circonscription.model_copy(update={
            "sender": "pole.ressource@circo-voisine.fr",
            "allowed_domains": ["ac-grenoble.fr", "circo-test.fr"]}),
        "storage": Storage(data_dir=tmp_path / "other")}), engine, sandbox)
    Mailbox().deliver(services, fiche_mail(URGENT))
    sent_by_a = [sender.message_for(m, services.settings).as_bytes()
                 for m in rows(services, Outbox)]
    before = len(rows(services, Outbox))
    box = Mailbox()
    for raw in sent_by_a:
        box.uid += 1000
        journey = process(raw, "INBOX-B", 1, box.uid, other)
        # Read (the alert carries the fiche), never answered.
        assert journey.outcome in ("machine", "accepted", "quarantined"), journey.decision
        assert not journey.decision.answer
    answers = [m for m in rows(services, Outbox)[before:]
               if "pole.ressource@circo-test.fr" in m.recipients]
    assert answers == []  # B queued nothing in answer to A


def test_an_out_of_office_storm_is_never_answered(services):
    box = Mailbox()
    for n in range(40):
        box.deliver(services, message(subject=f"Absence du {n} au {n + 1}",
                                      body="Je suis absente.", Auto_Submitted="auto-replied"))
        box.deliver(services, message(subject=f"Réponse automatique {n}", body="Absente.",
                                      X_Autoreply="yes"))
    assert rows(services, Outbox) == []
    assert {r.outcome for r in rows(services, ProcessedMessage)} == {"machine"}


from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.conftest import fuzz_examples  # noqa: E402
from tests.test_message import damaged_email  # noqa: E402


@settings(max_examples=fuzz_examples(40), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(raw=damaged_email())
def test_any_damaged_email_ends_recorded_never_raises(services, raw):
    box = Mailbox()
    box.uid = abs(hash(raw)) % 10**9  # a UID of its own per example
    journey = box.deliver(services, raw)
    assert journey.outcome in set(Outcome)
    with session_scope(services.engine) as s:
        recorded = s.exec(select(ProcessedMessage).where(ProcessedMessage.uid == box.uid))
        assert recorded.first() is not None
