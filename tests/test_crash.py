"""Crash anywhere: the worker is killed (SIGKILL) at varied moments while it works through
a mailbox, restarted, and killed again. Afterwards nothing is lost and nothing is done
twice, except mail accepted by the SMTP server just before a kill (counted)."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import create_engine, text

from tests import dovecot as dv
from tests.killer import NTH, POINTS
from tests.mail import FICHE, URGENT, fiche_mail

WAVE = 6
KILLS = 12


def test_kill_9_at_random_points_loses_nothing_and_duplicates_nothing(
        tmp_path, dovecot, smtp_server):
    rng = random.Random(20261124)
    data = tmp_path / "data"
    config = dv.worker_config(tmp_path / "saisine.toml", dovecot, smtp_server.port, data)
    env = dv.worker_env()
    command = [sys.executable, "-m", "worker.cli", "--config", str(config), "run", "--once"]
    delivered = kills = 0
    for _ in range(60):
        if kills >= KILLS:
            break
        if not dovecot.uids("INBOX"):  # feed the mailbox in waves, so kills land on work
            for _ in range(WAVE):
                values = {**FICHE, "eleve_nom": f"ELEVE{delivered:02d}",
                          "situation": f"Situation numéro {delivered}."}
                school = f"Direction <ce.038{delivered:04d}a@ac-grenoble.fr>"
                dovecot.deliver(fiche_mail(values, sender=school).as_bytes())
                delivered += 1
        worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 1.6))  # start-up takes ~0.7 s; then it works
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        worker.wait()
    assert kills == KILLS  # kills that landed while the worker ran, or this proves nothing
    # Then a worker that is left to finish, as after the last restart.
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert final.returncode == 0, final.stderr
    EMAILS = delivered

    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids("Saisine/Traités")) == EMAILS
    engine = create_engine(f"sqlite:///{data / 'saisine.db'}")
    with engine.connect() as db:
        assert db.execute(text("SELECT count(*) FROM request")).scalar() == EMAILS
        assert db.execute(text("SELECT count(*) FROM outbox WHERE kind = 'ack'")).scalar() == EMAILS
        assert db.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar() == 0
        accepted = db.execute(text(
            "SELECT count(*) FROM processed_message WHERE outcome = 'accepted'")).scalar()
        assert accepted == EMAILS
    engine.dispose()
    sent = Counter(m["Subject"] for _, m in smtp_server.messages)
    assert len(sent) == EMAILS  # every request acknowledged
    duplicates = sum(n - 1 for n in sent.values())
    # A kill between the server's 250 and our commit resends that one mail, no more.
    assert duplicates <= kills
    print(f"\n{kills} kills, {duplicates} acknowledgement(s) sent twice")


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
@pytest.mark.parametrize("point", POINTS)
def test_kill_9_between_each_two_steps(point, database, tmp_path, dovecot, smtp_server,
                                       request):
    """Killed at one precise point on the second email (or the second mail sent), then
    restarted: two requests, three mails (two acknowledgements, one alert), all sent;
    only a kill between the SMTP server's 250 and our commit sends one mail twice."""
    data = tmp_path / "data"
    url = (request.getfixturevalue("fresh_postgres") if database == "postgresql"
           else f"sqlite:///{data / 'saisine.db'}")
    config = dv.worker_config(tmp_path / "saisine.toml", dovecot, smtp_server.port, data,
                              database_url=url)
    dovecot.deliver(fiche_mail(URGENT).as_bytes())
    dovecot.deliver(fiche_mail(FICHE).as_bytes())
    args = ["--", "--config", str(config), "run", "--once"]
    killed = subprocess.run([sys.executable, "-m", "tests.killer", point,
                             str(NTH.get(point, 2)), *args],
                            env=dv.worker_env(), capture_output=True, text=True, timeout=180)
    assert killed.returncode == -signal.SIGKILL, killed.stderr  # the kill did land
    final = subprocess.run([sys.executable, "-m", "worker.cli", *args[1:]], env=dv.worker_env(),
                           capture_output=True, text=True, timeout=180)
    assert final.returncode == 0, final.stderr

    assert dovecot.uids("INBOX") == [] and len(dovecot.uids("Saisine/Traités")) == 2
    engine = create_engine(url)
    with engine.connect() as db:
        assert db.execute(text("SELECT count(*) FROM request")).scalar() == 2
        kinds = dict(db.execute(text("SELECT kind, count(*) FROM outbox GROUP BY kind")).all())
        assert kinds == {"ack": 2, "alert": 1}
        assert db.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar() == 0
        assert db.execute(text(
            "SELECT count(*) FROM processed_message WHERE outcome = 'accepted'")).scalar() == 2
    engine.dispose()
    sent = Counter(m["Message-ID"] for _, m in smtp_server.messages)
    assert len(sent) == 3
    assert sum(n - 1 for n in sent.values()) == (1 if point == "send" else 0)
