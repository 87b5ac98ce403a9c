"""Reading raw emails: senders, threads, attachments by content, forwarded and Outlook mail."""

from __future__ import annotations

import pytest

from config.errors import EmailError
from ingest.message import read_email, safe_name
from notify.fiche import write_fiche
from tests.mail import bounce, message, winmail_dat

DOCX = write_fiche("docx", {"ecole_commune": "Vif"})
PDF = write_fiche("pdf", {"ecole_commune": "Vif"})


def test_sender_subject_and_thread():
    m = message(subject="Re: [PR-2026-0042] Fiche", In_Reply_To="<ack-1@saisine.test>",
                References="<a@x> <ack-1@saisine.test>")
    email = read_email(m.as_bytes())
    assert email.sender == "ce.0381234x@ac-grenoble.fr" and email.sender_name == "Directrice"
    assert email.subject == "Re: [PR-2026-0042] Fiche"
    assert email.in_reply_to == "<ack-1@saisine.test>"
    assert email.references == ("<a@x>", "<ack-1@saisine.test>")
    assert email.message_id and email.date.year == 2026
    assert "Bonjour" in email.body


def test_french_file_names_and_octet_stream_pdfs():
    m = message(attachments=[("fiche élève – Léa.pdf", PDF, "application/octet-stream"),
                             ("Fiche demande.docx", DOCX, "application/octet-stream")])
    email = read_email(m.as_bytes())
    assert [a.name for a in email.attachments] == ["fiche élève – Léa.pdf", "Fiche demande.docx"]
    assert email.attachments[0].data == PDF and email.attachments[1].data == DOCX


def test_fiche_inside_a_forwarded_message():
    inner = message(attachments=[("fiche.docx", DOCX, "application/vnd.openxmlformats-"
                                  "officedocument.wordprocessingml.document")])
    outer = message(subject="TR: fiche de l'école", body="Je vous transfère la fiche.")
    outer.add_attachment(inner)
    email = read_email(outer.as_bytes())
    assert [a.data for a in email.attachments] == [DOCX]


def test_outlook_winmail_dat_is_unpacked():
    m = message(attachments=[("winmail.dat", winmail_dat([("fiche.docx", DOCX)]),
                              "application/ms-tnef")])
    email = read_email(m.as_bytes())
    assert [(a.name, a.data) for a in email.attachments] == [("fiche.docx", DOCX)]


def test_damaged_winmail_dat_gives_nothing_not_a_crash():
    m = message(attachments=[("winmail.dat", b"\x78\x9f\x3e\x22garbage", "application/ms-tnef")])
    assert read_email(m.as_bytes()).attachments == ()


def test_machine_headers_are_kept_for_routing():
    m = message(Auto_Submitted="auto-replied", Precedence="bulk", List_Id="<ecoles.ac-test>")
    email = read_email(m.as_bytes())
    assert email.headers["auto-submitted"] == "auto-replied"
    assert email.headers["precedence"] == "bulk" and "list-id" in email.headers


def test_bounce_is_a_report():
    assert read_email(bounce().as_bytes()).content_type == "multipart/report"


@pytest.mark.parametrize("raw", [b"", b"\x00\xff" * 50, b"From: \r\n\r\n", b"Subject: =?x?q?\xff?=\r\n"])
def test_broken_messages_never_crash(raw):
    try:
        email = read_email(raw)
    except EmailError as err:
        assert str(err).startswith("email:")
    else:
        assert email.attachments == () or all(a.data for a in email.attachments)


def test_header_injection_in_subject_is_flattened():
    m = message(subject="Fiche")
    raw = m.as_bytes().replace(b"Subject: Fiche", b"Subject: Fiche\r\n =?utf-8?q?=0D=0ABcc:_x@evil?=")
    assert "\n" not in read_email(raw).subject and "\r" not in read_email(raw).subject


def test_safe_names():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\dir\\fiche.docx") == "fiche.docx"
    assert safe_name("\x1b[31mfiche\r\n.pdf") == "[31mfiche.pdf"
    assert safe_name("") == "piece-jointe"


# --- fuzzing: a damaged email is an EmailError or plain data, never a crash ----------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.conftest import fuzz_examples  # noqa: E402

SEEDS = [message(attachments=[("fiche.docx", DOCX, "application/octet-stream")]).as_bytes(),
         bounce().as_bytes(),
         message(attachments=[("winmail.dat", winmail_dat([("f.pdf", PDF)]),
                               "application/ms-tnef")]).as_bytes()]


@st.composite
def damaged_email(draw) -> bytes:
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 12))):
        at = draw(st.integers(0, len(raw) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert", "header"]))
        if action == "flip":
            raw[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del raw[at:at + draw(st.integers(1, 400))]
        elif action == "insert":
            raw[at:at] = draw(st.binary(max_size=40))
        else:
            header = draw(st.sampled_from([b"Content-Type: multipart/mixed; boundary=",
                                           b"Content-Transfer-Encoding: base64\r\n",
                                           b"Subject: =?utf-8?b?", b"From: <@>\r\n",
                                           b"Auto-Submitted: \x00\r\n"]))
            raw[at:at] = header
        if not raw:
            break
    return bytes(raw)


@settings(max_examples=fuzz_examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(damaged_email(), st.binary(max_size=2000)))
def test_any_damaged_email_is_read_or_refused_cleanly(raw):
    from worker.routing import quiet_reason, robot_reason, sender_allowed, tries_to_send_a_request

    try:
        email = read_email(raw)
    except EmailError as err:
        assert str(err).startswith("email:")
        return
    quiet_reason(email, robot_reason(email, ["pole.ressource@circo-test.fr"]))
    sender_allowed(email, ["ac-grenoble.fr"])
    tries_to_send_a_request(email, [])
    assert "\n" not in email.subject
    assert all(a.data for a in email.attachments)
    assert all("/" not in a.name and "\x00" not in a.name for a in email.attachments)


def test_obsolete_space_before_the_colon_keeps_the_headers_after_it():
    # RFC 5322 4.5.3 (obs-optional), as a real marketing server wrote it: "List-ID : 6236073".
    raw = (b"Subject: Bilan\nList-ID : 6236073\nX-CSA-Complaints : a@b.fr\n"
           b"From: Directrice <ce.0381234x@ac-grenoble.fr>\n\nBonjour,\nList-ID : corps\n")
    email = read_email(raw)
    assert email.sender == "ce.0381234x@ac-grenoble.fr" and email.headers["list-id"] == "6236073"
    assert "List-ID : corps" in email.body  # the body is left as it was written


def test_an_s_mime_signature_is_not_a_file_the_school_sent():
    m = message(attachments=[("smime.p7s", b"0\x82\x06\xb9\x06\t*\x86H", "application/"
                              "pkcs7-signature"), ("fiche.pdf", PDF, "application/pdf")])
    assert [a.name for a in read_email(m.as_bytes()).attachments] == ["fiche.pdf"]


def test_a_folded_subject_keeps_the_space_after_an_encoded_word():
    # Python folds it as "Demande =?utf-8?b?...pôle?=\n ressource": the space is the fold's.
    m = message(subject="Re: [PR-2026-0001] Demande reçue – pôle ressource")
    assert read_email(m.as_bytes()).subject == "Re: [PR-2026-0001] Demande reçue – pôle ressource"
