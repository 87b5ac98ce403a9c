"""Hostile and broken files: each is refused with one clear sentence, inside the limits.

Every case goes through the real sandbox (a forked child under rlimits), as
`saisine extract` and the worker do.
"""

from __future__ import annotations

import time

import pytest

from config.errors import LimitExceeded, RejectedFile, UnsupportedFile
from config.settings import ExtractionLimits, Settings
from parsers import sandbox
from parsers.registry import ParseContext
from parsers.sandbox import Sandbox
from tests import hostile


def run(data: bytes, settings: Settings | None = None, name: str = "piece.bin"):
    return sandbox.extract(data, ParseContext(name, settings or Settings()))


def limited(**limits) -> Settings:
    return Settings(limits=ExtractionLimits(**limits))


@pytest.mark.parametrize("data,message", [
    (hostile.docx_with_document_xml(hostile.XXE), "DOCTYPE"),
    (hostile.odt_with_content(hostile.BILLION_LAUGHS), "DOCTYPE"),
    (hostile.zip_bomb_docx(), "zip bomb"),
    (hostile.many_entries_docx(), "zip entries"),
    (hostile.encrypted_entry_docx(), "encrypted"),
    (hostile.password_protected_office(), "password-protected"),
    (hostile.docx_with_document_xml(b"<w:document><unclosed>"), "not a readable Word document"),
    (b"%PDF-1.7\n" + b"\x00garbage" * 100, "PDF"),
    (hostile.png_bomb(), "decompression bomb"),
])
def test_hostile_containers_are_rejected(data, message):
    with pytest.raises(RejectedFile, match=message) as err:
        run(data)
    assert "\n" not in str(err.value) and str(err.value).startswith("piece.bin:")


def test_not_a_fiche_at_all():
    with pytest.raises(UnsupportedFile, match="not a DOCX, ODT, DOC, RTF, PDF or image"):
        run(b"Bonjour, voici la fiche.\n")


def test_size_limit_checked_before_parsing():
    with pytest.raises(RejectedFile, match="limit 1000"):
        run(b"%PDF-" + b" " * 5000, limited(max_file_bytes=1000))


def test_page_limit():
    with pytest.raises(RejectedFile, match="40 pages"):
        run(hostile.pdf_many_pages(40))


def test_slow_parse_is_stopped_at_the_deadline():
    data = hostile.pdf_many_pages(28)
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match="more than 0 s|CPU time"):
        run(data, limited(timeout_seconds=0.3))
    assert time.monotonic() - started < 3


def test_compression_bomb_pdf_hits_the_memory_limit():
    started = time.monotonic()
    with pytest.raises((LimitExceeded, RejectedFile)) as err:
        run(hostile.pdf_compression_bomb(600), limited(memory_bytes=400 * 2**20))
    assert "MiB of memory" in str(err.value) or "parser died" in str(err.value)
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("data", [hostile.pdf_deeply_nested(), hostile.pdf_circular_pages()])
def test_broken_pdf_structures_do_not_hang_or_crash(data):
    started = time.monotonic()
    try:
        result = run(data)
    except (RejectedFile, LimitExceeded) as err:
        assert "\n" not in str(err)
    else:
        assert result.needs_review  # nothing read: a person must look
    assert time.monotonic() - started < 35


def test_one_sandbox_survives_bombs_and_hangs_and_goes_on():
    """The worker's case: one warm parsing child, killed and replaced as needed."""
    from notify.fiche import write_fiche

    fiche = write_fiche("docx", {"ecole_commune": "Vif"})
    with Sandbox(limited(memory_bytes=400 * 2**20, timeout_seconds=0.3)) as box:
        assert box.extract(fiche, "a.docx").fields["ecole_commune"] == "Vif"
        with pytest.raises((LimitExceeded, RejectedFile)):
            box.extract(hostile.pdf_compression_bomb(600), "bomb.pdf")
        assert box.extract(fiche, "b.docx").fields["ecole_commune"] == "Vif"
        with pytest.raises(LimitExceeded, match="more than"):
            box.extract(hostile.pdf_many_pages(28), "slow.pdf")
        assert box.extract(fiche, "c.docx").fields["ecole_commune"] == "Vif"


def test_control_characters_in_file_names_never_reach_messages():
    with pytest.raises(UnsupportedFile) as err:
        run(b"nothing", name="../../etc/\x1b[31mpasswd\r\nX-Injected: 1")
    message = str(err.value)
    assert "\x1b" not in message and "\r" not in message and "\n" not in message
