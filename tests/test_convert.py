""".doc and .rtf through one LibreOffice kept warm (unoserver), and nothing of it left
behind, whether the parsing child ends, is killed, or the bridge is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from config.settings import Settings
from parsers.sandbox import Sandbox
from tests.conftest import DATA

DOCS = [DATA / "31-doc-table.doc", DATA / "32-doc-para.doc", DATA / "60-hand-tick-rtf.rtf"]


def servers() -> list[str]:
    """The pids of the warm LibreOffice servers Saisine started (their profile's prefix)."""
    done = subprocess.run(["pgrep", "-f", "unoserver.server.*saisine-office-"],
                          capture_output=True, text=True, check=False)
    return done.stdout.split()


def gone(pids: list[str], seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not set(pids) & set(servers()):
            return True
        time.sleep(0.2)
    return False


def test_one_warm_libreoffice_reads_every_old_format_and_ends_with_the_child():
    with Sandbox(Settings()) as box:
        first = box.extract(DOCS[0].read_bytes(), DOCS[0].name)
        started = servers()
        assert len(started) == 1
        others = [box.extract(p.read_bytes(), p.name) for p in DOCS[1:]]
        assert servers() == started  # the same server for every file
    assert first.method == "doc-table" and first.fields["ecole_nom"]
    assert [e.method for e in others] == ["doc-text", "rtf-table"]
    assert gone(started)


def test_a_killed_child_takes_its_libreoffice_with_it():
    box = Sandbox(Settings())
    try:
        box.extract(DOCS[0].read_bytes(), DOCS[0].name)
        started = servers()
        assert started
        os.kill(box._child.pid, signal.SIGKILL)  # what a timeout does to a hung parse
        assert gone(started)
    finally:
        box.close()


def test_without_the_bridge_each_file_starts_libreoffice_cold():
    with Sandbox(Settings(libreoffice_python="")) as box:
        result = box.extract(DOCS[0].read_bytes(), DOCS[0].name)
        assert servers() == []
    assert result.method == "doc-table" and result.fields["ecole_nom"]
