"""The secretariat's and IT staff's commands, as they run them: init, run --once, requests,
show, quarantine and replay, on a real mailbox (Dovecot) and SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

from tests import dovecot as dv
from tests.mail import DOCX, FICHE, SENT, bounce, fiche_mail, message


def config_for(tmp_path, dovecot, smtp_server, allowed=("ac-grenoble.fr",)):
    return dv.worker_config(tmp_path / "saisine.toml", dovecot, smtp_server.port,
                            tmp_path / "data", tuple(allowed))


def saisine(config, *args):
    return subprocess.run([sys.executable, "-m", "worker.cli", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=120, env=dv.worker_env())


def test_requests_show_quarantine_and_replay(tmp_path, dovecot, smtp_server):
    config = config_for(tmp_path, dovecot, smtp_server)
    dovecot.deliver(fiche_mail().as_bytes())
    stranger = fiche_mail({**FICHE, "eleve_nom": "MOREL"}, sender="ecole@ville-test.fr")
    dovecot.deliver(stranger.as_bytes())
    assert saisine(config, "run", "--once").returncode == 0

    listed = [json.loads(line) for line in saisine(config, "requests", "--json").stdout.splitlines()]
    assert [r["reference"] for r in listed] == ["PR-2026-0001"]
    assert listed[0]["school"] == "École élémentaire Jean Jaurès"
    shown = saisine(config, "show", "pr-2026-0001")
    assert shown.returncode == 0 and "Voiron" in shown.stdout and "fiche.docx" in shown.stdout
    assert saisine(config, "show", "PR-2026-0999").returncode == 2

    quarantined = saisine(config, "quarantine").stdout
    assert "ville-test.fr" in quarantined and "quarantined" in quarantined
    # The circonscription decides this school's town address is fine: allow it and replay.
    config = config_for(tmp_path, dovecot, smtp_server, ("ac-grenoble.fr", "ville-test.fr"))
    record = next(line.split("│")[1].strip() for line in quarantined.splitlines()
                  if "ville-test.fr" in line)
    assert saisine(config, "quarantine", "--replay", record).returncode == 0
    [uid] = dovecot.uids("Saisine/À vérifier")
    dovecot.doveadm("move", "-u", dv.USER, "INBOX", "mailbox", "Saisine/À vérifier", "UID",
                    str(uid))
    again = saisine(config, "run", "--once")
    assert "accepted: 1" in again.stdout and "PR-2026-0002" in again.stdout


def test_init_writes_a_commented_example_the_worker_accepts(tmp_path):
    done = subprocess.run([sys.executable, "-m", "worker.cli", "init", "-o",
                           str(tmp_path / "saisine.toml")], capture_output=True, text=True)
    assert done.returncode == 0
    text = (tmp_path / "saisine.toml").read_text()
    assert "SAISINE_IMAP__PASSWORD" in text and "password =" not in text
    tomllib.loads(text)
    again = subprocess.run([sys.executable, "-m", "worker.cli", "init", "-o",
                            str(tmp_path / "saisine.toml")], capture_output=True, text=True)
    assert again.returncode == 2 and "not overwritten" in again.stderr
    from config.settings import load_settings

    assert load_settings(tmp_path / "saisine.toml").imap.security == "tls"


def test_doctor_checks_everything_and_changes_nothing(tmp_path, dovecot, smtp_server):
    config = config_for(tmp_path, dovecot, smtp_server)
    dovecot.deliver(fiche_mail().as_bytes())
    done = saisine(config, "doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = {line.split(":")[0].split()[-1]: line for line in done.stdout.splitlines()}
    assert lines["imap"].split()[0] == "ok" and "INBOX: 1 email(s) waiting" in lines["imap"]
    assert "will create Saisine/Traités, Saisine/À vérifier" in lines["imap"]
    assert lines["smtp"].split()[0] == "ok" and "plain text (loopback)" in lines["smtp"]
    assert "created at the first run" in lines["storage"]
    # Nothing was touched: no folder, no database, no mail, the email still waiting.
    assert dovecot.uids("INBOX") and not (tmp_path / "data" / "saisine.db").exists()
    assert "Saisine" not in dovecot.doveadm("mailbox", "list", "-u", dv.USER)
    assert smtp_server.messages == []


def test_doctor_says_what_to_fix(tmp_path, dovecot, smtp_server):
    from demo.smtp import free_port

    config = config_for(tmp_path, dovecot, smtp_server)
    original = config.read_text()
    text = original.replace(f"ca_file = \"{dovecot.ca_file}\"\n", "")
    config.write_text(text.replace(f"port = {smtp_server.port}", f"port = {free_port()}"))
    done = subprocess.run([sys.executable, "-m", "worker.cli", "--config", str(config), "doctor"],
                          capture_output=True, text=True, timeout=120,
                          env={**dv.worker_env(), "SAISINE_IMAP__PASSWORD": ""})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "SAISINE_IMAP__PASSWORD is not set" in done.stdout
    assert "nothing listens there" in done.stdout  # the SMTP port
    done = saisine(config, "doctor")  # the password back; the CA still missing
    assert "certificate is not trusted: for a private CA, set ca_file" in done.stdout
    config.write_text(original)  # all set right, but a wrong password
    done = subprocess.run([sys.executable, "-m", "worker.cli", "--config", str(config), "doctor"],
                          capture_output=True, text=True, timeout=120,
                          env={**dv.worker_env(), "SAISINE_IMAP__PASSWORD": "wrong"})
    assert "login refused" in done.stdout and "check the username and the password" in done.stdout


def _database_rows(config) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    from config.settings import load_settings

    engine = create_engine(load_settings(config).storage.url())
    with engine.connect() as c:
        rows = {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("request", "processed_message", "outbox", "stored_file", "audit_event")}
    engine.dispose()
    return rows


def test_dry_run_reports_and_changes_nothing(tmp_path, dovecot, smtp_server):
    from notify.fiche import write_fiche

    config = config_for(tmp_path, dovecot, smtp_server)
    fiche = [("fiche.docx", write_fiche("docx", FICHE), DOCX)]
    dovecot.deliver(message(attachments=fiche).as_bytes())
    assert saisine(config, "run", "--once").returncode == 0  # an existing request to dedup on
    before = _database_rows(config)
    files = sorted((tmp_path / "data").rglob("*"))
    dovecot.deliver(message(attachments=fiche).as_bytes())  # a new email, the same fiche
    dovecot.deliver(fiche_mail({**FICHE, "eleve_nom": "MOREL", "urgence": True}).as_bytes())
    dovecot.deliver(bounce().as_bytes())
    waiting = dovecot.uids("INBOX")

    done = saisine(config, "run", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "accepted: 1, duplicate: 1, machine: 1" in done.stdout
    assert "mail it would send: ack: 1, alert: 1" in done.stdout
    assert "PR-2026-0002" in done.stdout  # the reference it would give
    # Nothing stored, nothing sent, nothing moved, not even flagged as seen.
    assert _database_rows(config) == before
    assert sorted((tmp_path / "data").rglob("*")) == files
    assert len(smtp_server.messages) == 1  # the first run's acknowledgement only
    assert dovecot.uids("INBOX") == waiting
    assert "\\Seen" not in dovecot.doveadm("fetch", "-u", dv.USER, "flags", "mailbox", "INBOX")

    # The real run then does exactly what the rehearsal said.
    real = saisine(config, "run", "--once")
    assert "accepted: 1, duplicate: 1, machine: 1" in real.stdout and "PR-2026-0002" in real.stdout


def test_dry_run_on_a_fresh_install_creates_no_database(tmp_path, dovecot, smtp_server):
    config = config_for(tmp_path, dovecot, smtp_server)
    dovecot.deliver(fiche_mail().as_bytes())
    done = saisine(config, "run", "--dry-run")
    assert done.returncode == 0 and "accepted: 1" in done.stdout
    assert not (tmp_path / "data").exists()
    assert "Saisine" not in dovecot.doveadm("mailbox", "list", "-u", dv.USER)


MEETINGS = """
[[meetings]]
date = 2026-10-16
deadline = 2026-10-10

[[pole]]
name = "Mme Inspectrice"
role = "IEN"
email = "ien.voiron@ac-grenoble.fr"

[[pole]]
name = "M. Lenoir"
role = "psychologue"
email = "psy.voiron@ac-grenoble.fr"
"""


def test_after_the_meeting_decide_and_tell_the_school(tmp_path, dovecot, smtp_server):
    config = config_for(tmp_path, dovecot, smtp_server)
    config.write_text(config.read_text() + MEETINGS)
    dovecot.deliver(fiche_mail().as_bytes(), received=SENT)  # before the October deadline
    assert "PR-2026-0001" in saisine(config, "run", "--once").stdout
    [(_, ack)] = smtp_server.messages
    assert "vendredi 16 octobre 2026" in ack.get_body(("plain",)).get_content()

    early = saisine(config, "notify-decision", "PR-2026-0001")
    assert early.returncode == 2 and "n'a pas encore de décision" in early.stderr
    done = saisine(config, "decide", "pr-2026-0001", "--suite",
                   "Observation en classe par la psychologue scolaire.", "--referent",
                   "psychologue", "--close")
    assert done.returncode == 0 and "closed" in done.stdout
    told = saisine(config, "notify-decision", "PR-2026-0001")
    assert told.returncode == 0 and "mail sent: 1" in told.stdout
    decision = smtp_server.messages[-1][1]
    assert decision["To"] == "ce.0381234x@ac-grenoble.fr"
    assert decision["In-Reply-To"] == ack["Message-ID"]  # threaded under the acknowledgement
    text = decision.get_body(("plain",)).get_content()
    assert "Suite donnée : Observation en classe par la psychologue scolaire." in text
    assert "vendredi 16 octobre 2026" in text and "Cette demande est close" in text
    # The person, not a role code: from the pôle list.
    assert ("Votre interlocuteur pour cette demande : M. Lenoir (psychologue), "
            "psy.voiron@ac-grenoble.fr.") in text
    assert saisine(config, "decide", "PR-2026-0999", "--close").returncode == 2
    # Asked again: says honestly that nothing was sent.
    again = saisine(config, "notify-decision", "PR-2026-0001")
    assert again.returncode == 0 and "nothing sent" in again.stdout
    assert len(smtp_server.messages) == 2
    # Decided again on the closed request: the earlier decision stays in its history.
    unknown = saisine(config, "decide", "PR-2026-0001", "--referent", "orthophoniste")
    assert unknown.returncode == 2 and "Aucun membre du pôle « orthophoniste »" in unknown.stderr
    assert saisine(config, "decide", "PR-2026-0001", "--suite", "Équipe éducative.").returncode \
        == 0
    shown = saisine(config, "show", "PR-2026-0001").stdout
    assert "décision antérieure" in shown and "Observation en classe" in shown


def test_a_decision_is_not_sent_before_its_meeting(tmp_path, dovecot, smtp_server):
    config = config_for(tmp_path, dovecot, smtp_server)
    config.write_text(config.read_text() + MEETINGS.replace("2026-10-16", "2099-02-12")
                      .replace("deadline = 2026-10-10", "deadline = 2099-02-06"))
    dovecot.deliver(fiche_mail().as_bytes())
    saisine(config, "run", "--once")
    smtp_server.messages.clear()
    assert saisine(config, "decide", "PR-2026-0001", "--suite", "Observation.").returncode == 0
    early = saisine(config, "notify-decision", "PR-2026-0001")
    assert early.returncode == 2 and "réunion du 12/02/2099" in early.stderr
    assert smtp_server.messages == []


def test_agenda_preview_and_send_on_demand(tmp_path, dovecot, smtp_server):
    config = config_for(tmp_path, dovecot, smtp_server)
    config.write_text(config.read_text() + MEETINGS)
    dovecot.deliver(fiche_mail().as_bytes())
    saisine(config, "run", "--once")
    smtp_server.messages.clear()

    preview = saisine(config, "agenda", "preview", "--meeting", "2026-10-16", "-o",
                      str(tmp_path / "preview"))
    assert preview.returncode == 0 and "1 request(s)" in preview.stderr
    written = sorted(p.name for p in (tmp_path / "preview").iterdir())
    assert written == [f"ordre-du-jour-pole-ressource-2026-10-16.{x}" for x in
                       ("docx", "html", "pdf")]
    assert smtp_server.messages == []  # a preview sends nothing

    for _ in range(2):  # on demand, as often as asked
        sent = saisine(config, "agenda", "send", "--meeting", "2026-10-16")
        assert "2 queued, 2 sent" in sent.stdout
    assert sorted(to for to, _ in smtp_server.messages) == \
        [["ien.voiron@ac-grenoble.fr"]] * 2 + [["psy.voiron@ac-grenoble.fr"]] * 2
    missing = saisine(config, "agenda", "send", "--meeting", "2026-11-20")
    assert missing.returncode == 2 and "no meeting on 2026-11-20" in missing.stderr

    shown = saisine(config, "calendar")
    assert "16/10/2026" in shown.stdout and "10/10/2026" in shown.stdout
    proposed = saisine(config, "calendar", "suggest", "--year", "2026-2027", "--zone", "A")
    assert "date = 2026-10-16\ndeadline = 2026-10-10" in proposed.stdout
    tomllib.loads(proposed.stdout)
