"""`saisine extract` and `saisine fiche`: reading fiches, and the blank one."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from config.errors import ExtractionError, RejectedFile, SaisineError
from config.settings import Settings
from parsers.model import Extraction
from parsers.sandbox import Sandbox
from worker.cli.app import app, fail, reported, say_error


def _read(path: Path, settings: Settings) -> bytes:
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
        raise fail("extract: give a FILE, or --check DIR")
    failed = False
    with Sandbox(settings) as box:
        for path in files:
            try:
                result = extract_path(path, box)
            except SaisineError as err:
                say_error(err)  # the next file is still read
                failed = True
                continue
            indent = 2 if len(files) == 1 and sys.stdout.isatty() else None
            print(json.dumps(result.to_json(), ensure_ascii=False, indent=indent))
    if failed:
        raise typer.Exit(2)


def _check(folder: Path, settings: Settings, min_accuracy: float) -> None:
    from parsers.check import score

    if not folder.is_dir():
        raise fail(f"check: {folder} is not a folder")
    with reported(), Sandbox(settings) as box:
        result = score(folder, lambda p: extract_path(p, box))
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
        f"(missed and not flagged for review: {result.urgent_missed_unflagged}) "
        f"(urgent scans flagged for review: {result.urgent_scans_flagged}/{result.urgent_scans})  "
        f"false alarms: {result.false_alarms}  review flags missed: "
        f"{result.review_expected_missed}  raised for nothing: "
        f"{result.review_raised_for_nothing}  wrong and not flagged: "
        f"{result.wrong_not_flagged}  values invented from scans: "
        f"{result.scan_values_invented}")
    if result.accuracy < min_accuracy:
        raise typer.Exit(1)


class FicheFormat(StrEnum):
    docx = "docx"
    odt = "odt"
    pdf = "pdf"


@app.command()
def fiche(
    ctx: typer.Context,
    format: Annotated[FicheFormat, typer.Option("--format", "-f")] = FicheFormat.docx,
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
) -> None:
    """Write the circonscription's blank fiche (its name, its address, its deadline), ready
    to print or fill in."""
    from notify.fiche import heading_for, write_fiche

    settings: Settings = ctx.obj
    circo = settings.circonscription
    target = output or Path(f"fiche-demande-pole-ressource.{format.value}")
    if target.exists() and not force:
        raise fail(f"fiche: {target} exists; --force replaces it")
    heading = heading_for(circo.name, circo.sender, settings.meeting_deadline_days)
    try:
        target.write_bytes(write_fiche(format.value, heading=heading))
    except OSError as err:
        raise fail(f"fiche: cannot write {target} ({err.strerror})") from None
    print(f"wrote {target}", file=sys.stderr)
