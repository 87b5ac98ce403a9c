"""Le bureau, through HTTP on the real application and databases (SQLite, PostgreSQL):
who may see what, sessions, CSRF, headers, the audit of views, and the correction of a
fiche with everything derived from it.

All schools, pupils and people are invented."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import select

from bureau.app import create_app
from bureau.auth import new_account
from config.calendar import Meeting, Member
from config.settings import Settings, Storage
from notify.compose import build
from notify.fiche import write_fiche
from notify.mails import acknowledgement_id
from parsers.normalise import UNPLACED
from storage import repo
from storage.db import session_scope
from storage.models import (
    Account,
    AuditEvent,
    Circonscription,
    Direction,
    MailKind,
    Outbox,
    Outcome,
    ProcessedMessage,
    Request,
    Role,
    WebSession,
)
from tests import dovecot as dv
from tests.conftest import VOIRON
from tests.mail import FICHE, message

PASSWORD = "correct horse battery staple"
FIELDS = {**FICHE, "ecole_nom": "École Jean Jaurès", "eleve_nom": "DUPONT", "classe": "CE2",
          "date_demande": "2026-10-05"}
PAGES = ["/", "/demandes", "/demandes.csv", "/demandes/PR-2026-0001", "/quarantaine",
         "/comptes", "/demandes/PR-2026-0001/fichiers/" + "0" * 64]


NEXT = date.today() + timedelta(days=14)
LAST = date.today() - timedelta(days=7)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(circonscription=VOIRON, storage=Storage(data_dir=tmp_path / "data"),
                    meetings=[Meeting(date=LAST), Meeting(date=NEXT)],
                    pole=[Member(name="M. Lenoir", role="psychologue",
                                 email="psy.voiron@ac-grenoble.fr")])


@pytest.fixture
def bureau(settings, engine):
    """The application, one request with its fiche, and an account of each role."""
    with session_scope(engine) as s:
        request = repo.add_request(s, Request(
            reference=repo.next_reference(s, 2026), sender="ce.0381234x@ac-grenoble.fr",
            fiche_hash="a" * 64,
            method="docx", fields=dict(FIELDS), missing=["urgence"], needs_review=True,
            school_name=FIELDS["ecole_nom"], school_commune="Voiron"))
        repo.store_file(s, settings.storage.data_dir, request,
                        write_fiche("pdf", FIELDS), "fiche.pdf")
        repo.record_processed(s, mailbox="INBOX", uidvalidity=1, uid=9, content_hash="b" * 64,
                              outcome=Outcome.QUARANTINE, reason="no sender address",
                              sender="inconnu@example.org", subject="Bonjour")
        s.add(Circonscription(id=2, name="Circonscription de Vienne"))
        s.flush()
        for email, role, circo in [("secretariat@ac-grenoble.fr", Role.SECRETARIAT, 1),
                                   ("ien@ac-grenoble.fr", Role.IEN, 1),
                                   ("admin@ac-grenoble.fr", Role.ADMIN, 1),
                                   ("psy.voiron@ac-grenoble.fr", Role.POLE, 1),
                                   ("secretariat@vienne.fr", Role.SECRETARIAT, 2)]:
            new_account(s, email, email.split("@")[0].title(), role, PASSWORD, circo)
    return create_app(settings, engine)


def client(app) -> TestClient:
    # Loopback, as the bureau is served behind its proxy: cookies are not Secure there.
    return TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)


def sign_in(app, email: str = "secretariat@ac-grenoble.fr",
            password: str = PASSWORD) -> TestClient:
    c = client(app)
    page = c.get("/connexion")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    answer = c.post("/connexion", data={"email": email, "password": password, "csrf": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/", email
    return c


def csrf(c: TestClient, path: str = "/") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text)[1]


def test_every_page_and_file_needs_a_session_but_signing_in_and_static_files(bureau):
    c = client(bureau)
    for path in PAGES:
        answer = c.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/connexion", path
    assert c.post("/demandes/PR-2026-0001/notes", data={"texte": "x"}).status_code == 303
    assert c.get("/connexion").status_code == 200
    assert c.get("/static/dsfr/dsfr.min.css").status_code == 200


def test_sign_in_sets_a_new_http_only_lax_session_and_sign_out_revokes_it(bureau, engine):
    c = client(bureau)
    c.cookies.set("saisine_session", "planted-by-someone-else", domain="127.0.0.1")
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/connexion").text)[1]
    answer = c.post("/connexion", data={"email": "Secretariat@ac-grenoble.fr",
                                         "password": PASSWORD, "csrf": token})
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    first = c.cookies["saisine_session"]
    assert first != "planted-by-someone-else"
    again = sign_in(bureau).cookies["saisine_session"]
    assert again != first  # a new id at every sign-in
    assert c.get("/").status_code == 200
    assert c.post("/deconnexion", data={"csrf": csrf(c)}).status_code == 303
    c.cookies.set("saisine_session", first, domain="127.0.0.1")  # the old cookie, replayed
    assert c.get("/").headers["location"] == "/connexion"
    with session_scope(engine) as s:
        assert all(len(row.token_hash) == 64 and first not in row.token_hash
                   for row in s.exec(select(WebSession)))


def test_sign_in_is_throttled_and_says_nothing_about_which_part_was_wrong(bureau):
    c = client(bureau)
    for _ in range(5):
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/connexion").text)[1]
        answer = c.post("/connexion", data={"email": "ien@ac-grenoble.fr", "password": "faux",
                                             "csrf": token})
        assert answer.headers["location"] == "/connexion?erreur=identifiants"
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/connexion").text)[1]
    answer = c.post("/connexion", data={"email": "ien@ac-grenoble.fr", "password": PASSWORD,
                                         "csrf": token})
    assert answer.headers["location"] == "/connexion?erreur=identifiants"  # locked for now
    page = c.get("/connexion?erreur=identifiants")
    assert "Identifiant ou mot de passe incorrect" in page.text
    # Without the sign-in form's own token (a forged form): refused.
    assert c.post("/connexion", data={"email": "secretariat@ac-grenoble.fr",
                                      "password": PASSWORD}).headers["location"] \
        == "/connexion?erreur=jeton"


def test_forms_without_their_csrf_token_are_refused(bureau, engine):
    c = sign_in(bureau)
    for data in ({"texte": "Appel de la mère."}, {"texte": "x", "csrf": "wrong"}):
        assert c.post("/demandes/PR-2026-0001/notes", data=data).status_code == 403
    assert c.post("/demandes/PR-2026-0001/notes",
                  data={"texte": "Appel de la mère.", "csrf": csrf(c)}).status_code == 303
    # An htmx call carries it in a header.
    assert c.post("/demandes/PR-2026-0001/notes", data={"texte": "Rappel."},
                  headers={"X-CSRF-Token": csrf(c)}).status_code == 303
    assert "Appel de la mère." in c.get("/demandes/PR-2026-0001").text


def test_another_circonscription_or_role_sees_nothing_of_a_request(bureau):
    other = sign_in(bureau, "secretariat@vienne.fr")
    for path in PAGES[3:4] + PAGES[-1:] + ["/demandes/PR-2026-0001/fichiers/x/apercu"]:
        assert other.get(path).status_code == 404
    assert "PR-2026-0001" not in other.get("/demandes").text
    assert "PR-2026-0001" not in other.get("/demandes.csv").text
    assert "Bonjour" not in other.get("/quarantaine").text
    assert other.post("/quarantaine/1/classer", data={"csrf": csrf(other)}).status_code == 404
    admin = sign_in(bureau, "admin@ac-grenoble.fr")
    assert admin.get("/demandes/PR-2026-0001").status_code == 404
    assert admin.get("/quarantaine").status_code == 404
    assert "secretariat@vienne.fr" not in admin.get("/comptes").text
    pole = sign_in(bureau, "psy.voiron@ac-grenoble.fr")  # not on an agenda, not theirs
    assert pole.get("/demandes/PR-2026-0001").status_code == 404


def test_a_member_of_the_pole_sees_the_requests_of_the_meetings_they_attend(bureau, engine):
    with session_scope(engine) as s:
        request = repo.find_request(s, "PR-2026-0001")
        request.meeting_date = NEXT
        s.add(request)
    pole = sign_in(bureau, "psy.voiron@ac-grenoble.fr")
    page = pole.get("/demandes/PR-2026-0001")
    assert page.status_code == 200 and "Enregistrer les corrections" not in page.text
    assert pole.get("/quarantaine").status_code == 404
    with session_scope(engine) as s:  # a meeting they do not attend (not in their calendar)
        request = repo.find_request(s, "PR-2026-0001")
        request.meeting_date = date(2031, 1, 1)
        s.add(request)
    assert pole.get("/demandes/PR-2026-0001").status_code == 404
    with session_scope(engine) as s:  # ... unless they follow it up
        request = repo.find_request(s, "PR-2026-0001")
        request.referent = "Psy.Voiron"
        s.add(request)
    assert pole.get("/demandes/PR-2026-0001").status_code == 200


def test_headers_files_as_attachments_and_every_view_audited_without_pupil_data(
        bureau, engine, settings):
    c = sign_in(bureau)
    page = c.get("/demandes/PR-2026-0001")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "DUPONT" in page.text
    [sha] = re.findall(r"/fichiers/([0-9a-f]{64})\"", page.text)[:1]
    download = c.get(f"/demandes/PR-2026-0001/fichiers/{sha}")
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    image = c.get(f"/demandes/PR-2026-0001/fichiers/{sha}/page/1.png")
    assert image.headers["content-type"] == "image/png" and image.content[:4] == b"\x89PNG"
    with session_scope(engine) as s:
        viewed = list(s.exec(select(AuditEvent).where(AuditEvent.event == "request.viewed")))
    assert [(v.reference, v.detail) for v in viewed] == [
        ("PR-2026-0001", "by secretariat@ac-grenoble.fr")]


def test_a_correction_updates_what_derives_and_clears_the_review_and_alerts_when_urgent(
        bureau, engine):
    c = sign_in(bureau)
    token = csrf(c, "/demandes/PR-2026-0001")
    refused = c.post("/demandes/PR-2026-0001/champs", data={
        "csrf": token, "eleve_date_naissance": "hier", "urgence": "oui"})
    assert refused.status_code == 400 and "une date est attendue" in refused.text
    with session_scope(engine) as s:
        assert repo.find_request(s, "PR-2026-0001").urgent is False  # nothing saved
    answer = c.post("/demandes/PR-2026-0001/champs", data={
        "csrf": token, "ecole_nom": "École Jean Jaurès (Voiron)", "urgence": "oui",
        "urgence_motif": "Menaces répétées.", "motifs": ["harcelement", "crise"],
        "eleve_date_naissance": "12/03/2017"})
    assert answer.status_code == 303
    assert "IEN est alerté" in c.get(answer.headers["location"]).text
    with session_scope(engine) as s:
        request = repo.find_request(s, "PR-2026-0001")
        assert request.urgent and not request.needs_review and request.missing == []
        assert request.school_name == "École Jean Jaurès (Voiron)"
        assert request.fields["motifs"] == ["harcelement", "crise"]
        assert request.fields["eleve_date_naissance"] == "2017-03-12"
        [alert] = s.exec(select(Outbox).where(Outbox.kind == MailKind.ALERT))
        assert alert.reference == "PR-2026-0001"
        [audit] = s.exec(select(AuditEvent).where(AuditEvent.event == "request.corrected"))
        assert "urgence" in audit.detail and "DUPONT" not in audit.detail
    # Off the list of fiches to check.
    assert "Fiches à vérifier" not in c.get("/").text


def test_a_correction_leaves_to_check_what_a_fiche_would_lack(bureau, engine):
    """The rule of what is missing is the reading's: an urgent request without its reason,
    an "autre" motif without its detail."""
    c = sign_in(bureau)
    c.post("/demandes/PR-2026-0001/champs", data={
        "csrf": csrf(c, "/demandes/PR-2026-0001"), "urgence": "oui", "urgence_motif": "",
        "motifs": ["autre"], "motif_autre": ""})
    with session_scope(engine) as s:
        request = repo.find_request(s, "PR-2026-0001")
        assert request.urgent and request.needs_review
        assert request.missing == ["motif_autre", "urgence_motif"]


def test_a_status_needs_its_reason_to_be_classee_sans_suite(bureau, engine):
    c = sign_in(bureau, "ien@ac-grenoble.fr")
    token = csrf(c, "/demandes/PR-2026-0001")
    page = c.post("/demandes/PR-2026-0001/statut", data={"csrf": token, "statut": "dismissed"})
    assert page.status_code == 400 and "indiquez la raison" in page.text
    c.post("/demandes/PR-2026-0001/statut", data={
        "csrf": token, "statut": "dismissed", "raison": "Situation réglée par l'école."})
    with session_scope(engine) as s:
        request = repo.find_request(s, "PR-2026-0001")
        assert request.status == "dismissed"
        assert request.history[-1]["reason"] == "Situation réglée par l'école."
    assert "classée sans suite" in c.get("/demandes?statut=dismissed").text


def test_the_list_filters_searches_and_exports_csv(bureau):
    c = sign_in(bureau)
    assert "PR-2026-0001" in c.get("/demandes?q=jaur").text
    assert "PR-2026-0001" not in c.get("/demandes?q=grenoble-centre").text
    assert "PR-2026-0001" in c.get("/demandes?a_verifier=1").text
    assert "PR-2026-0001" not in c.get("/demandes?urgent=1").text
    assert "PR-2026-0001" in c.get("/demandes?motif=harcelement").text
    csv = c.get("/demandes.csv?a_verifier=1")
    assert csv.headers["content-disposition"] == 'attachment; filename="demandes.csv"'
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Référence;Reçue le;École;Élève")
    assert "DUPONT" in lines[1]
    xlsx = c.get("/demandes.xlsx?a_verifier=1")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [cell.value for cell in sheet[1]][:4] == ["Référence", "Reçue le", "École", "Élève"]
    assert sheet["A2"].value == "PR-2026-0001" and "DUPONT" in sheet["D2"].value
    assert sheet.freeze_panes == "A2"
    assert c.get("/demandes.exe").status_code == 404


def test_the_quarantine_shows_who_and_why_and_dismissing_forgets_them(bureau, engine):
    c = sign_in(bureau)
    page = c.get("/quarantaine")
    assert "inconnu@example.org" in page.text and "Aucune adresse d&#39;expéditeur" in page.text
    assert c.post("/quarantaine/1/classer", data={"csrf": csrf(c, "/quarantaine")}) \
        .status_code == 303
    assert "inconnu@example.org" not in c.get("/quarantaine").text
    with session_scope(engine) as s:
        [record] = s.exec(select(ProcessedMessage))
        assert record.handled_at is not None and record.sender is None and record.subject is None


def test_a_word_fiche_is_shown_as_its_pages_converted_once(bureau, engine, settings):
    with session_scope(engine) as s:
        request = repo.find_request(s, "PR-2026-0001")
        stored = repo.store_file(s, settings.storage.data_dir, request,
                                 write_fiche("docx", FIELDS), "fiche.docx")
        sha = stored.sha256
    c = sign_in(bureau)
    assert f'/fichiers/{sha}/page/1.png"' in c.get("/demandes/PR-2026-0001").text
    image = c.get(f"/demandes/PR-2026-0001/fichiers/{sha}/page/1.png")
    assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
    assert list((settings.storage.data_dir / "cache" / "pdf").rglob(f"{sha}.pdf"))


def test_the_command_line_corrects_as_the_bureau_does_and_adds_accounts(
        tmp_path, engine, monkeypatch):
    from typer.testing import CliRunner

    from worker.cli import app

    config = tmp_path / "saisine.toml"
    config.write_text(f'[storage]\ndata_dir = "{tmp_path / "data"}"\n'
                      f'database_url = "{engine.url.render_as_string(hide_password=False)}"\n')
    with session_scope(engine) as s:
        repo.add_request(s, Request(reference="PR-2026-0001", sender="ce.0381234x@ac-grenoble.fr",
                                    fiche_hash="c" * 64, method="docx", fields=dict(FIELDS),
                                    missing=["urgence"], needs_review=True))
    runner = CliRunner()
    done = runner.invoke(app, ["--config", str(config), "correct", "PR-2026-0001",
                               "urgence=non", "motifs=pap,crise"])
    assert done.exit_code == 0 and done.output.startswith("PR-2026-0001: motifs\n")
    bad = runner.invoke(app, ["--config", str(config), "correct", "PR-2026-0001",
                              "eleve_niveau=CM5"])
    assert bad.exit_code == 2 and "un niveau est attendu" in bad.output
    monkeypatch.setenv("SAISINE_NEW_PASSWORD", PASSWORD)
    added = runner.invoke(app, ["--config", str(config), "user", "add", "ien@ac-grenoble.fr",
                                "--name", "Paul Durand", "--role", "ien"])
    assert added.exit_code == 0 and "compte créé (IEN)" in added.output
    with session_scope(engine) as s:
        request = repo.find_request(s, "PR-2026-0001")
        assert request.fields["urgence"] is False and request.fields["motifs"] == ["crise", "pap"]
        assert not request.needs_review
        [account] = s.exec(select(Account))
        assert account.password_hash.startswith("$argon2id$") and PASSWORD not in str(account)


def test_a_reply_to_the_school_goes_through_the_outbox_as_a_persons_mail(bureau, engine):
    c = sign_in(bureau)
    token = csrf(c, "/demandes/PR-2026-0001")
    empty = c.post("/demandes/PR-2026-0001/reponse", data={"csrf": token, "message": "  "})
    assert empty.status_code == 400 and "Le message est vide." in empty.text
    c.post("/demandes/PR-2026-0001/reponse", data={
        "csrf": token, "message": "Bonjour,\nPouvez-vous joindre le dernier bilan ?"})
    with session_scope(engine) as s:
        [mail] = s.exec(select(Outbox).where(Outbox.kind == MailKind.REPLY))
        assert mail.recipients == ["ce.0381234x@ac-grenoble.fr"]
        assert "joindre le dernier bilan" in mail.body_text and "Secretariat" in mail.body_text
        assert mail.in_reply_to == acknowledgement_id("PR-2026-0001", VOIRON)
        exchanges = repo.conversation(s, repo.find_request(s, "PR-2026-0001"))
        assert [(m.direction, out.kind) for m, out in exchanges if out] == [("out", "reply")]
    built = build(message_id=mail.message_id, kind=MailKind.REPLY, sender=VOIRON.sender,
                  recipients=mail.recipients, subject=mail.subject, body_text=mail.body_text,
                  body_html=None, in_reply_to=mail.in_reply_to)
    assert built["Auto-Submitted"] is None  # a person wrote it (RFC 3834)


def test_a_decision_is_recorded_moved_and_sent_to_the_school_only_after_its_meeting(
        bureau, engine):
    c = sign_in(bureau, "ien@ac-grenoble.fr")
    token = csrf(c, "/demandes/PR-2026-0001")
    unknown = c.post("/demandes/PR-2026-0001/decision", data={
        "csrf": token, "suite": "Observation.", "referent": "orthophoniste"})
    assert unknown.status_code == 400 and "Aucun membre du pôle" in unknown.text
    c.post("/demandes/PR-2026-0001/reunion", data={"csrf": token, "reunion": NEXT.isoformat()})
    c.post("/demandes/PR-2026-0001/decision", data={
        "csrf": token, "suite": "Observation en classe par la psychologue.",
        "referent": "psychologue"})
    early = c.post("/demandes/PR-2026-0001/notifier", data={"csrf": token})
    assert early.status_code == 400 and "sa décision part à l&#39;école après" in early.text
    assert c.post("/demandes/PR-2026-0001/reunion", data={
        "csrf": token, "reunion": "2031-01-01"}).status_code == 400  # not in the calendar
    c.post("/demandes/PR-2026-0001/reunion", data={"csrf": token, "reunion": LAST.isoformat()})
    sent = c.post("/demandes/PR-2026-0001/notifier", data={"csrf": token})
    assert "decision-envoyee" in sent.headers["location"]
    again = c.post("/demandes/PR-2026-0001/notifier", data={"csrf": token})
    assert "decision-deja" in again.headers["location"]
    with session_scope(engine) as s:
        request = repo.find_request(s, "PR-2026-0001")
        assert request.status == "notified" and request.referent == "M. Lenoir"
        assert request.meeting_date == LAST
        assert [h.get("to_meeting") for h in request.history if h.get("to_meeting")] == [
            NEXT.isoformat(), LAST.isoformat()]
        [mail] = s.exec(select(Outbox).where(Outbox.kind == MailKind.DECISION))
        assert "M. Lenoir (psychologue)" in mail.body_text


def test_meetings_their_agenda_and_the_meeting_mode_send_decisions_after_the_meeting(
        bureau, engine):
    c = sign_in(bureau, "ien@ac-grenoble.fr")
    listing = c.get("/reunions")
    assert NEXT.isoformat() in listing.text and LAST.isoformat() in listing.text
    assert c.get("/reunions/2031-01-01").status_code == 404
    page = c.get(f"/reunions/{LAST.isoformat()}")
    assert "PR-2026-0001" in page.text  # open, never given a meeting: on the agenda
    pdf = c.get(f"/reunions/{LAST.isoformat()}/ordre-du-jour.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    docx = c.get(f"/reunions/{LAST.isoformat()}/ordre-du-jour.docx")
    assert docx.headers["content-disposition"].startswith("attachment;")
    c.post(f"/reunions/{LAST.isoformat()}/envoyer", data={"csrf": csrf(c)})
    with session_scope(engine) as s:
        [agenda] = s.exec(select(Outbox).where(Outbox.kind == MailKind.AGENDA))
        assert agenda.recipients == ["psy.voiron@ac-grenoble.fr"]
    # The meeting mode walks the agenda: one decision, then the end, then the schools.
    first = c.get(f"/reunions/{NEXT.isoformat()}/seance")
    assert "demande 1 sur 1" in first.text and "DUPONT" in first.text
    answer = c.post(f"/reunions/{NEXT.isoformat()}/seance/PR-2026-0001", data={
        "csrf": csrf(c), "n": "1", "suite": "Équipe éducative.", "referent": "M. Lenoir"})
    assert answer.headers["location"] == f"/reunions/{NEXT.isoformat()}/seance?n=2"
    end = c.get(answer.headers["location"])
    assert "1 décision enregistrée sur 1 demande" in end.text
    early = c.post(f"/reunions/{NEXT.isoformat()}/notifier", data={"csrf": csrf(c)})
    assert early.status_code == 400 and "après cette réunion" in early.text
    with session_scope(engine) as s:
        request = repo.find_request(s, "PR-2026-0001")
        assert request.meeting_date == NEXT and request.status == "decided"
        assert list(s.exec(select(Outbox).where(Outbox.kind == MailKind.DECISION))) == []
    pole = sign_in(bureau, "psy.voiron@ac-grenoble.fr")
    assert pole.get(f"/reunions/{NEXT.isoformat()}").status_code == 200
    assert pole.get(f"/reunions/{NEXT.isoformat()}/seance").status_code == 404


def test_accounts_are_created_deactivated_and_change_their_own_password(bureau, engine):
    admin = sign_in(bureau, "admin@ac-grenoble.fr")
    page = admin.post("/comptes", data={"csrf": csrf(admin, "/comptes"), "nom": "Léa Robert",
                                        "adresse": "Lea.Robert@ac-grenoble.fr",
                                        "role": "secretariat"})
    temporary = re.search(r"affiché une seule fois : (\S+)</p>", page.text)[1]
    newcomer = sign_in(bureau, "lea.robert@ac-grenoble.fr", temporary)
    assert newcomer.get("/").status_code == 200
    token = csrf(newcomer, "/mot-de-passe")
    short = newcomer.post("/mot-de-passe", data={"csrf": token, "actuel": temporary,
                                                 "nouveau": "court"})
    assert short.status_code == 400
    assert newcomer.post("/mot-de-passe", data={"csrf": token, "actuel": temporary,
                                                "nouveau": PASSWORD}).status_code == 303
    sign_in(bureau, "lea.robert@ac-grenoble.fr", PASSWORD)
    with session_scope(engine) as s:
        lea = accounts_of(s, "lea.robert@ac-grenoble.fr")
        vienne = accounts_of(s, "secretariat@vienne.fr")
    # Deactivated: every session of hers ends at once.
    admin.post(f"/comptes/{lea}", data={"csrf": csrf(admin, "/comptes"), "role": "secretariat"})
    assert newcomer.get("/").headers["location"] == "/connexion"
    assert admin.post(f"/comptes/{vienne}", data={"csrf": csrf(admin, "/comptes"),
                                                  "role": "admin", "actif": "1"}) \
        .status_code == 404  # another circonscription's
    assert sign_in(bureau, "secretariat@ac-grenoble.fr").get("/comptes").status_code == 404


def accounts_of(s, email: str) -> int:
    return s.exec(select(Account).where(Account.email == email)).one().id


def set_aside(s, settings, uid: int, raw: bytes) -> int:
    sha = repo.store_blob(settings.storage.data_dir, raw)
    record = repo.record_processed(
        s, mailbox="INBOX", uidvalidity=1, uid=uid, content_hash=f"{uid:064d}",
        outcome=Outcome.NO_FICHE, reason="no fiche found in the email",
        sender="ce.0382222k@ac-grenoble.fr", subject="Demande pour un élève", raw_sha256=sha)
    return record.id


def test_a_set_aside_email_becomes_a_request_or_joins_one(bureau, engine, settings):
    scan = write_fiche("pdf", {"ecole_commune": "Voiron"})
    raw = message(sender="Directrice <ce.0382222k@ac-grenoble.fr>",
                  subject="Demande pour un élève", body="Voici la demande scannée.",
                  attachments=[("demande.pdf", scan, "application/pdf")]).as_bytes()
    with session_scope(engine) as s:
        first, second, third = (set_aside(s, settings, uid, raw) for uid in (21, 22, 23))
    c = sign_in(bureau)
    page = c.get(f"/quarantaine/{first}")
    assert "Voici la demande scannée." in page.text and "demande.pdf" in page.text
    piece = c.get(f"/quarantaine/{first}/pieces/1")
    assert piece.content == scan and piece.headers["content-disposition"].startswith("attachment")
    made = c.post(f"/quarantaine/{first}/demande", data={"csrf": csrf(c), "piece": "1"})
    assert made.headers["location"].startswith("/demandes/PR-2026-0002?")
    with session_scope(engine) as s:
        request = repo.find_request(s, "PR-2026-0002")
        assert request.needs_review and request.sender == "ce.0382222k@ac-grenoble.fr"
        assert [f.name for f in repo.files_of(s, request)] == ["demande.pdf"]
        [ack] = s.exec(select(Outbox).where(Outbox.kind == MailKind.ACK))
        assert ack.recipients == ["ce.0382222k@ac-grenoble.fr"]
        record = s.get(ProcessedMessage, first)
        assert record.handled_at and record.raw_sha256 is None and record.request_id
    assert c.get(f"/quarantaine/{first}").status_code == 404  # dealt with
    again = c.post(f"/quarantaine/{second}/demande", data={"csrf": csrf(c), "piece": "1"})
    assert again.status_code == 400 and "déjà la fiche de la demande PR-2026-0002" in again.text
    unknown = c.post(f"/quarantaine/{second}/rattacher",
                     data={"csrf": csrf(c), "reference": "PR-2026-0999"})
    assert unknown.status_code == 400
    joined = c.post(f"/quarantaine/{second}/rattacher",
                    data={"csrf": csrf(c), "reference": "pr-2026-0001"})
    assert joined.headers["location"].startswith("/demandes/PR-2026-0001?")
    assert "Voici la demande scannée." in c.get("/demandes/PR-2026-0001").text
    other = sign_in(bureau, "secretariat@vienne.fr")
    assert other.get(f"/quarantaine/{third}").status_code == 404


def test_saved_views_belong_to_their_person_and_a_request_knows_its_neighbours(
        bureau, engine):
    with session_scope(engine) as s:
        for pupil in ("MARTIN", "BERNARD"):
            repo.add_request(s, Request(
                reference=repo.next_reference(s, 2026), sender="ce.0381234x@ac-grenoble.fr",
                fiche_hash=pupil.ljust(64, "0"), method="docx",
                fields={**FIELDS, "eleve_nom": pupil}, school_name="École Jean Jaurès",
                school_commune="Voiron"))
    c = sign_in(bureau)
    c.post("/vues", data={"csrf": csrf(c, "/demandes"), "nom": "Voiron, les plus anciennes",
                          "requete": "q=Voiron&tri=oldest"})
    listing = c.get("/demandes")
    assert "Voiron, les plus anciennes" in listing.text
    assert "Voiron, les plus anciennes" not in sign_in(bureau, "ien@ac-grenoble.fr") \
        .get("/demandes").text
    page = c.get("/demandes/PR-2026-0002?depuis=" + "q%3DVoiron%26tri%3Doldest")
    assert "Précédente (PR-2026-0001)" in page.text and "Suivante (PR-2026-0003)" in page.text
    assert 'href="/demandes/PR-2026-0001?depuis=' in c.get("/demandes?tri=oldest").text
    view = re.search(r'action="/vues/(\d+)/supprimer"', listing.text)[1]
    other = sign_in(bureau, "ien@ac-grenoble.fr")
    assert other.post(f"/vues/{view}/supprimer", data={"csrf": csrf(other)}).status_code == 404
    c.post(f"/vues/{view}/supprimer", data={"csrf": csrf(c)})
    assert "Voiron, les plus anciennes" not in c.get("/demandes").text


def test_a_set_aside_email_is_read_again_by_the_worker_once(
        engine, sandbox, tmp_path, dovecot, smtp_server):
    from tests.mail import fiche_mail
    from tests.test_worker import one_pass, settings_for

    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    with session_scope(engine) as s:
        new_account(s, "secretariat@ac-grenoble.fr", "Agnès", Role.SECRETARIAT, PASSWORD)
    dovecot.deliver(fiche_mail(sender="Directrice <direction@ecole-voiron.fr>").as_bytes())
    assert one_pass(settings, engine, sandbox).outcomes == {"quarantined": 1}
    # The circonscription allows the school's own domain, then asks for a second reading.
    allowed = settings.model_copy(update={"circonscription": VOIRON.model_copy(update={
        "allowed_domains": ["ac-grenoble.fr", "ecole-voiron.fr"]})})
    c = sign_in(create_app(allowed, engine))
    assert c.post("/quarantaine/1/relire", data={"csrf": csrf(c)}).status_code == 303
    replayed = one_pass(allowed, engine, sandbox)
    assert replayed.outcomes == {"accepted": 1} and replayed.references == ["PR-2026-0001"]
    assert one_pass(allowed, engine, sandbox).outcomes == {}  # once
    with session_scope(engine) as s:
        first = s.get(ProcessedMessage, 1)
        assert first.handled_at and first.raw_sha256 is None
    assert len(dovecot.uids("Saisine/À vérifier")) == 1  # the email itself stays there
    # Moved back to the inbox by hand, it is the same email again: not read twice.
    [uid] = dovecot.uids("Saisine/À vérifier")
    dovecot.doveadm("move", "-u", dv.USER, "INBOX", "mailbox", "Saisine/À vérifier", "UID",
                    str(uid))
    assert one_pass(allowed, engine, sandbox).outcomes == {"seen": 1}


def test_opinions_doubted_fields_and_each_messages_files(bureau, engine, settings):
    with session_scope(engine) as s:
        request = repo.find_request(s, "PR-2026-0001")
        request.warnings = ["ecole_uai: check letter does not match",
                            UNPLACED.format("Langue(s) parlée(s) à la maison")]
        request.meeting_date = NEXT
        s.add(request)
        stored = repo.store_file(s, settings.storage.data_dir, request, b"%PDF-1.4 bilan",
                                 "bilan.pdf")
        repo.add_message(s, request, Direction.IN, "ce.0381234x@ac-grenoble.fr", "Le bilan",
                         "Voici le bilan.", [stored.sha256])
    pole = sign_in(bureau, "psy.voiron@ac-grenoble.fr")
    pole.post("/demandes/PR-2026-0001/notes", data={
        "csrf": csrf(pole, "/demandes/PR-2026-0001"), "texte": "Observer en récréation.",
        "avis": "1"})
    page = sign_in(bureau).get("/demandes/PR-2026-0001")
    assert "Avis</p><p>Observer en récréation." in page.text
    assert "N° UAI (RNE) — lu avec un doute, à vérifier" in page.text
    assert "La fiche contient une rubrique que Saisine n'a rangée dans aucun champ : " \
        "« Langue(s) parlée(s) à la maison ». Lisez-la sur la fiche." in page.text
    assert f'/fichiers/{stored.sha256}">bilan.pdf</a>' in page.text


@pytest.fixture
def provider():
    from tests.oidc_provider import Provider, serve

    found = Provider()
    server = serve(found)
    yield found
    server.should_exit = True


def through_provider(app, provider) -> tuple[TestClient, httpx.Response]:
    """The browser's trip: the bureau, the provider (which signs the person in at once),
    and back."""
    c = client(app)
    go = c.get("/connexion/oidc")
    assert go.status_code == 303 and go.headers["location"].startswith(provider.issuer)
    there = httpx.get(go.headers["location"], follow_redirects=False)
    back = there.headers["location"]
    assert back.startswith("http://127.0.0.1/connexion/oidc/retour?")
    return c, c.get(back.removeprefix("http://127.0.0.1"))


def test_signing_in_through_the_identity_provider(engine, settings, provider):
    from config.settings import OIDC
    from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET

    with_oidc = settings.model_copy(update={"bureau": settings.bureau.model_copy(update={
        "oidc": OIDC(issuer=provider.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                     redirect_url="http://127.0.0.1/connexion/oidc/retour")})})
    app = create_app(with_oidc, engine)
    assert "S'identifier avec ProConnect" in client(app).get("/connexion").text
    # No account for this person yet: their identity is proved, but nothing opens.
    _, answer = through_provider(app, provider)
    assert answer.headers["location"] == "/connexion?erreur=sans-compte"
    with session_scope(engine) as s:
        new_account(s, "agnes.martin@ac-grenoble.fr", "Agnès Martin", Role.SECRETARIAT,
                    PASSWORD)
    c, answer = through_provider(app, provider)
    assert answer.headers["location"] == "/" and "HttpOnly" in answer.headers["set-cookie"]
    assert "Agnès Martin" in c.get("/").text
    # A state that is not this browser's, or an answer signed by another key: refused.
    c2 = client(app)
    c2.get("/connexion/oidc")
    forged = c2.get("/connexion/oidc/retour?code=x&state=not-mine")
    assert forged.headers["location"] == "/connexion?erreur=fournisseur"
    from joserfc.jwk import RSAKey

    provider.forge_with = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    _, answer = through_provider(app, provider)
    assert answer.headers["location"] == "/connexion?erreur=fournisseur"
    # Without a provider configured, its URLs do not exist.
    assert client(create_app(settings, engine)).get("/connexion/oidc").status_code == 404
