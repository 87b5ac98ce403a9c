"""Progress through a pass: silent for the usual handful of emails; on a large backlog
(a first run on a mailbox that filled for months), a bar on a terminal, otherwise a
log line now and then so that a service log shows the worker is moving."""

from __future__ import annotations

import logging
import time

from rich.progress import Progress as Bar
from rich.progress import TaskID

log = logging.getLogger("saisine.worker")


class Progress:
    """Says nothing; `run_once` calls these for every pass."""

    def start(self, total: int) -> None:
        pass

    def advance(self) -> None:
        pass

    def finish(self) -> None:
        pass


class BacklogProgress(Progress):
    def __init__(self, terminal: bool, at_least: int = 20, every_seconds: float = 30.0) -> None:
        self.terminal = terminal
        self.at_least = at_least
        self.every_seconds = every_seconds
        self.total = self.done = 0
        self.bar: Bar | None = None
        self.task: TaskID | None = None
        self.started = self.last_line = 0.0

    def start(self, total: int) -> None:
        self.total, self.done = total, 0
        if total < self.at_least:
            self.total = 0  # a usual pass: nothing to show
            return
        self.started = self.last_line = time.monotonic()
        if self.terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn

            self.bar = Bar("emails", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                           transient=True)
            self.bar.start()
            self.task = self.bar.add_task("emails", total=total)
        else:
            log.info("backlog: %d emails to read", total)

    def advance(self) -> None:
        if not self.total:
            return
        self.done += 1
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task)
        elif time.monotonic() - self.last_line >= self.every_seconds:
            self.last_line = time.monotonic()
            log.info("backlog: %d/%d emails read", self.done, self.total)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
        if self.total:
            log.info("backlog: %d emails read in %.0f s", self.done,
                     time.monotonic() - self.started)
