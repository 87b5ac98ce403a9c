"""The worker against real servers: urgent-alert latency, and a backlog against its floor.

    .venv/bin/python bench/worker.py                 # both, the backlog at 250 and 1000
    .venv/bin/python bench/worker.py latency [--alerts 40]
    .venv/bin/python bench/worker.py backlog [--emails 1000] [--fiches 300] [--rounds 2]

Servers: a private Dovecot on loopback (IMAPS, as in the tests) and an aiosmtpd
sink; SQLite in a scratch folder. Data: invented schools and pupils.

Latency (target p95 <= 3 s): the worker runs as `saisine run` does (IDLE; the poll
is set to 10 minutes so that only IDLE can wake it). Each urgent fiche is APPENDed
over IMAP; the clock stops when the IEN's alert reaches the SMTP server.

Backlog (target <= 1.5x the floor, memory flat): a mailbox of N emails, of which
`--fiches` carry a fiche (DOCX and PDF, one in ten urgent) and the rest are what a
circonscription's mailbox also holds (schools writing without a fiche,
auto-replies, bounces, mailing lists, strangers). The floor fetches the same
messages (BODY.PEEK) and extracts the same fiches in the same sandbox, storing
and sending nothing. Saisine's pass then does everything: route, store, move,
send. Each size runs in its own process, so its peak RSS is its own; the RSS rise
during the pass is what the worker itself held while working through the backlog.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from imapclient import IMAPClient  # noqa: E402

from config.settings import Circonscription, Server, Settings, Storage  # noqa: E402
from demo.smtp import MailSink, free_port  # noqa: E402
from ingest.mailbox import Mailbox  # noqa: E402
from ingest.message import read_email  # noqa: E402
from notify.fiche import write_fiche  # noqa: E402
from parsers.registry import sniff  # noqa: E402
from tests import dovecot as dv  # noqa: E402
from tests.mail import DOCX, FICHE, bounce, message  # noqa: E402
from worker.pipeline import FICHE_KINDS  # noqa: E402
from worker.service import Worker, services  # noqa: E402

IEN = "ien.bench@ac-grenoble.fr"


class SinkProcess:
    """aiosmtpd's own discarding sink in a process of its own, so that the SMTP server's
    work is not counted as Saisine's (the in-process MailSink shares our GIL)."""

    def __enter__(self) -> SinkProcess:
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-c",
                                         "aiosmtpd.handlers.Sink", "-l",
                                         f"127.0.0.1:{self.port}"])
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(10)

    def server(self) -> Server:
        return Server(host="127.0.0.1", port=self.port, security="none")


@contextmanager
def servers(sink_in_process: bool = True):
    root = Path(tempfile.mkdtemp(prefix="saisine-bench-"))
    root.chmod(0o755)  # Dovecot's own users must read its folder
    dovecot = dv.start(root / "server")
    try:
        with (MailSink() if sink_in_process else SinkProcess()) as sink:
            yield dovecot, sink, root
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)


def settings_for(dovecot, sink, data_dir: Path, poll_seconds: int = 600) -> Settings:
    return Settings(
        circonscription=Circonscription(name="Circonscription de Bench", alert_to=[IEN],
                                        sender="pole.ressource@circo-bench.fr"),
        storage=Storage(data_dir=data_dir), poll_seconds=poll_seconds,
        imap=Server(host="127.0.0.1", port=dovecot.tls_port, security="tls",
                    username=dv.USER, password=dv.PASSWORD, ca_file=dovecot.ca_file),
        smtp=sink.server())


def append_all(dovecot, raws: list[bytes]) -> None:
    client = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=30)
    client.login(dv.USER, dv.PASSWORD)
    for raw in raws:
        client.append("INBOX", raw)
    client.logout()


def fiche_email(n: int, fmt: str, urgent: bool) -> bytes:
    values = {**FICHE, "eleve_nom": f"ELEVE{n:04d}", "eleve_prenom": "Camille",
              "situation": f"Situation inventée numéro {n}.", "urgence": urgent}
    mime = DOCX if fmt == "docx" else "application/pdf"
    return message(sender=school(n), subject=f"Fiche {n}", attachments=[
        (f"fiche.{fmt}", write_fiche(fmt, values), mime)]).as_bytes()


def school(n: int) -> str:
    """Each email from a school of its own, as in a real mailbox (answers to one address
    are rate-limited)."""
    return f"Direction <ce.03{n:05d}@ac-grenoble.fr>"


def mailbox_of(emails: int, fiches: int, seed: int = 2026) -> list[bytes]:
    rng = random.Random(seed)
    raws = [fiche_email(n, "docx" if n % 2 else "pdf", n % 10 == 0) for n in range(fiches)]
    others = [
        lambda n: message(sender=school(n + 50_000), subject=f"Question {n}",
                          body="Bonjour, une question sans fiche."),
        lambda n: message(subject=f"Réponse automatique {n}", body="Absente.",
                          Auto_Submitted="auto-replied"),
        lambda n: bounce(),
        lambda n: message(sender="lettre@liste.ac-grenoble.fr", subject=f"Lettre {n}",
                          body="Actualités.", List_Id="<infos.liste.ac-grenoble.fr>"),
        lambda n: message(sender=f"inconnu{n}@exemple.invalid", subject="Bonjour", body="?"),
    ]
    raws += [rng.choice(others)(n).as_bytes() for n in range(emails - fiches)]
    rng.shuffle(raws)
    return raws


# --- latency ---------------------------------------------------------------------------

def latency(alerts: int) -> dict:
    with servers() as (dovecot, sink, root):
        settings = settings_for(dovecot, sink, root / "data")
        raws = [fiche_email(n, "docx", True) for n in range(alerts)]
        seconds = []
        with services(settings) as svc:
            worker = Worker(svc)
            thread = threading.Thread(target=worker.watch, daemon=True)
            thread.start()
            time.sleep(2)  # connected, first (empty) pass done, in IDLE
            client = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=30)
            client.login(dv.USER, dv.PASSWORD)
            for raw in raws:
                before = sum(IEN in to for to, _ in sink.messages)
                start = time.monotonic()
                client.append("INBOX", raw)
                while sum(IEN in to for to, _ in sink.messages) == before:
                    if time.monotonic() - start > 60:
                        raise SystemExit("an alert took more than 60 s")
                    time.sleep(0.005)
                seconds.append(time.monotonic() - start)
                time.sleep(0.2)  # back in IDLE
            client.logout()
            worker.stopping.set()
            thread.join(5)
    seconds.sort()
    return {"alerts": alerts, "p50_s": statistics.median(seconds),
            "p95_s": seconds[max(0, round(0.95 * len(seconds)) - 1)], "max_s": seconds[-1]}


# --- backlog ---------------------------------------------------------------------------

def floor(settings: Settings, svc) -> float:
    """Fetch every message and extract every fiche; store, route and send nothing."""
    start = time.perf_counter()
    with Mailbox(settings.imap, settings.folders) as mailbox:
        for _, raw, _ in mailbox.fetch(mailbox.waiting()):
            for attachment in read_email(raw).attachments:
                if sniff(attachment.data) in FICHE_KINDS:
                    svc.sandbox.extract(attachment.data, attachment.name)
    return time.perf_counter() - start


class PeakRss:
    """The process's resident memory sampled while a block runs: its peak, and how far
    it rose above where it started (what the block itself holds)."""

    PAGE = os.sysconf("SC_PAGE_SIZE")

    def __enter__(self) -> PeakRss:
        self.start = self.peak = self.now()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()

    def now(self) -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * self.PAGE

    def _sample(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, self.now())


def backlog(emails: int, fiches: int, rounds: int) -> dict:
    raws = mailbox_of(emails, fiches)
    floors, passes, rises = [], [], []
    with servers(sink_in_process=False) as (dovecot, sink, root):
        for round_ in range(rounds):
            settings = settings_for(dovecot, sink, root / f"data{round_}")
            append_all(dovecot, raws)
            with services(settings) as svc:  # a cold start: new database, new sandbox
                floors.append(floor(settings, svc))
                start = time.perf_counter()
                with PeakRss() as rss, Mailbox(settings.imap, settings.folders) as mailbox:
                    result = Worker(svc).one_pass(mailbox)
                passes.append(time.perf_counter() - start)
                rises.append(rss.peak - rss.start)
            assert sum(result.outcomes.values()) == emails, result.outcomes
            assert not dovecot.uids("INBOX")
    best_floor, best_pass = min(floors), min(passes)
    return {"emails": emails, "fiches": fiches, "floor_s": best_floor, "saisine_s": best_pass,
            "ratio": best_pass / best_floor, "emails_per_s": emails / best_pass,
            "outcomes": dict(result.outcomes), "sent": result.sent,
            "pass_rss_rise_mib": max(rises) / 2**20,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "sandbox_peak_rss_mib":
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def in_process(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args, "--json"], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", choices=["latency", "backlog"])
    parser.add_argument("--alerts", type=int, default=40)
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--fiches", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.what == "latency":
        result = latency(args.alerts)
    elif args.what == "backlog":
        result = backlog(args.emails, args.fiches, args.rounds)
    if args.what:
        print(json.dumps(result) if args.json else json.dumps(result, indent=2))
        return

    lat = in_process("latency", "--alerts", str(args.alerts))
    print(f"urgent alert, APPEND -> SMTP server ({lat['alerts']} alerts, IDLE): "
          f"p50 {lat['p50_s']:.3f} s, p95 {lat['p95_s']:.3f} s, max {lat['max_s']:.3f} s "
          f"(target p95 <= 3 s)")
    print(f"{'emails':>7} {'fiches':>6} {'floor':>8} {'saisine':>8} {'ratio':>6} "
          f"{'emails/s':>9} {'RSS rise in pass':>17} {'peak RSS':>9} {'sandbox RSS':>12}")
    for emails in (250, args.emails):
        fiches = round(args.fiches * emails / args.emails)
        b = in_process("backlog", "--emails", str(emails), "--fiches", str(fiches),
                       "--rounds", str(args.rounds))
        print(f"{b['emails']:>7} {b['fiches']:>6} {b['floor_s']:>7.1f}s {b['saisine_s']:>7.1f}s "
              f"{b['ratio']:>5.2f}x {b['emails_per_s']:>9.1f} {b['pass_rss_rise_mib']:>13.1f} MiB "
              f"{b['peak_rss_mib']:>5.0f} MiB "
              f"{b['sandbox_peak_rss_mib']:>8.0f} MiB")
    print("target: ratio <= 1.5x; memory flat from 250 to 1000 emails (peak RSS includes "
          "the bench's own copy of the mailbox it APPENDs)")


if __name__ == "__main__":
    main()
