"""Parsing untrusted files in a child process with time and memory limits.

A hostile PDF can make pdfminer loop or allocate without end; in a forked
child under RLIMIT_AS and a wall-clock deadline, that kills only the child and
the caller gets a `LimitExceeded`. The child is forked after the parsers are
imported, so each file costs a fork, not an interpreter start.
"""

from __future__ import annotations

import multiprocessing
import resource
import signal
from multiprocessing.connection import Connection
from typing import Any

from config import errors
from config.errors import ExtractionError, LimitExceeded
from parsers.model import Extraction
from parsers.registry import ParseContext, extract_bytes


def _child(conn: Connection, data: bytes, ctx: ParseContext) -> None:
    limits = ctx.settings.limits
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    cpu = int(limits.timeout_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        result: tuple[str, Any] = ("ok", extract_bytes(data, ctx))
    except ExtractionError as err:
        result = ("error", (type(err).__name__, str(err)))
    except MemoryError:
        result = ("error", ("LimitExceeded", f"{ctx.where}: more than "
                            f"{limits.memory_bytes // 2**20} MiB of memory while parsing"))
    except RecursionError:
        result = ("error", ("RejectedFile", f"{ctx.where}: structure nested too deeply"))
    except Exception as err:  # a library bug on odd input: report it, never a traceback
        result = ("error", ("RejectedFile",
                            f"{ctx.where}: unreadable file ({type(err).__name__}: {err})"[:300]))
    conn.send(result)
    conn.close()


def extract(data: bytes, ctx: ParseContext) -> Extraction:
    """Read one fiche in a sandboxed child; raises an `ExtractionError` on any failure."""
    limits = ctx.settings.limits
    deadline = limits.timeout_seconds + (limits.convert_timeout_seconds
                                         if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
                                         or data.lstrip()[:5] == b"{\\rtf" else 0)
    mp = multiprocessing.get_context("fork")
    receiver, sender = mp.Pipe(duplex=False)
    child = mp.Process(target=_child, args=(sender, data, ctx), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(deadline):
            raise LimitExceeded(f"{ctx.where}: parsing took more than {deadline:.0f} s")
        status, payload = receiver.recv()
    except EOFError as err:
        code = child.exitcode if child.exitcode is not None else child.join(1) or child.exitcode
        reason = "memory" if code in (-signal.SIGKILL, -signal.SIGSEGV) else \
            "CPU time" if code == -signal.SIGXCPU else f"exit {code}"
        raise LimitExceeded(f"{ctx.where}: the parser died ({reason})") from err
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if status == "ok":
        return payload
    name, message = payload
    raise getattr(errors, name, ExtractionError)(message)
