"""The `saisine` command line.

Settings are built once here, at the entry point, and passed down. Every
`SaisineError` becomes one line on stderr and a non-zero exit: a user never
sees a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Optional
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from config.errors import SaisineError
from config.settings import Settings, load_settings
from parsers.model import Extraction
from parsers.sandbox import Sandbox

app = typer.Typer(help="Saisine: the pôle ressource's mailbox, read for you.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


def _say_error(err: Exception) -> None:
    # Plain print: one line, never wrapped or styled, whatever the terminal.
    print(f"saisine: {err}", file=sys.stderr)


def _fail(err: Exception) -> typer.Exit:
    _say_error(err)
    return typer.Exit(2)


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[Optional[Path], typer.Option(help="Settings file (TOML).")] = None,
) -> None:
    try:
        ctx.obj = load_settings(config)
    except SaisineError as err:
        raise _fail(err) from None


def _read(path: Path, settings: Settings) -> bytes:
    from config.errors import ExtractionError, RejectedFile

    try:
        size = path.stat().st_size
        if size > settings.limits.max_file_bytes:
            limit = settings.limits.max_file_bytes
            raise RejectedFile(f"{path.name}: {size} bytes (limit {limit})")
        return path.read_bytes()
    except OSError as err:
        raise ExtractionError(f"{path}: cannot read ({err.strerror})") from err


def extract_path(path: Path, box: Sandbox) -> Extraction:
    """Read one fiche from disk in the sandbox."""
    return box.extract(_read(path, box.settings), path.name)


@app.command()
def extract(
    ctx: typer.Context,
    files: Annotated[Optional[list[Path]], typer.Argument(help="Fiches to read.")] = None,
    check: Annotated[Optional[Path], typer.Option(
        help="Measure accuracy on a folder of fiches with NAME.expected.json beside each.")] = None,
    min_accuracy: Annotated[float, typer.Option(
        help="With --check: exit 1 below this field accuracy (0-1).")] = 0.0,
) -> None:
    """Read fiches and print their fields as JSON (one object per line)."""
    settings: Settings = ctx.obj
    if check is not None:
        _check(check, settings, min_accuracy)
        return
    if not files:
        raise _fail(SaisineError("extract: give a FILE, or --check DIR"))
    failed = False
    with Sandbox(settings) as box:
        for path in files:
            try:
                result = extract_path(path, box)
            except SaisineError as err:
                _say_error(err)
                failed = True
                continue
            indent = 2 if len(files) == 1 and sys.stdout.isatty() else None
            print(json.dumps(result.to_json(), ensure_ascii=False, indent=indent))
    if failed:
        raise typer.Exit(2)


def _check(folder: Path, settings: Settings, min_accuracy: float) -> None:
    from parsers.check import score

    if not folder.is_dir():
        raise _fail(SaisineError(f"check: {folder} is not a folder"))
    try:
        with Sandbox(settings) as box:
            result = score(folder, lambda p: extract_path(p, box))
    except SaisineError as err:
        raise _fail(err) from None
    console = Console()
    table = Table("fiche", "method", "wrong fields", title=f"Extraction check: {folder}")
    for fiche in result.fiches:
        wrong = fiche.error or ", ".join(sorted(fiche.wrong)) or "-"
        table.add_row(fiche.file, fiche.method, wrong)
    console.print(table)
    print(
        f"fiches: {len(result.fiches)}  field accuracy: {result.accuracy:.2%} "
        f"({result.fields_right}/{result.fields_total})  urgent detected: "
        f"{result.urgent_total - result.urgent_missed}/{result.urgent_total} "
        f"(urgent scans flagged for review: {result.urgent_scans_flagged}/{result.urgent_scans})  "
        f"false alarms: {result.false_alarms}  review flags missed: "
        f"{result.review_expected_missed}  raised for nothing: "
        f"{result.review_raised_for_nothing}  values invented from scans: "
        f"{result.scan_values_invented}")
    if result.accuracy < min_accuracy:
        raise typer.Exit(1)


class FicheFormat(StrEnum):
    docx = "docx"
    odt = "odt"
    pdf = "pdf"


@app.command()
def fiche(
    format: Annotated[FicheFormat, typer.Option("--format", "-f")] = FicheFormat.docx,
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
) -> None:
    """Write the circonscription's blank fiche, ready to print or fill in."""
    from notify.fiche import write_fiche

    target = output or Path(f"fiche-demande-pole-ressource.{format.value}")
    try:
        target.write_bytes(write_fiche(format.value))
    except OSError as err:
        raise _fail(SaisineError(f"fiche: cannot write {target} ({err.strerror})")) from None
    print(f"wrote {target}", file=sys.stderr)


@app.command()
def run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="One pass that reports what it would do: nothing stored, sent or "
                          "moved. (On SQLite it holds the database's write lock meanwhile.)")
    ] = False,
) -> None:
    """Watch the mailbox: read each email, store requests, send acknowledgements and alerts."""
    import logging

    from worker.progress import BacklogProgress
    from worker.service import one_pass, serve, services, single_worker

    settings: Settings = ctx.obj
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    progress = BacklogProgress(terminal=sys.stderr.isatty())
    try:
        if dry_run:
            _rehearse(settings, progress)
            return
        if not once:
            serve(settings, progress)
            return
        with single_worker(settings.storage.data_dir), services(settings) as svc:
            result = one_pass(svc, progress)
    except SaisineError as err:
        raise _fail(err) from None
    outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(result.outcomes.items())) or "nothing new"
    print(f"emails: {outcomes}; requests: {', '.join(result.references) or '-'}; "
          f"mail sent: {result.sent}, to retry: {result.send_failures}")


def _rehearse(settings: Settings, progress) -> None:
    from worker.service import dry_run

    rehearsal = dry_run(settings, progress)
    table = Table("uid", "from", "subject", "would be", "why", "request",
                  title="Dry run: nothing was stored, sent or moved", title_justify="left")
    for seen in rehearsal.result.emails:
        table.add_row(str(seen.uid), seen.sender, seen.subject[:40], seen.outcome, seen.reason,
                      ", ".join(seen.references))
    Console().print(table)
    outcomes = rehearsal.result.outcomes
    print(f"emails: {', '.join(f'{k}: {v}' for k, v in sorted(outcomes.items())) or 'none'}; "
          f"mail it would send: "
          f"{', '.join(f'{k}: {v}' for k, v in sorted(rehearsal.would_send.items())) or 'none'}")


@app.command()
def doctor(ctx: typer.Context) -> None:
    """Check the settings, database, mailbox, SMTP server and tools; change nothing."""
    from rich.markup import escape

    from worker.doctor import Status, run

    colours = {Status.ok: "green", Status.warning: "yellow", Status.failed: "red"}
    console = Console()
    results = run(ctx.obj)
    for check in results:
        colour = colours[check.status]
        console.print(f"[{colour}]{check.status.value:>7}[/{colour}]  [bold]{check.name}[/bold]: "
                      f"{escape(check.detail)}", soft_wrap=True, highlight=False)
    if any(c.status == Status.failed for c in results):
        raise typer.Exit(1)


def _engine(settings: Settings):
    from storage.db import open_database

    return open_database(settings.storage.url())


@app.command()
def requests(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, for other tools.")] = False,
) -> None:
    """List the requests, newest first."""
    from storage import repo
    from storage.db import session_scope

    settings: Settings = ctx.obj
    try:
        with session_scope(_engine(settings)) as session:
            found = repo.list_requests(session)
    except SaisineError as err:
        raise _fail(err) from None
    if as_json:
        for r in found:
            print(json.dumps({"reference": r.reference, "created_at": r.created_at.isoformat(),
                              "school": r.school_name, "commune": r.school_commune,
                              "urgent": r.urgent, "needs_review": r.needs_review,
                              "status": r.status, "missing": r.missing, "fields": r.fields},
                             ensure_ascii=False))
        return
    Console().print(requests_table(found))


def requests_table(found: list) -> Table:
    table = Table("référence", "reçue le", "école", "commune", "motifs", "urgent", "à relire",
                  title="Requests", title_justify="left")
    for r in found:
        table.add_row(r.reference, f"{r.created_at:%d/%m/%Y %H:%M}", r.school_name or "?",
                      r.school_commune or "?", ", ".join(r.fields.get("motifs") or []),
                      "oui" if r.urgent else "", "oui" if r.needs_review else "")
    return table


@app.command()
def show(ctx: typer.Context, reference: str) -> None:
    """Everything read for one request, and its files."""
    from storage import repo
    from storage.db import session_scope

    settings: Settings = ctx.obj
    try:
        with session_scope(_engine(settings)) as session:
            request = repo.find_request(session, reference.strip().upper())
            if request is None:
                raise SaisineError(f"show: no request {reference}")
            files = repo.files_of(session, request)
    except SaisineError as err:
        raise _fail(err) from None
    console = Console()
    console.print(f"[bold]{request.reference}[/bold]  reçue le {request.created_at:%d/%m/%Y %H:%M}"
                  f"  de {request.sender}  ({request.method})")
    table = Table("champ", "valeur")
    for key, value in request.fields.items():
        if value not in (None, []):
            table.add_row(key, value if isinstance(value, str) else json.dumps(value,
                                                                               ensure_ascii=False))
    console.print(table)
    console.print(f"manque : {', '.join(request.missing) or '-'}   "
                  f"avertissements : {'; '.join(request.warnings) or '-'}")
    for f in files:
        console.print(f"fichier : {f.name} ({f.size} octets) "
                      f"{repo.file_path(settings.storage.data_dir, f.sha256)}")


@app.command()
def quarantine(
    ctx: typer.Context,
    replay: Annotated[Optional[int], typer.Option(
        help="Forget record N so that its email is read again at the next pass "
             "(move the email back to the inbox first).")] = None,
) -> None:
    """Emails set aside for a person (not allowed, unreadable, no fiche), with the reason."""
    from storage import repo
    from storage.db import session_scope

    settings: Settings = ctx.obj
    try:
        with session_scope(_engine(settings)) as session:
            if replay is not None:
                record = repo.forget(session, replay)
                if record is None or record.outcome not in ("quarantined", "no_fiche"):
                    raise SaisineError(f"quarantine: no quarantined record {replay}")
                repo.audit(session, "email.replay", None, f"record {replay}")
                print(f"record {replay} forgotten: move the email back to "
                      f"{settings.folders.inbox} and it will be read again")
                return
            found = repo.quarantined(session)
    except SaisineError as err:
        raise _fail(err) from None
    table = Table("n°", "le", "issue", "raison")
    for m in found:
        table.add_row(str(m.id), f"{m.processed_at:%d/%m/%Y %H:%M}", m.outcome, m.reason or "")
    Console().print(table)


# --- meetings -----------------------------------------------------------------------------

calendar_app = typer.Typer(help="The pôle's meetings: show them, or propose them for a year.",
                           invoke_without_command=True, no_args_is_help=False)
agenda_app = typer.Typer(help="The consolidated agenda of a meeting.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
app.add_typer(agenda_app, name="agenda")


def _day(value: Optional[str]) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(SaisineError(f"date {value!r}: expected YYYY-MM-DD")) from None


@calendar_app.callback()
def calendar(ctx: typer.Context) -> None:
    """The meetings in the settings, with their deadlines and when the agenda goes out."""
    if ctx.invoked_subcommand is not None:
        return
    from config.calendar import recipients
    from worker.meetings import agenda_time, deadline_of

    settings: Settings = ctx.obj
    if not settings.meetings:
        print("no meeting in the settings: add [[meetings]] (saisine calendar suggest "
              "--year 2026-2027 --zone A proposes them)")
        return
    table = Table("réunion", "date limite", "envoi de l'ordre du jour", "destinataires",
                  title="Réunions du pôle ressource", title_justify="left")
    for m in sorted(settings.meetings, key=lambda m: m.date):
        sent_at = agenda_time(m, settings).astimezone(ZoneInfo(settings.agenda.timezone))
        table.add_row(f"{m.date:%d/%m/%Y}", f"{deadline_of(m, settings):%d/%m/%Y}",
                      f"{sent_at:%d/%m/%Y %H:%M}",
                      ", ".join(p.email for p in recipients(m, settings.pole)) or "-")
    Console().print(table)


@calendar_app.command("suggest")
def calendar_suggest(
    ctx: typer.Context,
    year: Annotated[str, typer.Option(help="School year, e.g. 2026-2027.")],
    zone: Annotated[str, typer.Option(help="Holiday zone: A (Grenoble), B or C.")] = "A",
) -> None:
    """Propose one meeting per school period from the official holidays (TOML to paste)."""
    from config.calendar import CalendarError, suggest

    settings: Settings = ctx.obj
    try:
        meetings = suggest(year, zone, settings.meeting_deadline_days)
    except CalendarError as err:
        raise _fail(err) from None
    print(f"# {year}, zone {zone.upper()}: one meeting per period, on its last school day "
          f"(no Wednesday, no public holiday);\n# fiches due "
          f"{settings.meeting_deadline_days} days before. Paste into your settings file.")
    for m in meetings:
        print(f"\n[[meetings]]\ndate = {m.date.isoformat()}\n"
              f"deadline = {m.deadline.isoformat()}")


@agenda_app.command("preview")
def agenda_preview(
    ctx: typer.Context,
    meeting: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD; default: the next.")] = None,
    output: Annotated[Path, typer.Option("--output", "-o")] = Path("."),
) -> None:
    """Write the agenda (DOCX, PDF, HTML) here without sending anything."""
    from notify import agenda as documents
    from storage.db import session_scope
    from worker.meetings import agenda_file_stem, build_agenda, choose

    settings: Settings = ctx.obj
    try:
        chosen = choose(settings, _day(meeting))
        with session_scope(_engine(settings)) as session:
            agenda = build_agenda(session, settings, chosen)
        output.mkdir(parents=True, exist_ok=True)
        stem = output / agenda_file_stem(chosen)
        for suffix, data in ((".docx", documents.to_docx(agenda)),
                             (".pdf", documents.to_pdf(agenda)),
                             (".html", documents.to_html(agenda).encode())):
            stem.with_suffix(suffix).write_bytes(data)
            os.chmod(stem.with_suffix(suffix), 0o600)  # pupils' data
    except SaisineError as err:
        raise _fail(err) from None
    except OSError as err:
        raise _fail(SaisineError(f"agenda: cannot write in {output} ({err.strerror})")) from None
    print(f"{agenda.count} request(s); wrote {stem}.docx, .pdf and .html", file=sys.stderr)


@agenda_app.command("send")
def agenda_send(
    ctx: typer.Context,
    meeting: Annotated[str, typer.Option(help="YYYY-MM-DD")],
) -> None:
    """(Re)send a meeting's agenda now, to its recipients, whatever was sent before."""
    from notify import sender
    from storage import repo
    from storage.db import session_scope
    from storage.models import utcnow
    from worker.meetings import choose, queue_agenda

    settings: Settings = ctx.obj
    try:
        chosen = choose(settings, _day(meeting))
        engine = _engine(settings)
        with session_scope(engine) as session:
            queued = queue_agenda(session, settings, chosen, again=utcnow().isoformat())
            repo.audit(session, "agenda.sent_on_demand", None, f"meeting {chosen.date}")
        sent, failed = sender.flush(engine, settings)
    except SaisineError as err:
        raise _fail(err) from None
    print(f"agenda of {chosen.date}: {queued} queued, {sent} sent, {failed} to retry")


@app.command()
def decide(
    ctx: typer.Context,
    reference: str,
    suite: Annotated[Optional[str], typer.Option(help="What the pôle decided.")] = None,
    referent: Annotated[Optional[str], typer.Option(help="Who follows it up (a role).")] = None,
    close: Annotated[bool, typer.Option("--close", help="Close the request.")] = False,
) -> None:
    """Record the pôle's decision on a request ("suite donnée"), or close it."""
    from storage import repo
    from storage.db import session_scope

    settings: Settings = ctx.obj
    if not (suite or referent or close):
        raise _fail(SaisineError("decide: give --suite, --referent or --close"))
    try:
        with session_scope(_engine(settings)) as session:
            request = repo.decide(session, reference.strip().upper(), suite, referent, close)
            if request is None:
                raise SaisineError(f"decide: no request {reference}")
            repo.audit(session, "request.decided", request.reference, f"status={request.status}")
            status = request.status
    except SaisineError as err:
        raise _fail(err) from None
    print(f"{reference.upper()}: {status}")


@app.command("notify-decision")
def notify_decision(ctx: typer.Context, reference: str) -> None:
    """Send the pôle's decision to the school, in French, threaded with the earlier mail."""
    from notify import sender
    from storage.db import session_scope
    from worker.meetings import queue_decision

    settings: Settings = ctx.obj
    try:
        engine = _engine(settings)
        with session_scope(engine) as session:
            to = queue_decision(session, settings, reference.strip().upper())
        sent, failed = sender.flush(engine, settings)
    except SaisineError as err:
        raise _fail(err) from None
    print(f"decision for {reference.upper()} queued to {to}; mail sent: {sent}, "
          f"to retry: {failed}")


@app.command()
def purge(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
) -> None:
    """Delete the requests, files and mail kept past their time (the worker does it daily)."""
    from worker.retention import purge as run_purge

    settings: Settings = ctx.obj
    try:
        result = run_purge(_engine(settings), settings, date.today(), dry_run=dry_run)
    except SaisineError as err:
        raise _fail(err) from None
    verb = "would delete" if dry_run else "deleted"
    print(f"{verb}: {len(result.references)} request(s) "
          f"({', '.join(result.references) or '-'}), {result.files} file(s), "
          f"{result.mails} mail(s), agendas of {len(result.agendas)} meeting(s)")


@app.command()
def init(
    output: Annotated[Path, typer.Option("--output", "-o")] = Path("saisine.toml"),
) -> None:
    """Write a commented example settings file to start from."""
    if output.exists():
        raise _fail(SaisineError(f"init: {output} exists; not overwritten"))
    example = resources.files("config").joinpath("saisine.example.toml").read_text("utf-8")
    output.write_text(example, encoding="utf-8")
    print(f"wrote {output}: edit it, then set SAISINE_IMAP__PASSWORD and "
          f"SAISINE_SMTP__PASSWORD in the environment", file=sys.stderr)


@app.command()
def demo(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where the demo's database "
                                         "and sent mail are kept.")] = Path("saisine-demo"),
) -> None:
    """Run the real worker on an embedded mailbox with sample school emails; show what it did."""
    import logging

    from worker import demo as embedded

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    console = Console()
    try:
        result = embedded.run(ctx.obj, output, console)
    except SaisineError as err:
        raise _fail(err) from None
    if result.alert_seconds is not None:
        console.print(f"Urgent fiche delivered while the worker waited (IDLE): the IEN's alert "
                      f"reached the SMTP server {result.alert_seconds:.2f} s later.",
                      soft_wrap=True)
    me = sys.argv[0] if Path(sys.argv[0]).name == "saisine" else "saisine"
    console.print(f"Sent mail: {output}/sent/*.eml.  Explore: {me} --config "
                  f"{output}/saisine.toml requests (or show REFERENCE, agenda preview).",
                  soft_wrap=True)


if __name__ == "__main__":
    app()
