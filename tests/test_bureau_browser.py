"""Le bureau in a real browser (Debian's Chromium, driven by Playwright), against the real
worker (Dovecot, aiosmtpd) and a real `saisine web` process: the secretariat's day, with
the keyboard, each page checked by axe-core and saved as a screenshot
(`tests/screenshots/`, or $SAISINE_SCREENSHOTS) for a person to look at.

All schools, pupils and people are invented."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect, sync_playwright

from notify.fiche import write_fiche
from storage import repo
from storage.db import make_engine, session_scope
from tests import dovecot as dv
from tests.conftest import DATA
from tests.mail import FICHE, fiche_mail, message

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "une phrase de passe assez longue"
SHOTS = Path(os.environ.get("SAISINE_SCREENSHOTS", Path(__file__).parent / "screenshots"))
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is installed by `make test`")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def saisine(config: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "worker.cli", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=180,
                          env=env or dv.worker_env())
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def served(tmp_path, dovecot, smtp_server):
    """A scanned fiche and a school's reply, read by the worker; an account of the
    secretariat; the bureau served by its own process."""
    config = dv.worker_config(tmp_path / "saisine.toml", dovecot, smtp_server.port,
                              tmp_path / "data")
    scan = (DATA / "44-scan-pdf.pdf").read_bytes()
    dovecot.deliver(message(subject="Fiche de demande (scan)",
                            attachments=[("fiche scannée.pdf", scan, "application/pdf")])
                    .as_bytes())
    saisine(config, "run", "--once")
    [ack] = [m for rcpt, m in smtp_server.messages if "ce.0381234x@ac-grenoble.fr" in rcpt]
    answer = message(subject=f"Re: {ack['Subject']}", In_Reply_To=ack["Message-ID"],
                     body="Bonjour, la famille sera présente à la réunion.")
    dovecot.deliver(answer.as_bytes())
    saisine(config, "run", "--once")
    saisine(config, "user", "add", "secretariat@ac-grenoble.fr", "--name", "Agnès Martin",
            "--role", "secretariat", env={**dv.worker_env(), "SAISINE_NEW_PASSWORD": PASSWORD})
    with bureau_server(config) as url:
        yield url, tmp_path / "data", config, answer["Message-ID"]


@contextmanager
def bureau_server(config: Path) -> Iterator[str]:
    """`saisine web` in its own process, on a free port, until the test is done."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "worker.cli", "--config", str(config), "web",
                               "--port", str(port)], env=dv.worker_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail(f"the bureau did not start: {server.stdout.read().decode()[-2000:]}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def press(control) -> None:
    """Reach a link or a button and press Enter, as a keyboard user does."""
    control.focus()
    control.page.keyboard.press("Enter")


def write(field, text: str) -> None:
    """Type into a field with the keyboard, replacing what it held."""
    field.focus()
    field.page.keyboard.press("Control+A")
    field.page.keyboard.type(text)


def look(page: Page, name: str) -> None:
    """Save what a person sees, and let axe-core judge it (RGAA: no serious or critical
    violation)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: " + "; ".join(f"{v['id']}: {v['help']}" for v in bad)


def test_a_scan_is_typed_in_beside_its_image_and_the_school_is_answered(served, smtp_server):
    url, data_dir, config, school_email_id = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        page.goto(url)
        expect(page).to_have_url(f"{url}/connexion")
        look(page, "01-connexion")
        # Signing in with the keyboard only.
        page.get_by_label("Adresse électronique").focus()
        page.keyboard.type("secretariat@ac-grenoble.fr")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="À traiter", exact=True)).to_be_visible()
        expect(page.get_by_role("heading", name="Fiches à vérifier")).to_be_visible()
        expect(page.get_by_role("heading", name="Messages des écoles non lus")).to_be_visible()
        look(page, "02-a-traiter")

        # The secretariat's whole task with the keyboard: every control is reached and
        # used without the mouse.
        press(page.get_by_role("link", name="PR-2026-0001").first)
        expect(page.get_by_role("heading", name="PR-2026-0001", exact=False).first).to_be_visible()
        expect(page.get_by_alt_text("fiche scannée.pdf, page 1 sur 2")).to_be_visible()
        expect(page.get_by_text("la famille sera présente à la réunion")).to_be_visible()
        look(page, "03-demande-scan")
        write(page.get_by_label("Nom de l'école"), "École du Bourg")
        write(page.get_by_label(re.compile(r"^Commune")), "Voiron")
        write(page.get_by_label("Nom du demandeur"), "Claire Martin")
        # DSFR draws the box on the label: ticked with the space bar.
        page.get_by_label("Suivi d'élèves présentant des troubles sévères du comportement") \
            .focus()
        page.keyboard.press("Space")
        write(page.get_by_label("Description de la situation"),
              "Crises répétées en classe ; l'équipe demande un appui.")
        page.get_by_label("Demande urgente").focus()  # non renseigné → oui → non
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        expect(page.get_by_label("Demande urgente")).to_have_value("non")
        write(page.get_by_label("Date de la demande"), "05/10/2026")
        press(page.get_by_role("button", name="Enregistrer les corrections"))
        expect(page.get_by_text("Corrections enregistrées.")).to_be_visible()
        look(page, "04-demande-corrigee")

        # The school's message is answered from the page, from the circonscription's address.
        write(page.get_by_label("Répondre à l'école"),
              "Bonjour,\nMerci : la psychologue scolaire viendra observer la classe.")
        press(page.get_by_role("button", name="Envoyer à l'école"))
        expect(page.get_by_text("Message mis en file d'envoi")).to_be_visible()

        press(page.get_by_role("link", name="À traiter").first)
        expect(page.get_by_text("Rien à traiter pour l'instant.")).to_be_visible()
        press(page.get_by_role("link", name="Demandes").first)
        expect(page.get_by_role("cell", name="École du Bourg (Voiron)")).to_be_visible()
        look(page, "05-demandes")
        # A filter updates the list in place (htmx): the page itself is not reloaded.
        page.evaluate("window.sameDocument = true")
        page.get_by_label("À vérifier").focus()
        page.keyboard.press("Space")
        expect(page.get_by_text("0 demande", exact=True)).to_be_visible()
        assert "a_verifier=1" in page.url and page.evaluate("window.sameDocument") is True
        browser.close()
    before = len(smtp_server.messages)
    saisine(config, "run", "--once")  # the worker sends what the bureau queued
    [(recipients, reply)] = smtp_server.messages[before:]
    assert recipients == ["ce.0381234x@ac-grenoble.fr"]
    assert "la psychologue scolaire viendra" in reply.get_content()
    assert "Agnès Martin" in reply.get_content() and reply["Auto-Submitted"] is None
    assert reply["In-Reply-To"] == school_email_id  # threaded with the school's email
    engine = make_engine(f"sqlite:///{data_dir / 'saisine.db'}")
    with session_scope(engine) as s:
        [request] = repo.agenda_requests(s, repo.utcnow().date())
        assert request.school_name == "École du Bourg" and not request.needs_review
    engine.dispose()


SCHOOLS = [("ce.0381234x@ac-grenoble.fr", "LEGRAND"), ("ce.0382222k@ac-grenoble.fr", "MOREAU"),
           ("ce.0383333w@ac-grenoble.fr", "PETIT")]


def test_the_meeting_mode_records_three_decisions_and_the_schools_receive_them(
        tmp_path, dovecot, smtp_server):
    today = date.today().isoformat()
    top = (f'[[meetings]]\ndate = {today}\ndeadline = {today}\n\n'
           '[[pole]]\nname = "M. Lenoir"\nrole = "psychologue"\n'
           'email = "psy.voiron@ac-grenoble.fr"\n')
    config = dv.worker_config(tmp_path / "saisine.toml", dovecot, smtp_server.port,
                              tmp_path / "data", top=top)
    for address, pupil in SCHOOLS:
        dovecot.deliver(fiche_mail({**FICHE, "eleve_nom": pupil,
                                    "situation": f"Situation de {pupil}."},
                                   sender=f"Direction <{address}>").as_bytes())
    saisine(config, "run", "--once")
    saisine(config, "user", "add", "ien@ac-grenoble.fr", "--name", "Paul Durand", "--role",
            "ien", env={**dv.worker_env(), "SAISINE_NEW_PASSWORD": PASSWORD})
    with bureau_server(config) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        sign(page, url, "ien@ac-grenoble.fr")
        page.get_by_role("link", name="Réunions").click()
        look(page, "06-reunions")
        page.get_by_role("link", name="Ordre du jour").first.click()
        look(page, "07-reunion")
        page.get_by_role("link", name="Mode séance").click()
        for n in range(1, 4):
            expect(page.get_by_text(f"demande {n} sur 3")).to_be_visible()
            if n == 1:
                look(page, "08-seance")
            page.get_by_label("Suite donnée").fill(f"Décision n° {n} : observation en classe.")
            page.get_by_label("Suivi par").select_option("M. Lenoir")
            page.get_by_role("button", name="Enregistrer et passer à la suivante").click()
        expect(page.get_by_text("3 décisions enregistrées sur 3 demandes")).to_be_visible()
        look(page, "09-fin-de-seance")
        page.get_by_role("button", name="Envoyer les décisions aux écoles").click()
        expect(page.get_by_text("Décisions mises en file d'envoi vers les écoles.")) \
            .to_be_visible()
        browser.close()
    smtp_server.messages.clear()
    saisine(config, "run", "--once")
    decisions = {rcpt[0]: m for rcpt, m in smtp_server.messages
                 if "Suite donnée par le pôle ressource" in m["Subject"]}
    assert sorted(decisions) == sorted(address for address, _ in SCHOOLS)
    for mail in decisions.values():
        text = mail.get_content()
        assert "observation en classe" in text and "M. Lenoir (psychologue)" in text


def test_a_set_aside_email_becomes_a_request_in_the_browser(tmp_path, dovecot, smtp_server):
    config = dv.worker_config(tmp_path / "saisine.toml", dovecot, smtp_server.port,
                              tmp_path / "data")
    typed = write_fiche("pdf", {"ecole_commune": "Voiron"})  # a blank fiche: no request
    dovecot.deliver(message(subject="Fiche pour Hugo", body="Fiche remplie à la main.",
                            attachments=[("fiche-hugo.pdf", typed, "application/pdf")])
                    .as_bytes())
    saisine(config, "run", "--once")
    saisine(config, "user", "add", "secretariat@ac-grenoble.fr", "--name", "Agnès Martin",
            "--role", "secretariat", env={**dv.worker_env(), "SAISINE_NEW_PASSWORD": PASSWORD})
    with bureau_server(config) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        sign(page, url, "secretariat@ac-grenoble.fr")
        page.get_by_role("link", name="Quarantaine").first.click()
        look(page, "10-quarantaine")
        page.get_by_role("link", name="Fiche pour Hugo").click()
        expect(page.get_by_text("Fiche remplie à la main.")).to_be_visible()
        look(page, "11-courriel")
        page.get_by_label("La fiche").select_option(label="fiche-hugo.pdf")
        page.get_by_role("button", name="Créer la demande").click()
        expect(page.get_by_text("Demande créée à partir du courriel")).to_be_visible()
        expect(page.get_by_alt_text("fiche-hugo.pdf, page 1 sur 2")).to_be_visible()
        browser.close()
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'saisine.db'}")
    with session_scope(engine) as s:
        [request] = repo.list_requests(s)
        assert request.method == "bureau" and request.needs_review
    engine.dispose()


def test_accounts_and_another_circonscription_that_sees_nothing(tmp_path, dovecot,
                                                                 smtp_server):
    from bureau.auth import new_account
    from storage.models import Circonscription, Role

    config = dv.worker_config(tmp_path / "saisine.toml", dovecot, smtp_server.port,
                              tmp_path / "data")
    dovecot.deliver(fiche_mail().as_bytes())
    saisine(config, "run", "--once")
    saisine(config, "user", "add", "admin@ac-grenoble.fr", "--name", "Sophie Bernard",
            "--role", "admin", env={**dv.worker_env(), "SAISINE_NEW_PASSWORD": PASSWORD})
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'saisine.db'}")
    with session_scope(engine) as s:
        s.add(Circonscription(id=2, name="Circonscription de Vienne"))
        s.flush()
        new_account(s, "secretariat@vienne.fr", "Secrétariat de Vienne", Role.SECRETARIAT,
                    PASSWORD, 2)
    engine.dispose()
    with bureau_server(config) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        sign(page, url, "admin@ac-grenoble.fr")
        expect(page.get_by_role("heading", name="Comptes")).to_be_visible()
        write(page.get_by_label("Nom", exact=True), "Léa Robert")
        write(page.get_by_label("Adresse électronique"), "lea.robert@ac-grenoble.fr")
        press(page.get_by_role("button", name="Créer le compte"))
        expect(page.get_by_text("Compte créé pour lea.robert@ac-grenoble.fr")).to_be_visible()
        look(page, "12-comptes")
        press(page.get_by_role("link", name="Sophie Bernard (Administrateur)"))
        look(page, "13-mot-de-passe")
        page.context.clear_cookies()
        sign(page, url, "secretariat@vienne.fr")
        press(page.get_by_role("link", name="Demandes").first)
        expect(page.get_by_text("0 demande", exact=True)).to_be_visible()
        page.goto(f"{url}/demandes/PR-2026-0001")
        expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
        look(page, "14-introuvable")
        browser.close()


def sign(page: Page, url: str, email: str) -> None:
    page.goto(url)
    write(page.get_by_label("Adresse électronique"), email)
    write(page.get_by_label("Mot de passe"), PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
