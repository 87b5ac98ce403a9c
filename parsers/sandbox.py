"""Parsing untrusted files in a child process with time and memory limits.

A hostile PDF can make pdfminer loop or allocate without end. Parsing runs in
a child process under RLIMIT_AS, and the parent waits for each file only until
its deadline: a file that hangs or bombs kills the child, never the caller,
who gets a `LimitExceeded` and carries on with the next file.

The child is forked once and reused: a fresh fork per file costs more than the
parse itself (every object the parser touches dirties a copy-on-write page),
while a warm child reads a DOCX at in-process speed. It is replaced after a
failure and recycled every `RECYCLE_AFTER` files so nothing accumulates.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import resource
import signal
from multiprocessing.connection import Connection
from typing import Any

from config import errors
from config.errors import ExtractionError, LimitExceeded
from config.settings import Settings
from parsers import convert
from parsers.model import Extraction
from parsers.registry import CONVERTED, ParseContext, extract_bytes, sniff

RECYCLE_AFTER = 500

def _run(data: bytes, ctx: ParseContext) -> tuple[str, Any]:
    limits = ctx.settings.limits
    try:
        return "ok", extract_bytes(data, ctx)
    except ExtractionError as err:
        return "error", (type(err).__name__, str(err))
    except MemoryError:
        return "error", ("LimitExceeded", f"{ctx.where}: more than "
                         f"{limits.memory_bytes // 2**20} MiB of memory while parsing")
    except RecursionError:
        return "error", ("RejectedFile", f"{ctx.where}: structure nested too deeply")
    except Exception as err:  # a library bug on odd input: report it, never a traceback
        return "error", ("RejectedFile",
                         f"{ctx.where}: unreadable file ({type(err).__name__}: {err})"[:300])


def _die_with_parent(parent: int) -> None:
    """A parent killed with SIGKILL must not leave its parsing child behind (holding the
    worker's lock and the pipe): ask Linux to kill the child when the parent dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the closed pipe still ends the child
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)


def _serve(conn: Connection, parent_end: Connection, parent: int, settings: Settings) -> None:
    # The fork gave us the parent's end of the pipe too: without closing it, we would never
    # see the pipe close when the parent dies.
    parent_end.close()
    _die_with_parent(parent)
    memory = settings.limits.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # The parent owns Ctrl-C; the child just dies with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        while True:
            try:
                request = conn.recv()
            except (EOFError, OSError):
                return
            if request is None:
                return
            data, filename = request
            conn.send(_run(data, ParseContext(filename, settings)))
    finally:
        convert.close_warm()  # the warm LibreOffice ends with the child that started it


class Sandbox:
    """A parsing child kept warm across files. Use as a context manager."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._child: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._served = 0

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> Connection:
        mp = multiprocessing.get_context("fork")
        parent_end, child_end = mp.Pipe()
        self._child = mp.Process(target=_serve,
                                 args=(child_end, parent_end, os.getpid(), self.settings),
                                 daemon=True, name="saisine-parser")
        self._child.start()
        child_end.close()
        self._conn = parent_end
        self._served = 0
        return parent_end

    def _stop(self, kill: bool) -> None:
        if self._conn is not None:
            if not kill:
                with contextlib.suppress(OSError):
                    self._conn.send(None)
            self._conn.close()
        if self._child is not None:
            if kill and self._child.is_alive():
                self._child.kill()
            self._child.join(5)
            if self._child.is_alive():
                self._child.kill()
                self._child.join()
        self._child, self._conn = None, None

    def close(self) -> None:
        self._stop(kill=False)

    def extract(self, data: bytes, filename: str) -> Extraction:
        """Read one fiche; any failure, the child's death included, is an `ExtractionError`."""
        ctx = ParseContext(filename, self.settings)
        limits = self.settings.limits
        deadline = limits.timeout_seconds
        if sniff(data) in CONVERTED:
            deadline += limits.convert_timeout_seconds
        if self._conn is None or self._served >= RECYCLE_AFTER:
            self._stop(kill=False)
            self._start()
        conn = self._conn
        assert conn is not None and self._child is not None
        self._served += 1
        try:
            conn.send((data, filename))
            if not conn.poll(deadline):
                self._stop(kill=True)
                raise LimitExceeded(f"{ctx.where}: parsing took more than {deadline:.0f} s")
            status, payload = conn.recv()
        except (EOFError, OSError) as err:
            child = self._child
            child.join(1)
            code = child.exitcode
            self._stop(kill=True)
            reason = "out of memory" if code in (-signal.SIGKILL, -signal.SIGSEGV) else \
                f"exit {code}"
            raise LimitExceeded(f"{ctx.where}: the parser died ({reason})") from err
        if status == "ok":
            return payload
        name, message = payload
        if name == "LimitExceeded":
            # A MemoryError may leave the child's heap fragmented: start afresh.
            self._stop(kill=True)
        raise getattr(errors, name, ExtractionError)(message)


def extract(data: bytes, ctx: ParseContext) -> Extraction:
    """Read one fiche in a sandbox of its own (for one-off calls)."""
    with Sandbox(ctx.settings) as box:
        return box.extract(data, ctx.filename)
