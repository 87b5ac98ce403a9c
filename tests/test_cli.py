"""The `saisine` command as a user runs it: real process, real files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from parsers.fields import FIELD_KEYS
from tests.conftest import DATA

SAISINE = [sys.executable, "-m", "worker.cli"]
ROOT = Path(__file__).parents[1]


def saisine(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run([*SAISINE, *args], capture_output=True, text=True, timeout=180,
                          cwd=cwd or ROOT, env={**os.environ, **(env or {})})


def test_extract_prints_the_contract_json():
    done = saisine("extract", str(DATA / "01-docx-table-glyph.docx"))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"file", "method", "fields", "missing", "warnings", "needs_review",
                           "to_check", "confidence"}
    assert list(result["fields"]) == list(FIELD_KEYS)
    assert result["method"] == "docx-table"


def test_several_files_give_one_json_line_each():
    files = [str(DATA / "10-docx-para-glyph.docx"), str(DATA / "25-odt-table-glyph.odt")]
    done = saisine("extract", *files)
    assert done.returncode == 0
    assert [json.loads(line)["file"] for line in done.stdout.splitlines()] == \
        ["10-docx-para-glyph.docx", "25-odt-table-glyph.odt"]


@pytest.mark.parametrize("content,message", [
    (b"plain text, not a fiche", "not a DOCX, ODT, DOC, RTF, PDF or image file"),
    (b"PK\x03\x04 broken zip", "not a DOCX, ODT, DOC, RTF, PDF or image file"),
    (b"%PDF-1.4\n%%EOF", "PDF"),
])
def test_bad_files_give_one_line_and_exit_2(tmp_path, content, message):
    bad = tmp_path / "fiche.pdf"
    bad.write_bytes(content)
    done = saisine("extract", str(bad))
    assert done.returncode == 2
    assert done.stdout == ""
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_missing_file(tmp_path):
    done = saisine("extract", str(tmp_path / "absent.docx"))
    assert done.returncode == 2 and "cannot read" in done.stderr
    assert "Traceback" not in done.stderr


def test_doc_without_libreoffice_says_what_to_install():
    done = saisine("extract", str(DATA / "31-doc-table.doc"),
                   env={"SAISINE_LIBREOFFICE": "no-such-soffice"})
    assert done.returncode == 2
    assert "needs LibreOffice" in done.stderr and "apt-get install" in done.stderr


def test_invalid_settings_are_one_line(tmp_path):
    bad = tmp_path / "saisine.toml"
    bad.write_text("[limits]\nmax_pages = -3\n")
    done = saisine("--config", str(bad), "extract", str(DATA / "01-docx-table-glyph.docx"))
    assert done.returncode == 2 and "max_pages" in done.stderr and "Traceback" not in done.stderr


def test_check_reports_accuracy_and_fails_under_the_bar(tmp_path):
    for stem in ("01-docx-table-glyph", "25-odt-table-glyph", "40-pdf-form-own"):
        for source in DATA.glob(stem + ".*"):
            (tmp_path / source.name).write_bytes(source.read_bytes())
    done = saisine("extract", "--check", str(tmp_path))
    assert done.returncode == 0
    assert "fiches: 3  field accuracy: 100.00% (69/69)" in done.stdout
    assert saisine("extract", "--check", str(tmp_path), "--min-accuracy", "1.01").returncode == 1


@pytest.mark.parametrize("fmt", ["docx", "odt", "pdf"])
def test_fiche_writes_a_blank_form_that_reads_back_empty(tmp_path, fmt):
    done = saisine("fiche", "--format", fmt, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = tmp_path / f"fiche-demande-pole-ressource.{fmt}"
    result = json.loads(saisine("extract", str(written)).stdout)
    assert all(v in (None, []) for v in result["fields"].values())
    assert result["needs_review"] and "situation" in result["missing"]



def test_version():
    from importlib.metadata import version

    done = saisine("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"saisine {version('saisine')}"


def test_run_without_a_password_names_the_variable_before_connecting(tmp_path):
    settings = tmp_path / "saisine.toml"
    # Hosts that cannot answer: the command must stop before trying them.
    settings.write_text('[imap]\nhost = "imap.invalid"\nusername = "pole"\n'
                        '[smtp]\nhost = "smtp.invalid"\nusername = "pole"\n'
                        f'[storage]\ndata_dir = "{tmp_path}"\n')
    env = {k: "" for k in ("SAISINE_IMAP__PASSWORD", "SAISINE_SMTP__PASSWORD")}
    done = saisine("--config", str(settings), "run", "--once", env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "saisine: run: SAISINE_IMAP__PASSWORD and SAISINE_SMTP__PASSWORD are not set in the "
        "environment (the passwords never go in the settings file)")
    done = saisine("--config", str(settings), "run", "--once",
                   env={**env, "SAISINE_IMAP__PASSWORD": "secret"})
    assert "SAISINE_SMTP__PASSWORD is not set" in done.stderr


def test_every_command_reads_saisine_toml_where_it_runs(tmp_path):
    (tmp_path / "saisine.toml").write_text(
        '[circonscription]\nname = "Circonscription de Test-sur-Isère"\n'
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n')
    done = saisine("doctor", cwd=tmp_path)
    assert "Circonscription de Test-sur-Isère" in done.stdout
    (tmp_path / "saisine.toml").write_text('[circonscription]\nnmae = "x"\n')
    done = saisine("requests", cwd=tmp_path)
    assert "circonscription.nmae: unknown setting; did you mean 'name'?" in done.stderr


def test_the_blank_fiche_says_the_circonscription_and_is_not_overwritten(tmp_path):
    (tmp_path / "saisine.toml").write_text(
        'meeting_deadline_days = 1\n[circonscription]\nname = "Circonscription de Voiron"\n'
        'sender = "pole.ressource.voiron@ac-grenoble.fr"\n')
    assert saisine("fiche", cwd=tmp_path).returncode == 0
    import docx

    text = "\n".join(p.text for p in docx.Document(
        str(tmp_path / "fiche-demande-pole-ressource.docx")).paragraphs)
    assert "pôle ressource – Circonscription de Voiron" in text
    assert "à pole.ressource.voiron@ac-grenoble.fr au plus tard 1 jour avant la réunion" in text
    again = saisine("fiche", cwd=tmp_path)
    assert again.returncode == 2 and "exists; --force replaces it" in again.stderr
    assert saisine("fiche", "--force", cwd=tmp_path).returncode == 0
    # Read back, the fiche is empty: its own address is not the school's.
    read = json.loads(saisine("extract", str(tmp_path / "fiche-demande-pole-ressource.docx")).stdout)
    assert read["fields"]["ecole_email"] is None
