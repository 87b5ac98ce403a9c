"""`saisine doctor`: checks, before the first run, everything the worker will need.

Each check connects as the worker would (same settings, same TLS rules) but
changes nothing: no folder created, no mail sent, no migration run. A failure
says what to change; a warning names what will work less well.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from config.errors import (
    LoginFailed,
    SaisineError,
    TLSFailed,
    Unreachable,
    UntrustedCertificate,
)
from config.settings import Server, Settings


class Status(StrEnum):
    ok = "ok"
    warning = "warning"
    failed = "failed"


@dataclass
class Check:
    name: str
    status: Status
    detail: str


# Advice for the errors people meet first, by the error's type (for an unreachable
# server, by the socket error that says why).
HINTS: tuple[tuple[type[BaseException], str], ...] = (
    (UntrustedCertificate, "the server's certificate is not trusted: for a private CA, "
                           "set ca_file in this server's section"),
    (TLSFailed, "TLS mismatch: try security = \"starttls\" (or \"tls\")"),
    (LoginFailed, "check the username and the password in the environment"),
    (ConnectionRefusedError, "nothing listens there: check host and port"),
    (TimeoutError, "no answer: check host, port and the firewall"),
    (socket.gaierror, "unknown host name: check host"),
)


def _hint(err: SaisineError) -> str:
    cause = err.__cause__ if isinstance(err, Unreachable) else None
    for kind, advice in HINTS:
        if isinstance(err, kind) or isinstance(cause, kind):
            return f"{err} → {advice}"
    return str(err)


def _password(server: Server, section: str) -> Check | None:
    variable = server.missing_password(section)
    if variable:
        return Check(section, Status.failed, f"{variable} is not set in the environment")
    if not server.host:
        return Check(section, Status.failed, f"no host: set [{section}] host in the settings")
    return None


def check_settings(settings: Settings) -> list[Check]:
    circo = settings.circonscription
    checks = [Check("settings", Status.ok, f"{circo.name}; schools from "
                                           f"{', '.join(circo.allowed_domains) or 'nowhere'}; "
                                           f"mail sent as {circo.sender}")]
    if not circo.alert_to:
        checks.append(Check("alerts", Status.warning,
                            "no alert_to: urgent requests will alert nobody"))
    today = date.today()
    if not [m for m in settings.meetings if m.date >= today]:
        checks.append(Check("meetings", Status.warning, "no meeting to come in the calendar: "
                                                        "acknowledgements will give no date"))
    if settings.meetings and not settings.pole:
        checks.append(Check("pole", Status.warning, "no [[pole]] member: agendas will be "
                                                    "built but sent to nobody"))
    if circo.sender.endswith(".invalid"):
        checks.append(Check("sender", Status.failed,
                            "circonscription.sender is still the example address"))
    return checks


def check_imap(settings: Settings) -> Check:
    from ingest.mailbox import Mailbox

    missing = _password(settings.imap, "imap")
    if missing:
        return missing
    box = Mailbox(settings.imap, settings.folders)
    try:
        box.connect(create_folders=False)
        report = box.describe()
    finally:
        box.close()
    folders = settings.folders
    detail = (f"{settings.imap.host}:{settings.imap.port} ({settings.imap.security}), logged in; "
              f"{folders.inbox}: {report.waiting} email(s) waiting")
    notes = []
    if "IDLE" not in report.capabilities:
        notes.append(f"no IDLE: new mail is seen every {settings.poll_seconds} s")
    if "MOVE" not in report.capabilities and "UIDPLUS" not in report.capabilities:
        notes.append("no MOVE nor UIDPLUS: handled mail is flagged, not moved")
    if report.missing_folders:
        detail += f"; will create {', '.join(report.missing_folders)}"
    return Check("imap", Status.warning if notes else Status.ok, "; ".join([detail, *notes]))


def check_smtp(settings: Settings) -> Check:
    from notify.sender import probe

    missing = _password(settings.smtp, "smtp")
    return missing or Check("smtp", Status.ok, probe(settings.smtp))


def check_storage(settings: Settings) -> Check:
    from storage.db import schema_status

    storage = settings.storage
    data_dir = storage.data_dir.resolve()
    if data_dir.exists():
        mode = stat.S_IMODE(data_dir.stat().st_mode)
        if mode & 0o077:
            return Check("storage", Status.failed, f"{data_dir} is readable by others "
                                                   f"({oct(mode)}): chmod 700 it")
        if not os.access(data_dir, os.W_OK):
            return Check("storage", Status.failed, f"{data_dir} is not writable")
    elif not os.access(_existing_parent(data_dir), os.W_OK):
        return Check("storage", Status.failed, f"cannot create {data_dir}")
    if not storage.database_url and not (data_dir / "saisine.db").exists():
        return Check("storage", Status.ok, f"{data_dir}: the database will be created "
                                           f"at the first run")
    url = storage.url()
    current, head = schema_status(url)
    where = url.split("@")[-1] if "@" in url else url.split("///")[-1]
    if current == head:
        return Check("storage", Status.ok, f"{where}: schema up to date ({head})")
    return Check("storage", Status.ok, f"{where}: schema {current or 'empty'} → {head} "
                                       f"at the next run")


def check_tools(settings: Settings) -> list[Check]:
    checks = []
    for tool, purpose in ((settings.libreoffice, ".doc and .rtf fiches"),
                          (settings.tesseract, "scanned fiches")):
        found = shutil.which(tool)
        checks.append(Check(tool, Status.ok if found else Status.warning,
                            found or f"not installed: {purpose} will be set aside for a person"))
    return checks


def _existing_parent(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


CHECKS: list[Callable[[Settings], Check | list[Check]]] = [
    check_settings, check_storage, check_imap, check_smtp, check_tools,
]


def run(settings: Settings) -> list[Check]:
    results: list[Check] = []
    for check in CHECKS:
        name = check.__name__.removeprefix("check_")
        try:
            found = check(settings)
        except SaisineError as err:
            found = Check(name, Status.failed, _hint(err))
        results.extend(found if isinstance(found, list) else [found])
    return results
