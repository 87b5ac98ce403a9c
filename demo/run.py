"""`saisine demo`: the real worker on an embedded mailbox and mail sink.

With no mail server to configure, it starts an in-memory IMAP server (pymap)
and an SMTP sink (aiosmtpd) on loopback, drops in the emails schools would send
(invented people, the bundled sample fiches), and runs the same `Worker` as
`saisine run`: IDLE, pipeline, database, outbox. Then it shows what happened:
requests created, acknowledgements and alerts sent, machines left unanswered,
and how long the urgent alert took. The database and the sent mail stay in
the output folder, to explore with the other commands.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from importlib import resources
from pathlib import Path

from rich.console import Console

from config.calendar import Meeting, first_meeting_day
from config.errors import SaisineError
from config.settings import Circonscription, Settings, Storage
from demo.imap import EmbeddedImap
from demo.smtp import MailSink
from storage import repo
from storage.db import session_scope
from storage.models import ProcessedMessage, Request
from worker.service import Worker, services, single_worker

MARKER = ".saisine-demo"
CIRCONSCRIPTION = Circonscription(
    name="Circonscription de démonstration",
    allowed_domains=["ac-grenoble.fr"],
    alert_to=["ien.demo@ac-grenoble.fr"],
    sender="pole-ressource.demo@ac-grenoble.fr",
)
MIME = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "odt": "application/vnd.oasis.opendocument.text", "pdf": "application/pdf"}


def school_email(sender: str, subject: str, body: str,
                 attachments: Sequence[tuple[str, bytes, str]] = (), *,
                 to: str = "pole.ressource@circo-test.fr", date: datetime | None = None,
                 **headers: str) -> EmailMessage:
    """An email as a school's mail client sends it; attachments as (name, data, MIME type)."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = format_datetime(date or datetime.now(UTC))
    m["Message-ID"] = make_msgid(domain="ac-grenoble.fr")
    for name, value in headers.items():
        m[name.replace("_", "-")] = value
    m.set_content(body)
    for filename, data, mime in attachments:
        maintype, subtype = mime.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return m


def _sample(name: str) -> tuple[str, bytes, str]:
    data = resources.files("demo").joinpath("samples", name).read_bytes()
    return name, data, MIME[name.rsplit(".", 1)[1]]


def backlog() -> list[EmailMessage]:
    """What is waiting in the mailbox when the worker starts (people and data invented)."""
    odt = _sample("fiche-libreoffice.odt")
    hello = "Bonjour,\n\nVeuillez trouver ci-joint notre fiche de demande.\n\nCordialement"
    return [
        school_email("École Les Coquelicots <ce.0387281h@ac-grenoble.fr>",
                     "Fiche pôle ressource", hello, [odt]),
        school_email("Direction Condorcet <ce.0381672l@ac-grenoble.fr>",
                     "Demande d'aide pôle ressource", hello, [_sample("fiche-formulaire.pdf")]),
        school_email("École Le Petit Prince <ce.0382790b@ac-grenoble.fr>",
                     "Saisine du pôle", hello, [_sample("fiche-exportee.pdf")]),
        # The same fiche again, as a school does when unsure it was received.
        school_email("École Les Coquelicots <ce.0387281h@ac-grenoble.fr>",
                     "TR: Fiche pôle ressource", "Je vous la renvoie au cas où.", [odt]),
        school_email("Direction Jean Moulin <ce.0383344k@ac-grenoble.fr>",
                     "Demande pour un élève de CP",
                     "Bonjour, nous aimerions l'avis du pôle pour un élève. Merci."),
        school_email("Absence <ce.0381672l@ac-grenoble.fr>",
                     "Réponse automatique : absente jusqu'au 30 novembre",
                     "Je suis absente ; votre message ne sera pas transféré.",
                     Auto_Submitted="auto-replied"),
        school_email("Un parent <parent.inquiet@exemple.invalid>", "Mon fils",
                     "Pouvez-vous aider mon fils ?", [_sample("fiche-exportee.pdf")]),
    ]


def urgent_email() -> EmailMessage:
    """Sent while the worker waits (IDLE): the alert must reach the IEN in seconds."""
    return school_email("Direction Simone Veil <ce.0382257x@ac-grenoble.fr>",
                        "URGENT fiche pôle ressource",
                        "Bonjour, situation urgente, fiche jointe.",
                        [_sample("fiche-tableau.docx")])


@dataclass
class DemoResult:
    """What the demo did, for the command to show."""

    folder: Path
    alert_seconds: float | None
    emails: list[ProcessedMessage] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    sent: list[tuple[list[str], EmailMessage]] = field(default_factory=list)


def prepare(folder: Path) -> None:
    """An empty output folder; a previous demo's folder is replaced, anything else kept."""
    if folder.exists():
        if not (folder / MARKER).exists() and any(folder.iterdir()):
            raise SaisineError(f"demo: {folder} exists and is not a demo folder; "
                               f"give another --output")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, mode=0o700)
    (folder / MARKER).touch()


def demo_settings(base: Settings, folder: Path, imap: EmbeddedImap, sink: MailSink) -> Settings:
    # The pôle meets in three weeks: the acknowledgements give the date.
    # Three weeks on, on a day a pôle meets (a school day, outside the holidays).
    meeting = Meeting(date=first_meeting_day(datetime.now(UTC).date() + timedelta(days=21)))
    return base.model_copy(update=dict(
        imap=imap.server(), smtp=sink.server(), circonscription=CIRCONSCRIPTION,
        storage=Storage(data_dir=folder / "data"), meetings=[meeting], poll_seconds=2,
        flush_seconds=1))


def _wait(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SaisineError(f"demo: {what} did not happen within {timeout:.0f} s")
        time.sleep(0.05)


def run(base: Settings, folder: Path, console: Console) -> DemoResult:
    prepare(folder)
    with EmbeddedImap() as imap, MailSink(folder / "sent") as sink:
        settings = demo_settings(base, folder, imap, sink)
        emails = backlog()
        for email in emails:
            imap.deliver(email.as_bytes())
        console.print(f"Embedded mailbox on 127.0.0.1:{imap.port} holds {len(emails)} emails; "
                      f"mail sink on 127.0.0.1:{sink.port}. Starting the worker…", soft_wrap=True)
        with single_worker(settings.storage.data_dir), services(settings) as svc:
            worker = Worker(svc)
            thread = threading.Thread(target=worker.watch, name="worker", daemon=True)
            thread.start()

            def settled() -> bool:
                with session_scope(svc.engine) as session:
                    unsent = sum(repo.unsent(session).values())
                return imap.count() == 0 and unsent == 0

            try:
                _wait(settled, "the backlog")
                time.sleep(0.5)  # the worker is back in IDLE
                before = len(sink.messages)
                start = time.monotonic()
                imap.deliver(urgent_email().as_bytes())
                alert_to = set(settings.circonscription.alert_to)
                _wait(lambda: any(alert_to & set(rcpt) for rcpt, _ in sink.messages[before:]),
                      "the urgent alert")
                alert_seconds = time.monotonic() - start
                _wait(settled, "the urgent request")
            finally:
                worker.stopping.set()
                thread.join(30)
            with session_scope(svc.engine) as session:
                records = list(reversed(repo.processed(session)))
                requests = repo.list_requests(session)
            sent = list(sink.messages)
    meeting = settings.meetings[0]
    (folder / "saisine.toml").write_text(
        f"# Settings to explore the demo's database (requests, show, agenda preview...).\n"
        f"[[meetings]]\ndate = {meeting.date.isoformat()}\n\n"
        f'[[pole]]\nname = "IEN"\nrole = "IEN"\nemail = "{CIRCONSCRIPTION.alert_to[0]}"\n\n'
        f'[circonscription]\nname = "{CIRCONSCRIPTION.name}"\n\n'
        f'[storage]\ndata_dir = "{(folder / "data").resolve()}"\n', encoding="utf-8")
    return DemoResult(folder, alert_seconds, records, requests, sent)

