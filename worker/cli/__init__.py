"""The `saisine` command line: one module per group of commands, all on one Typer app.

`fiches` reads and writes fiches; `service` runs and checks the worker; `requests`
is the secretariat's (requests, quarantine, decisions, retention); `meetings` the
calendar and agendas. Each command calls the same operations the worker does.
"""

from worker.cli import bureau, fiches, meetings, requests, service  # noqa: F401  (they register)
from worker.cli.app import app

__all__ = ["app"]
