"""The fiche as the school sent it, shown beside its fields: PDF pages rendered to PNG
on the server (pypdfium2, already installed with pdfplumber) and cached by the file's
hash; Word and LibreOffice files first converted to PDF by the LibreOffice the parsers
use (once, cached); pictures shown as they are. Nothing the school sent is ever served
inline as HTML or script."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pypdfium2 as pdfium

from config.errors import ExtractionError
from parsers.convert import to_pdf
from parsers.registry import file_type
from storage import repo
from storage.models import StoredFile

# pdfium is not thread-safe; the server renders one page at a time.
_PDFIUM = threading.Lock()
_SCALE = 1.5  # 108 dpi: readable beside the form, light to send
MAX_PAGES = 6  # shown; the whole file is always downloadable
_KINDS = {".pdf": "PDF", ".docx": "Word", ".doc": "Word 97", ".odt": "LibreOffice",
          ".rtf": "RTF", ".png": "image PNG", ".jpg": "image JPEG", ".tif": "image TIFF"}


@dataclass(frozen=True)
class Shown:
    sha256: str
    name: str
    size: int
    kind: str
    pages: int  # PDF pages to show (0: not a PDF)
    image: bool  # a picture the browser shows as it is


_CONVERTED = (".docx", ".odt", ".doc", ".rtf")


def describe(data_dir: Path, stored: StoredFile, soffice: str = "soffice",
             timeout: float = 60) -> Shown:
    path = repo.file_path(data_dir, stored.sha256)
    data = path.read_bytes() if path.exists() else b""
    suffix, mime = file_type(data)
    pages = 0
    if suffix == ".pdf":
        pages = min(page_count(path), MAX_PAGES)
    elif suffix in _CONVERTED:
        converted = as_pdf(data_dir, stored.sha256, data, suffix, soffice, timeout)
        pages = min(page_count(converted), MAX_PAGES) if converted else 0
    return Shown(stored.sha256, stored.name, stored.size, _KINDS.get(suffix, "fichier"), pages,
                 mime in ("image/png", "image/jpeg"))


def page_count(path: Path) -> int:
    with _PDFIUM:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError:
            return 0
        try:
            return len(pdf)
        finally:
            pdf.close()


def as_pdf(data_dir: Path, sha256: str, data: bytes, suffix: str, soffice: str,
           timeout: float) -> Path | None:
    """The PDF LibreOffice makes of a word-processor file, made once; None when it
    cannot (the file is still downloadable)."""
    cache = _converted(data_dir, sha256)
    if not cache.exists():
        try:
            pdf = to_pdf(data, suffix, soffice, timeout, "preview")
        except ExtractionError:
            return None
        cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        cache.write_bytes(pdf)
    return cache


def _converted(data_dir: Path, sha256: str) -> Path:
    return data_dir / "cache" / "pdf" / sha256[:2] / f"{sha256}.pdf"


def pdf_page(data_dir: Path, path: Path, sha256: str, number: int) -> bytes | None:
    """Page `number` (from 1) as PNG, rendered once and then read from the cache. A
    word-processor file's pages are those of its converted PDF."""
    if not 1 <= number <= MAX_PAGES:
        return None
    if _converted(data_dir, sha256).exists():
        path = _converted(data_dir, sha256)
    cache = data_dir / "cache" / "pages" / sha256[:2] / f"{sha256}-{number}.png"
    if cache.exists():
        return cache.read_bytes()
    with _PDFIUM:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError:
            return None
        try:
            if number > len(pdf):
                return None
            image = pdf[number - 1].render(scale=_SCALE).to_pil()
        finally:
            pdf.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    cache.write_bytes(out.getvalue())
    return out.getvalue()


def download_name(name: str, suffix: str) -> str:
    """The sender's file name, with its real extension, quoted for the header."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return quote(f"{stem or 'fichier'}{suffix}")
