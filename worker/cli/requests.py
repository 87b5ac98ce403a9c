"""The secretariat's commands: `requests`, `show`, `quarantine`, `decide`,
`notify-decision` and `purge`."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from config.errors import SaisineError
from config.settings import Settings
from storage import repo
from storage.db import session_scope
from storage.models import Direction, Outcome
from worker.cli.app import app, engine_of, reported
from worker.cli.tables import requests_table


@app.command()
def requests(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, for other tools.")] = False,
) -> None:
    """List the requests, newest first."""
    settings: Settings = ctx.obj
    with reported(), session_scope(engine_of(settings)) as session:
        found = repo.list_requests(session)
    if as_json:
        for r in found:
            print(json.dumps({"reference": r.reference, "created_at": r.created_at.isoformat(),
                              "school": r.school_name, "commune": r.school_commune,
                              "urgent": r.urgent, "needs_review": r.needs_review,
                              "status": r.status, "missing": r.missing, "fields": r.fields},
                             ensure_ascii=False))
        return
    Console().print(requests_table(found))


@app.command()
def show(ctx: typer.Context, reference: str) -> None:
    """Everything read for one request, and its files."""
    settings: Settings = ctx.obj
    with reported(), session_scope(engine_of(settings)) as session:
        request = repo.find_request(session, reference.strip().upper())
        if request is None:
            raise SaisineError(f"show: no request {reference}")
        files = repo.files_of(session, request)
        exchanges = repo.conversation(session, request)
    console = Console()
    console.print(f"[bold]{request.reference}[/bold]  reçue le {request.created_at:%d/%m/%Y %H:%M}"
                  f"  de {request.sender}  ({request.method})")
    table = Table("champ", "valeur")
    for key, value in request.fields.items():
        if value not in (None, []):
            table.add_row(key, value if isinstance(value, str)
                          else json.dumps(value, ensure_ascii=False))
    console.print(table)
    console.print(f"manque : {', '.join(request.missing) or '-'}   "
                  f"avertissements : {'; '.join(request.warnings) or '-'}")
    for f in files:
        console.print(f"fichier : {f.name} ({f.size} octets) "
                      f"{repo.file_path(settings.storage.data_dir, f.sha256)}")
    for earlier in request.history:
        follow = f" — suivi : {earlier['referent']}" if earlier.get("referent") else ""
        console.print(f"décision antérieure ({earlier['at'][:10]}, {earlier['status']}) : "
                      f"{earlier.get('decision') or '-'}{follow}", highlight=False, markup=False)
    names = {f.sha256: f.name for f in files}
    if exchanges:
        console.print("[bold]échanges[/bold]")
    for message, mail in exchanges:
        arrow = "reçu de" if message.direction == Direction.IN else "envoyé à"
        body = mail.body_text if mail is not None else message.body
        attached = ", ".join(names.get(sha, "?") for sha in message.files)
        console.print(f"{message.at:%d/%m/%Y %H:%M}  {arrow} {message.correspondent} : "
                      f"{message.subject}{f'  [pièces : {attached}]' if attached else ''}",
                      highlight=False, markup=False)
        for line in body.strip().splitlines()[:12]:
            console.print(f"    {line}", highlight=False, markup=False)


@app.command()
def quarantine(
    ctx: typer.Context,
    replay: Annotated[Optional[int], typer.Option(
        help="Forget record N so that its email is read again at the next pass "
             "(move the email back to the inbox first).")] = None,
) -> None:
    """Emails set aside for a person (not allowed, unreadable, no fiche), with the reason."""
    settings: Settings = ctx.obj
    with reported(), session_scope(engine_of(settings)) as session:
        if replay is not None:
            record = repo.forget(session, replay)
            if record is None or not Outcome(record.outcome).quarantined:
                raise SaisineError(f"quarantine: no quarantined record {replay}")
            repo.audit(session, "email.replay", None, f"record {replay}")
            print(f"record {replay} forgotten: move the email back to "
                  f"{settings.folders.inbox} and it will be read again")
            return
        found = repo.quarantined(session)
    table = Table("n°", "le", "issue", "raison")
    for m in found:
        table.add_row(str(m.id), f"{m.processed_at:%d/%m/%Y %H:%M}", m.outcome, m.reason or "")
    Console().print(table)


@app.command()
def decide(
    ctx: typer.Context,
    reference: str,
    suite: Annotated[Optional[str], typer.Option(help="What the pôle decided.")] = None,
    referent: Annotated[Optional[str], typer.Option(
        help="Who follows it up: a pôle member's name, role or address.")] = None,
    close: Annotated[bool, typer.Option("--close", help="Close the request.")] = False,
) -> None:
    """Record the pôle's decision on a request ("suite donnée"), or close it."""
    from worker import actions

    settings: Settings = ctx.obj
    with reported(), session_scope(engine_of(settings)) as session:
        request = repo.find_request(session, reference.strip().upper())
        if request is None:
            raise SaisineError(f"decide: no request {reference}")
        actions.decide(session, settings, request, suite, referent, close, "command line")
        status = request.status
    print(f"{reference.upper()}: {status}")


@app.command("notify-decision")
def notify_decision(ctx: typer.Context, reference: str) -> None:
    """Send the pôle's decision to the school, in French, threaded with the earlier mail."""
    from notify import sender
    from worker.meetings import queue_decision

    settings: Settings = ctx.obj
    with reported():
        engine = engine_of(settings)
        with session_scope(engine) as session:
            to, queued = queue_decision(session, settings, reference.strip().upper())
        sent, failed = sender.flush(engine, settings)
    if not queued:
        print(f"{reference.upper()}: this decision was already sent to {to}; nothing sent "
              f"(decide again to send a new one)")
    elif failed and not sent:
        print(f"{reference.upper()}: decision queued to {to} but NOT sent yet (the mail "
              f"server did not take it); the worker will retry")
    else:
        print(f"decision for {reference.upper()} sent to {to}; mail sent: {sent}, "
              f"to retry: {failed}")


@app.command()
def purge(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
) -> None:
    """Delete the requests, files and mail kept past their time (the worker does it daily)."""
    from worker.retention import purge as run_purge

    settings: Settings = ctx.obj
    with reported():
        result = run_purge(engine_of(settings), settings, date.today(), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    print(f"{verb}: {len(result.references)} request(s) "
          f"({', '.join(result.references) or '-'}), {result.files} file(s), "
          f"{result.mails} mail(s), agendas of {len(result.agendas)} meeting(s)")
