"""The bureau's commands: `web` serves it, `user add` creates an account (the first
administrator, or anyone), `correct` changes what was read of a request, as the bureau's
form does."""

from __future__ import annotations

import getpass
import os
import secrets
from typing import Annotated, Optional

import typer

from config.errors import ActionError, SaisineError
from config.settings import Settings
from storage import accounts, repo
from storage.db import session_scope
from storage.models import Role
from worker import actions
from worker.cli.app import app, engine_of, fail, reported

user = typer.Typer(help="Bureau accounts.", no_args_is_help=True)
app.add_typer(user, name="user")


@app.command()
def web(
    ctx: typer.Context,
    host: Annotated[Optional[str], typer.Option(help="Listen on (settings: bureau.host).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (settings: bureau.port).")] = None,
) -> None:
    """Serve the bureau, the web workspace of the secretariat and the IEN."""
    import uvicorn

    from bureau.app import create_app

    settings: Settings = ctx.obj
    with reported():
        application = create_app(settings, engine_of(settings))
    host = host or settings.bureau.host
    port = port or settings.bureau.port
    print(f"Le bureau : http://{host}:{port}/", flush=True)
    uvicorn.run(application, host=host, port=port, log_level="warning",
                proxy_headers=True, server_header=False)


@user.command("add")
def user_add(
    ctx: typer.Context,
    email: str,
    name: Annotated[str, typer.Option(help="Shown in the bureau and its history.")],
    role: Annotated[Role, typer.Option(help="secretariat, ien, pole or admin.")],
) -> None:
    """Create an account. The password comes from SAISINE_NEW_PASSWORD, else is asked for;
    with neither (no terminal), one is generated and printed once."""
    settings: Settings = ctx.obj
    password = os.environ.get("SAISINE_NEW_PASSWORD", "")
    generated = False
    if not password:
        try:
            password = getpass.getpass("Mot de passe : ") if os.isatty(0) else ""
        except (EOFError, OSError):
            password = ""
    if not password:
        password, generated = secrets.token_urlsafe(12), True
    if len(password) < 12:
        raise fail("user add: the password needs at least 12 characters")
    from bureau.auth import new_account

    with reported(), session_scope(engine_of(settings)) as session:
        if accounts.find_account(session, email):
            raise SaisineError(f"user add: {email} already has an account")
        accounts.name_circonscription(session, settings.circonscription.name)
        account = new_account(session, email, name, role, password)
        repo.audit(session, "account.created", None, f"account {account.id}: {role.value}")
    print(f"{email}: compte créé ({role.label})")
    if generated:
        print(f"Mot de passe (à changer, affiché une seule fois) : {password}")


@app.command()
def correct(
    ctx: typer.Context,
    reference: str,
    values: Annotated[list[str], typer.Argument(help="field=value ... (motifs=pap,crise)")],
) -> None:
    """Correct what was read of a request, as the bureau's form does (derived values and
    the review flag follow; an urgency that appears alerts the IEN)."""
    settings: Settings = ctx.obj
    changes: dict[str, object] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise fail(f"correct: {item!r}: expected field=value")
        changes[key.strip()] = value.split(",") if key.strip() == "motifs" else value
    with reported(), session_scope(engine_of(settings)) as session:
        request = repo.find_request(session, reference.strip().upper())
        if request is None:
            raise SaisineError(f"correct: no request {reference}")
        try:
            done = actions.correct(session, settings, request, changes, "command line")
        except ActionError as err:
            raise SaisineError(f"correct: {err}") from err
    print(f"{reference}: {', '.join(done.changed) or 'nothing changed'}"
          f"{'; the IEN is alerted' if done.alerted else ''}"
          f"{'; still to check: ' + ', '.join(done.still_to_check) if done.still_to_check else ''}")
