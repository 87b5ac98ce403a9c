"""Old formats (Word 97 .doc, RTF) read through LibreOffice, converted to DOCX; and any
word-processor fiche converted to PDF, for the bureau to show it as the school sent it.

LibreOffice runs headless with a throw-away profile, so parallel conversions
do not fight over one user profile, and under a timeout of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from config.errors import LimitExceeded, MissingTool, RejectedFile


def to_docx(data: bytes, suffix: str, soffice: str, timeout: float, where: str) -> bytes:
    return _convert(data, suffix, "docx", "docx:MS Word 2007 XML", soffice, timeout, where)


def to_pdf(data: bytes, suffix: str, soffice: str, timeout: float, where: str) -> bytes:
    return _convert(data, suffix, "pdf", "pdf:writer_pdf_Export", soffice, timeout, where)


def _convert(data: bytes, suffix: str, target: str, output_filter: str, soffice: str,
             timeout: float, where: str) -> bytes:
    exe = shutil.which(soffice)
    if exe is None:
        raise MissingTool(
            f"{where}: reading {suffix} files needs LibreOffice "
            "(Debian: apt-get install libreoffice-writer-nogui)")
    with tempfile.TemporaryDirectory(prefix="saisine-lo-") as tmp:
        source = Path(tmp, "fiche" + suffix)
        source.write_bytes(data)
        profile = Path(tmp, "profile").as_uri()
        cmd = [exe, f"-env:UserInstallation={profile}", "--headless", "--norestore",
               "--convert-to", output_filter, "--outdir", tmp, str(source)]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout, check=False,
                           env={**os.environ, "HOME": tmp}, start_new_session=True)
        except subprocess.TimeoutExpired as err:
            raise LimitExceeded(f"{where}: LibreOffice took more than {timeout:.0f} s") from err
        out = Path(tmp, f"fiche.{target}")
        if not out.exists():
            raise RejectedFile(f"{where}: LibreOffice could not read this {suffix} file")
        return out.read_bytes()
