"""The secretariat's and IT staff's commands, as they run them: init, run --once, requests,
show, quarantine and replay, on a real mailbox (Dovecot) and SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

from tests import dovecot as dv
from tests.mail import FICHE, fiche_mail


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
