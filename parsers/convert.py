"""Old formats (Word 97 .doc, RTF) read through LibreOffice, converted to DOCX; and any
word-processor fiche converted to PDF, for the bureau to show it as the school sent it.

A cold LibreOffice costs its start-up on every file (about a second). A process that
converts more than once keeps one warm instead: `unoserver` (LibreOffice listening on
loopback, driven over XML-RPC), started on first use with a throw-away profile and
ports of its own, restarted when it dies. It exits by itself when a conversion runs
past the limit and after `RECYCLE_AFTER` files, so a hostile file costs a restart and
nothing accumulates. It needs LibreOffice's Python bridge (Debian: python3-uno); without
it, each file starts LibreOffice cold under a timeout of its own, as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import xmlrpc.client
from pathlib import Path

from config.errors import LimitExceeded, MissingTool, RejectedFile

log = logging.getLogger(__name__)

RECYCLE_AFTER = 200
START_SECONDS = 60.0
_FILTERS = {"docx": "MS Word 2007 XML", "pdf": "writer_pdf_Export"}


def to_docx(data: bytes, suffix: str, soffice: str, timeout: float, where: str,
            office_python: str | None = None) -> bytes:
    return _convert(data, suffix, "docx", soffice, timeout, where, office_python)


def to_pdf(data: bytes, suffix: str, soffice: str, timeout: float, where: str,
           office_python: str | None = None) -> bytes:
    return _convert(data, suffix, "pdf", soffice, timeout, where, office_python)


def _convert(data: bytes, suffix: str, target: str, soffice: str, timeout: float, where: str,
             office_python: str | None) -> bytes:
    exe = shutil.which(soffice)
    if exe is None:
        raise MissingTool(
            f"{where}: reading {suffix} files needs LibreOffice "
            "(Debian: apt-get install libreoffice-writer-nogui)")
    warm = _warm(exe, office_python, timeout) if office_python else None
    if warm is not None:
        return warm.convert(data, suffix, target, where)
    return _cold(data, suffix, target, exe, timeout, where)


def _cold(data: bytes, suffix: str, target: str, exe: str, timeout: float, where: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="saisine-lo-") as tmp:
        source = Path(tmp, "fiche" + suffix)
        source.write_bytes(data)
        profile = Path(tmp, "profile").as_uri()
        cmd = [exe, f"-env:UserInstallation={profile}", "--headless", "--norestore",
               "--convert-to", f"{target}:{_FILTERS[target]}", "--outdir", tmp, str(source)]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout, check=False,
                           env={**os.environ, "HOME": tmp}, start_new_session=True)
        except subprocess.TimeoutExpired as err:
            raise LimitExceeded(f"{where}: LibreOffice took more than {timeout:.0f} s") from err
        out = Path(tmp, f"fiche.{target}")
        if not out.exists():
            raise RejectedFile(f"{where}: LibreOffice could not read this {suffix} file")
        return out.read_bytes()


# --- one LibreOffice kept warm --------------------------------------------------------

_WARM: dict[tuple[str, str, float], WarmOffice | None] = {}


def _warm(exe: str, office_python: str, timeout: float) -> WarmOffice | None:
    """This process's warm LibreOffice, or None where it cannot run (no python3-uno)."""
    key = (exe, office_python, timeout)
    if key not in _WARM:
        _WARM[key] = WarmOffice(exe, office_python, timeout) if _has_uno(office_python) else None
        if _WARM[key] is None:
            log.info("LibreOffice's Python bridge is missing (Debian: apt-get install "
                     "python3-uno): each .doc starts LibreOffice cold")
    return _WARM[key]


def close_warm() -> None:
    """Stop this process's warm LibreOffice (the parsing child calls it as it ends)."""
    for office in _WARM.values():
        if office is not None:
            office.close()
    _WARM.clear()


def _has_uno(office_python: str) -> bool:
    exe = shutil.which(office_python)
    if exe is None:
        return False
    try:
        import unoserver  # noqa: F401  (the client half; the server half runs in office_python)
    except ImportError:
        return False
    done = subprocess.run([exe, "-c", "import uno"], capture_output=True, check=False,
                          timeout=30)
    return done.returncode == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """In the server's process: a SIGTERM when the process that started it dies (unoserver
    passes it on to LibreOffice), so a killed worker leaves no LibreOffice behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class WarmOffice:
    """One unoserver and its LibreOffice, on loopback ports of their own."""

    def __init__(self, soffice: str, office_python: str, timeout: float) -> None:
        self.soffice = soffice
        self.office_python = office_python
        self.timeout = timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.tmp: tempfile.TemporaryDirectory[str] | None = None
        self.port = 0

    def convert(self, data: bytes, suffix: str, target: str, where: str) -> bytes:
        from unoserver.client import UnoClient

        self._ensure(where)
        client = UnoClient("127.0.0.1", str(self.port))
        started = time.monotonic()
        try:
            result = client.convert(indata=data, convert_to=target,
                                    filtername=_FILTERS[target])
        except (OSError, xmlrpc.client.Error, RuntimeError) as err:
            # LibreOffice died on this file or ran past the limit: the server is gone.
            self.stop()
            if time.monotonic() - started >= self.timeout:
                raise LimitExceeded(
                    f"{where}: LibreOffice took more than {self.timeout:.0f} s") from err
            raise RejectedFile(f"{where}: LibreOffice could not read this {suffix} file") \
                from err
        if not result:
            raise RejectedFile(f"{where}: LibreOffice could not read this {suffix} file")
        return bytes(result.data if isinstance(result, xmlrpc.client.Binary) else result)

    def _ensure(self, where: str) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        self.stop()
        if self.tmp is None:
            # The profile outlives a restart: LibreOffice writes a new one in seconds.
            self.tmp = tempfile.TemporaryDirectory(prefix="saisine-office-")
            # unoserver is pure Python: the office's interpreter imports it from here alone.
            import unoserver

            package = Path(unoserver.__file__).parent
            (Path(self.tmp.name) / "lib").mkdir()
            for part in [package, *package.parent.glob("unoserver-*.dist-info")]:
                # with its metadata, which tells its version
                (Path(self.tmp.name) / "lib" / part.name).symlink_to(part)
        home = Path(self.tmp.name)
        self.port, uno_port = _free_port(), _free_port()
        cmd = [self.office_python, "-m", "unoserver.server", "--port", str(self.port),
               "--uno-port", str(uno_port), "--executable", self.soffice,
               "--user-installation", str(home / "profile"),
               "--conversion-timeout", str(max(1, int(self.timeout))),
               "--stop-after", str(RECYCLE_AFTER), "--temp-dir", str(home), "--quiet"]
        env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(home / "lib")}
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + START_SECONDS
        proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self.port}")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                proxy.info()
                return
            except (OSError, xmlrpc.client.Error):
                time.sleep(0.1)
        self.stop()
        raise MissingTool(f"{where}: LibreOffice did not start (unoserver)")

    def close(self) -> None:
        self.stop()
        if self.tmp is not None:
            self.tmp.cleanup()
            self.tmp = None

    def stop(self) -> None:
        if self.proc is not None:
            # The server shuts LibreOffice down on SIGTERM (signalling the whole group
            # at once leaves LibreOffice's launcher waiting on a dead office).
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
            # LibreOffice's launcher may outlive the server: nothing of the group stays.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None
