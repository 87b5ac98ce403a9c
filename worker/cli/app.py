"""The `saisine` Typer application, its settings callback and its one error wrapper.

Settings are built once here, at the entry point, and passed down (`ctx.obj`). Every
`SaisineError` raised inside `reported()` becomes one line on stderr and exit status 2:
a user never sees a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from sqlalchemy.engine import Engine

from config.errors import SaisineError
from config.settings import Settings, default_settings_file, load_settings

app = typer.Typer(help="Saisine: the pôle ressource's mailbox, read for you.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


def say_error(err: Exception) -> None:
    # Plain print: one line, never wrapped or styled, whatever the terminal.
    print(f"saisine: {err}", file=sys.stderr)


@contextmanager
def reported() -> Iterator[None]:
    """Turn a Saisine error inside into its one line and exit status 2."""
    try:
        yield
    except SaisineError as err:
        say_error(err)
        raise typer.Exit(2) from None


def fail(message: str) -> typer.Exit:
    say_error(SaisineError(message))
    return typer.Exit(2)


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        print(f"saisine {version('saisine')}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[Optional[Path], typer.Option(
        help="Settings file (TOML). Default: ./saisine.toml, else /etc/saisine/saisine.toml, "
             "else the environment alone.")] = None,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    with reported():
        ctx.obj = load_settings(config or default_settings_file())


def engine_of(settings: Settings) -> Engine:
    from storage.db import open_database

    return open_database(settings.storage.url())


def day(value: Optional[str]) -> Optional[date]:
    """A date given on the command line (YYYY-MM-DD)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"date {value!r}: expected YYYY-MM-DD") from None
