"""`saisine run`, `doctor`, `init` and `demo`: running the worker, checking what it needs,
starting from an example, and seeing it work on an embedded mailbox."""

from __future__ import annotations

import logging
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from config.settings import Settings, load_settings
from storage.db import session_scope
from worker.cli.app import app, engine_of, fail, reported
from worker.cli.tables import requests_table
from worker.progress import BacklogProgress


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
    from worker.service import one_pass, serve, services, single_worker

    settings: Settings = ctx.obj
    log_events()
    progress = BacklogProgress(terminal=sys.stderr.isatty())
    missing = [v for v in (settings.imap.missing_password("imap"),
                           settings.smtp.missing_password("smtp")) if v]
    if missing:
        # Said before any connection, as doctor says it, not as a server's login refusal.
        raise fail(f"run: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not "
                   f"set in the environment (the passwords never go in the settings file)")
    with reported():
        if dry_run:
            _rehearse(settings, progress)
            return
        if not once:
            serve(settings, progress)
            return
        with single_worker(settings.storage.data_dir), services(settings) as svc:
            result = one_pass(svc, progress)
    outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(result.outcomes.items())) or "nothing new"
    print(f"emails: {outcomes}; requests: {', '.join(result.references) or '-'}; "
          f"mail sent: {result.sent}, to retry: {result.send_failures}")


def log_events() -> None:
    """One line per event at INFO; the scheduler's every wake-up ("Running job…", two lines
    a minute) only when it goes wrong."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _rehearse(settings: Settings, progress: BacklogProgress) -> None:
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


@app.command()
def init(
    output: Annotated[Path, typer.Option("--output", "-o")] = Path("saisine.toml"),
) -> None:
    """Write a commented example settings file to start from."""
    if output.exists():
        raise fail(f"init: {output} exists; not overwritten")
    example = resources.files("config").joinpath("saisine.example.toml").read_text("utf-8")
    output.write_text(example, encoding="utf-8")
    print(f"wrote {output}: edit it, then set SAISINE_IMAP__PASSWORD and "
          f"SAISINE_SMTP__PASSWORD in the environment", file=sys.stderr)


@app.command()
def demo(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where the demo's database "
                                         "and sent mail are kept.")] = Path("saisine-demo"),
    web: Annotated[bool, typer.Option("--web", help="Then serve the bureau on the demo's "
                                      "data, with demo accounts, until Ctrl-C.")] = False,
    port: Annotated[int, typer.Option(help="The bureau's port, with --web.")] = 8000,
) -> None:
    """Run the real worker on an embedded mailbox with sample school emails; show what it did
    (and, with --web, the bureau on what it read)."""
    from demo import run as embedded

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    console = Console()
    with reported():
        result = embedded.run(ctx.obj, output, console)
    references = {r.id: r.reference for r in result.requests}
    emails = Table("n°", "outcome", "reason", "request", title="Emails read",
                   title_justify="left")
    for m in result.emails:
        emails.add_row(str(m.id), m.outcome, m.reason or "",
                       references.get(m.request_id, "") if m.request_id else "")
    console.print(emails)
    console.print(requests_table(result.requests))
    sent = Table("to", "subject", "Auto-Submitted", title="Mail sent (to the SMTP sink)",
                 title_justify="left")
    for recipients, message in result.sent:
        sent.add_row(", ".join(recipients), str(message["Subject"]),
                     str(message["Auto-Submitted"]))
    console.print(sent)
    if result.alert_seconds is not None:
        console.print(f"Urgent fiche delivered while the worker waited (IDLE): the IEN's alert "
                      f"reached the SMTP server {result.alert_seconds:.2f} s later.",
                      soft_wrap=True)
    me = sys.argv[0] if Path(sys.argv[0]).name == "saisine" else "saisine"
    console.print(f"Sent mail: {output}/sent/*.eml.  Explore: {me} --config "
                  f"{output}/saisine.toml requests (or show REFERENCE, agenda preview).",
                  soft_wrap=True)
    if web:
        _serve_demo(output, port, console)


def _serve_demo(output: Path, port: int, console: Console) -> None:
    """The bureau on the demo's database, with one account per role (demo passwords)."""
    import uvicorn

    from bureau.app import create_app
    from bureau.auth import new_account
    from storage import accounts
    from storage.models import Role

    with reported():
        settings = load_settings(output / "saisine.toml")
        engine = engine_of(settings)
        people = [("secretariat@demo.invalid", "Agnès Martin", Role.SECRETARIAT),
                  ("ien@demo.invalid", "Paul Durand", Role.IEN),
                  ("admin@demo.invalid", "Sophie Bernard", Role.ADMIN)]
        with session_scope(engine) as session:
            for email, name, role in people:
                if accounts.find_account(session, email) is None:
                    new_account(session, email, name, role, DEMO_PASSWORD)
        application = create_app(settings, engine)
    console.print(f"\nLe bureau : http://127.0.0.1:{port}/  —  connexion : "
                  f"secretariat@demo.invalid (or ien@, admin@) / {DEMO_PASSWORD}\n"
                  f"Ctrl-C to stop.", soft_wrap=True)
    uvicorn.run(application, host="127.0.0.1", port=port, log_level="warning",
                server_header=False)


# The demo's accounts only (a demo database, on loopback): never a real deployment's.
DEMO_PASSWORD = "demo-pole-ressource"
