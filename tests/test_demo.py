"""`saisine demo`, the README's first command: the real worker on the embedded mailbox
(pymap) and mail sink (aiosmtpd), run as a newcomer runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from email import message_from_bytes, policy


# The output folder is never called "demo" here: `python -m` puts the working folder
# first on the path, where a folder of that name would hide the `demo` package (the
# installed `saisine` command, which people run, does not).
def saisine(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worker.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_demo_runs_the_worker_on_the_embedded_mailbox(tmp_path):
    done = saisine("demo", "--output", "demo-out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "reconnecting" not in done.stderr
    assert "alert reached the SMTP server" in done.stdout

    listed = saisine("--config", "demo-out/saisine.toml", "requests", "--json", cwd=tmp_path)
    requests = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(r["school"] for r in requests) == [
        "École maternelle Le Petit Prince", "École primaire Simone Veil",
        "École élémentaire Condorcet", "École élémentaire Les Coquelicots"]
    assert [r["school"] for r in requests if r["urgent"]] == ["École primaire Simone Veil"]

    sent = [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((tmp_path / "demo-out" / "sent").glob("*.eml"))]
    to = Counter(str(m["To"]) for m in sent)
    # One acknowledgement per school that sent a fiche (the duplicate and the auto-reply
    # from Condorcet's address get nothing more), one request for the fiche, one alert.
    assert to == Counter({"ce.0387281h@ac-grenoble.fr": 1, "ce.0381672l@ac-grenoble.fr": 1,
                          "ce.0382790b@ac-grenoble.fr": 1, "ce.0382257x@ac-grenoble.fr": 1,
                          "ce.0383344k@ac-grenoble.fr": 1, "ien.demo@ac-grenoble.fr": 1})
    assert all(m["Auto-Submitted"] for m in sent)
    ack = next(m for m in sent if m["To"] == "ce.0387281h@ac-grenoble.fr")
    assert "Elle sera étudiée lors de la réunion du pôle ressource du " in \
        ack.get_body(("plain",)).get_content()
    [alert] = [m for m in sent if m["To"] == "ien.demo@ac-grenoble.fr"]
    assert [a.get_filename() for a in alert.iter_attachments()] == [
        f"fiche-{alert['Subject'].split('[')[1].split(']')[0]}.docx"]
    [asked] = [m for m in sent if m["To"] == "ce.0383344k@ac-grenoble.fr"]
    assert "Fiche de demande non trouvée" in asked["Subject"]


def test_demo_keeps_a_folder_that_is_not_its_own(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("à garder")
    done = saisine("demo", "--output", "mine", cwd=tmp_path)
    assert done.returncode == 2 and "not a demo folder" in done.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "à garder"


def test_demo_can_run_again_in_the_same_folder(tmp_path):
    for _ in range(2):
        done = saisine("demo", "--output", "demo-out", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "demo-out" / "sent").glob("*.eml"))) == 6


def test_the_embedded_mailbox_starts_whatever_its_random_password(monkeypatch):
    """One password in 64 starts with "-": it must not be taken for an option."""
    from demo import imap

    monkeypatch.setattr(imap.secrets, "token_urlsafe", lambda size: "-dash-first")
    with imap.EmbeddedImap() as box:
        box.deliver(b"From: ce.0381234x@ac-grenoble.fr\r\nSubject: test\r\n\r\nBonjour\r\n")
        assert box.count() == 1
