"""Scans (image-only PDF, JPEG, PNG, TIFF): always for a person, OCR as a help.

A scan of a hand-filled sheet is never trusted: the extraction says
`needs_review`. OCR loses a form's table structure and cannot see ticks, so
reading labels and values from it would invent fields. From the OCR text we
keep only what checks itself: a UAI whose check letter is right, and the
school's e-mail address and phone number when exactly one of each is there.
That is enough for the secretariat to know which school sent the scan.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess

from PIL import Image, UnidentifiedImageError

from config.errors import LimitExceeded, RejectedFile
from parsers.model import Document, Line
from parsers.text import (
    EMAIL_IN_TEXT,
    PHONE_IN_TEXT,
    UAI_IN_TEXT,
    parse_phone,
    uai_check_letter,
)

MAX_PIXELS = 60_000_000
# A scanned sheet is read at 200 dpi: as well as at 300 (a school's scanner rarely does
# better), in half the pixels.
OCR_DPI = 200
# Tesseract's OpenMP threads fight each other on a small machine: one thread reads a
# page six times faster here (0.8 s against 5 s on 2 cores).
OCR_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


def images_from_pdf(data: bytes, max_pages: int, where: str) -> list[Image.Image]:
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(data)
        pages = [pdf[i].render(scale=OCR_DPI / 72).to_pil()
                 for i in range(min(len(pdf), max_pages))]
        pdf.close()
        return pages
    except pypdfium2.PdfiumError as err:
        raise RejectedFile(f"{where}: cannot render the scanned pages ({err})") from err


def open_image(data: bytes, where: str) -> list[Image.Image]:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise RejectedFile(
                f"{where}: image of {image.width}x{image.height} pixels is too large")
        image.load()
        return [image]
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as err:
        raise RejectedFile(f"{where}: not a readable image ({err})") from err


def ocr(images: list[Image.Image], tesseract: str, timeout: float, where: str) -> Document:
    """Document from OCR; an empty one (scanned, no lines) when tesseract is absent."""
    doc = Document(method="scan", scanned=True)
    exe = shutil.which(tesseract)
    if exe is None:
        doc.warnings.append("scan: no OCR installed (tesseract-ocr-fra); nothing was read")
        return doc
    doc.method = "scan-ocr"
    seen: set[str] = set()
    for image in images:
        buffer = io.BytesIO()
        image.convert("L").save(buffer, format="PNG")
        try:
            done = subprocess.run([exe, "stdin", "stdout", "-l", "fra", "--psm", "4"],
                                  input=buffer.getvalue(), capture_output=True, timeout=timeout,
                                  check=False, env=OCR_ENV)
        except subprocess.TimeoutExpired as err:
            raise LimitExceeded(f"{where}: OCR took more than {timeout:.0f} s") from err
        if done.returncode != 0:
            doc.warnings.append("scan: OCR failed on a page")
            continue
        text = done.stdout.decode("utf-8", "replace")
        doc.lines.extend(Line([f"{label} : {value}"]) for label, value in identifiers(text))
        seen.update(fiche_labels(text))
    doc.labels_seen = len(seen)
    return doc


def fiche_labels(text: str) -> set[str]:
    """The fields whose labels OCR read on the page, at the start of a line ("Nom de
    l'école :", "Motif(s) de la demande"): evidence that the page is a fiche. Only
    the labels are counted; what follows them is never taken as a value."""
    from parsers.fields import FIELD_KEYS
    from parsers.matching import match_label

    found = set()
    for line in text.splitlines():
        head = line.split(":")[0].strip(" .…_")
        target = match_label(head, loose=True) if 3 <= len(head) <= 80 else None
        if target in FIELD_KEYS:
            found.add(target)
    return found


def identifiers(text: str) -> list[tuple[str, str]]:
    """("UAI" | "Courriel" | "Téléphone", value) found unambiguously in OCR text."""
    found: list[tuple[str, str]] = []
    uais = {m[1] + m[2].upper() for m in UAI_IN_TEXT.finditer(text)
            if uai_check_letter(m[1]) == m[2].upper()}
    emails = {m[0].lower().rstrip(".") for m in EMAIL_IN_TEXT.finditer(text)}
    phones = {parse_phone(m[0]) for m in PHONE_IN_TEXT.finditer(text)} - {None}
    for label, values in (("UAI", uais), ("Courriel", emails), ("Téléphone", phones)):
        if len(values) == 1:
            found.append((label, str(values.pop())))
    return found
