"""Chaos: the worker killed (SIGKILL) again and again while it works, then the books.

    .venv/bin/python bench/chaos.py [--kills 200] [--wave 40] [--postgres]
    .venv/bin/python bench/chaos.py --fuzz 20     # the fuzz tests, 20x their CI examples

A private Dovecot (IMAPS) and an SMTP server (aiosmtpd) on loopback. The mailbox is
fed in waves of what a circonscription receives: new fiches from different schools
(one in six urgent), a school sending a fiche again, an email without its fiche,
auto-replies and bounces, a stranger. `saisine run --once` is started, killed at a
random moment, started again..., until `--kills` kills have landed on a running
worker; then one last run is left to finish. A meeting whose deadline has passed
makes each run also owe the pôle its agenda.

Then the books: every email handled (processed or set aside) exactly once, one
request per distinct fiche, one acknowledgement per request and one alert per urgent
one, all sent; one agenda per member. Mail the SMTP server received twice is
counted: that happens only when a kill lands between the server's 250 and our commit
of it, so there can be at most one per kill.
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import nullcontext
from datetime import date, timedelta
from email.utils import make_msgid
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from demo.smtp import MailSink  # noqa: E402
from notify.fiche import write_fiche  # noqa: E402
from tests import dovecot as dv  # noqa: E402
from tests.conftest import throwaway_postgres  # noqa: E402
from tests.mail import DOCX, FICHE, URGENT, bounce, message  # noqa: E402

POLE = ["ien.chaos@ac-grenoble.fr", "psy.chaos@ac-grenoble.fr"]


class Feed:
    """Waves of emails, and what they should become."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.n = 0
        self.fiches = self.urgent = self.emails = 0
        self.sent_fiches: list[bytes] = []

    def wave(self, size: int) -> list[bytes]:
        raws = []
        for _ in range(size):
            self.n += 1
            kind = self.rng.choice(["fiche"] * 6 + ["again", "nofiche", "auto", "bounce",
                                                    "stranger"])
            school = f"Direction <ce.038{self.n:04d}c@ac-grenoble.fr>"
            if kind == "again" and self.sent_fiches:
                raw = self.rng.choice(self.sent_fiches)  # the same fiche, a new email
                raws.append(message(sender=school, subject="Fiche renvoyée", attachments=[
                    ("fiche.docx", raw, DOCX)]).as_bytes())
            elif kind in ("fiche", "again"):
                urgent = self.n % 6 == 0
                values = {**(URGENT if urgent else FICHE), "eleve_nom": f"ELEVE{self.n:05d}",
                          "situation": f"Situation inventée numéro {self.n}."}
                data = write_fiche("docx", values)
                self.sent_fiches.append(data)
                self.fiches += 1
                self.urgent += urgent
                raws.append(message(sender=school, attachments=[("fiche.docx", data, DOCX)])
                            .as_bytes())
            elif kind == "nofiche":
                raws.append(message(sender=school, subject=f"Question {self.n}",
                                    body="Bonjour, pouvez-vous nous rappeler ?").as_bytes())
            elif kind == "auto":
                raws.append(message(sender=school, subject=f"Absence {self.n}", body="Absente.",
                                    Auto_Submitted="auto-replied").as_bytes())
            elif kind == "bounce":
                report = bounce()
                report["Message-ID"] = make_msgid(domain="ac-grenoble.fr")
                raws.append(report.as_bytes())
            else:
                raws.append(message(sender=f"inconnu{self.n}@exemple.invalid", subject="?",
                                    body="Bonjour.").as_bytes())
        self.emails += len(raws)
        return raws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--wave", type=int, default=40)
    parser.add_argument("--postgres", action="store_true",
                        help="PostgreSQL (the machine's, a database of its own) instead of "
                             "SQLite")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--fuzz", type=int, default=0, metavar="SCALE",
                        help="Only fuzz: the test suite's fuzz tests with SCALE times their "
                             "examples (email reader, pipeline, each parser)")
    args = parser.parse_args()
    if args.fuzz:
        fuzz(args.fuzz)
        return
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="saisine-chaos-"))
    root.chmod(0o755)
    dovecot = dv.start(root / "server")
    database = (throwaway_postgres("saisine_chaos") if args.postgres
                else nullcontext(f"sqlite:///{root / 'data' / 'saisine.db'}"))
    try:
        with MailSink() as sink, database as url:
            pole = "".join(f'\n[[pole]]\nname = "{a}"\nrole = "membre"\nemail = "{a}"\n'
                           for a in POLE)
            config = dv.worker_config(root / "saisine.toml", dovecot, sink.port, root / "data",
                                      database_url=url)
            config.write_text(config.read_text() + f"""
[[meetings]]
date = {(date.today() + timedelta(days=10)).isoformat()}
deadline = {(date.today() - timedelta(days=7)).isoformat()}
{pole}""")  # a week ago: its agenda is due whatever weekend came after it
            run(args, rng, dovecot, sink, url, config)
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)


def run(args, rng: random.Random, dovecot, sink, url: str, config: Path) -> None:
    """Kill, restart, kill... then one run left to finish, and the books."""
    command = [sys.executable, "-m", "worker.cli", "--config", str(config), "run", "--once"]
    feed = Feed(rng)
    kills = interrupted = runs = 0
    started = time.monotonic()
    while kills < args.kills:
        if not dovecot.uids("INBOX"):
            for raw in feed.wave(args.wave):
                dovecot.deliver(raw)
        before = handled(url)
        worker = subprocess.Popen(command, env=dv.worker_env(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs += 1
        # Start-up (imports, parsing child, database, IMAP login) takes about a second:
        # most kills land on work, some on the start-up itself.
        time.sleep(rng.uniform(0.6, 2.4))
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
            worker.wait()
            interrupted += handled(url) > before and bool(dovecot.uids("INBOX"))
        worker.wait()
        if kills and kills % 25 == 0 and worker.returncode < 0:
            print(f"  {kills} kills, {feed.emails} emails fed, "
                  f"{time.monotonic() - started:.0f} s", flush=True)
    final = subprocess.run(command, env=dv.worker_env(), capture_output=True, text=True,
                           timeout=600)
    assert final.returncode == 0, final.stderr
    books(dovecot, url, sink, feed, kills, interrupted, runs, time.monotonic() - started)

def fuzz(scale: int) -> None:
    import os

    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/test_fuzz.py", "tests/test_message.py", "tests/test_pipeline.py",
                           "-k", "damaged or any_layout or never_raise"], cwd=ROOT,
                          env={**os.environ, "SAISINE_FUZZ_SCALE": str(scale)})
    print(f"fuzz x{scale}: {time.monotonic() - started:.0f} s")
    raise SystemExit(done.returncode)


def handled(url: str) -> int:
    """Emails recorded so far (0 before the database exists)."""
    try:
        engine = create_engine(url)
        with engine.connect() as db:
            return db.execute(text("SELECT count(*) FROM processed_message")).scalar()
    except Exception:  # no database or no table yet: nothing handled
        return 0
    finally:
        engine.dispose()


def books(dovecot, url, sink, feed: Feed, kills: int, interrupted: int, runs: int,
          seconds: float) -> None:
    engine = create_engine(url)
    with engine.connect() as db:
        def one(sql: str) -> int:
            return db.execute(text(sql)).scalar()

        handled = one("SELECT count(*) FROM processed_message WHERE outcome <> 'seen'")
        requests = one("SELECT count(*) FROM request")
        urgent = one("SELECT count(*) FROM request WHERE urgent")
        kinds = dict(db.execute(text("SELECT kind, count(*) FROM outbox GROUP BY kind")).all())
        unsent = one("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        outbox = one("SELECT count(*) FROM outbox")
    engine.dispose()
    filed = len(dovecot.uids("Saisine/Traités")) + len(dovecot.uids("Saisine/À vérifier"))
    received = Counter(str(m["Message-ID"]) for _, m in sink.messages)
    twice = sum(n - 1 for n in received.values())
    checks = {
        "inbox empty": dovecot.uids("INBOX") == [],
        "every email filed once (processed or set aside)": filed == feed.emails,
        "every email recorded once": handled == feed.emails,
        "one request per distinct fiche": requests == feed.fiches,
        "one alert per urgent request": urgent == feed.urgent == kinds.get("alert", 0),
        "one acknowledgement per request": kinds.get("ack", 0) == requests,
        "one agenda per member": kinds.get("agenda", 0) == len(POLE),
        "everything sent": unsent == 0 and len(received) == outbox,
        "mail sent twice <= kills": twice <= kills,
    }
    print(f"\n{kills} kills over {runs} runs ({interrupted} in the middle of a pass: emails "
          f"handled and others still waiting), {seconds:.0f} s")
    print(f"emails fed {feed.emails}: fiches {feed.fiches} (urgent {feed.urgent}); "
          f"requests {requests}; mail queued {dict(kinds)}; received by the SMTP server "
          f"{sum(received.values())}, of which sent twice {twice}")
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    if not all(checks.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
