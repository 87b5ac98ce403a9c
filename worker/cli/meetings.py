"""The pôle's meetings: `saisine calendar` (and `calendar suggest`), `saisine agenda
preview` and `agenda send`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from config.errors import SaisineError
from config.settings import Settings
from worker.cli.app import app, day, engine_of, reported

calendar_app = typer.Typer(help="The pôle's meetings: show them, or propose them for a year.",
                           invoke_without_command=True, no_args_is_help=False)
agenda_app = typer.Typer(help="The consolidated agenda of a meeting.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
app.add_typer(agenda_app, name="agenda")


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
    from config.calendar import suggest

    settings: Settings = ctx.obj
    with reported():
        meetings = suggest(year, zone, settings.meeting_deadline_days)
    print(f"# {year}, zone {zone.upper()}: one meeting per period, on its last school day "
          f"(no Wednesday, no public holiday);\n# fiches due "
          f"{settings.meeting_deadline_days} days before. Paste into your settings file.")
    for m in meetings:
        print(f"\n[[meetings]]\ndate = {m.date.isoformat()}\n"
              f"deadline = {m.deadline_with(settings.meeting_deadline_days).isoformat()}")


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
    with reported():
        chosen = choose(settings, day(meeting))
        with session_scope(engine_of(settings)) as session:
            agenda = build_agenda(session, settings, chosen)
        stem = output / agenda_file_stem(chosen)
        try:
            output.mkdir(parents=True, exist_ok=True)
            for suffix, data in ((".docx", documents.to_docx(agenda)),
                                 (".pdf", documents.to_pdf(agenda)),
                                 (".html", documents.to_html(agenda).encode())):
                stem.with_suffix(suffix).write_bytes(data)
                os.chmod(stem.with_suffix(suffix), 0o600)  # pupils' data
        except OSError as err:
            raise SaisineError(f"agenda: cannot write in {output} ({err.strerror})") from err
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
    with reported():
        chosen = choose(settings, day(meeting))
        engine = engine_of(settings)
        with session_scope(engine) as session:
            queued = queue_agenda(session, settings, chosen, again=utcnow().isoformat())
            repo.audit(session, "agenda.sent_on_demand", None, f"meeting {chosen.date}")
        sent, failed = sender.flush(engine, settings)
    print(f"agenda of {chosen.date}: {queued} queued, {sent} sent, {failed} to retry")
