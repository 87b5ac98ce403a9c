"""Scans (image-only PDF, JPEG, PNG, TIFF): always for a person, OCR as a help.

A scan of a hand-filled sheet is never trusted: the extraction says
`needs_review`. When tesseract is installed, its text is read with the same
rules as any fiche, keeping only words it is confident about, so OCR can fill
fields a person then checks but never invents one from noise.
"""

from __future__ import annotations

import io
import shutil
import subprocess

from PIL import Image, UnidentifiedImageError

from config.errors import LimitExceeded, RejectedFile
from parsers.model import Document, Line

# Words tesseract is less sure of than this are dropped: handwriting comes out as
# confident-looking garbage at lower scores.
MIN_CONFIDENCE = 75
MAX_PIXELS = 60_000_000


def images_from_pdf(data: bytes, max_pages: int, where: str) -> list[Image.Image]:
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(data)
        pages = [pdf[i].render(scale=300 / 72).to_pil() for i in range(min(len(pdf), max_pages))]
        pdf.close()
        return pages
    except pypdfium2.PdfiumError as err:
        raise RejectedFile(f"{where}: cannot render the scanned pages ({err})") from err


def open_image(data: bytes, where: str) -> list[Image.Image]:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise RejectedFile(f"{where}: image of {image.width}x{image.height} pixels is too large")
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
    for image in images:
        buffer = io.BytesIO()
        image.convert("L").save(buffer, format="PNG")
        try:
            done = subprocess.run([exe, "stdin", "stdout", "-l", "fra", "--psm", "4", "tsv"],
                                  input=buffer.getvalue(), capture_output=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired as err:
            raise LimitExceeded(f"{where}: OCR took more than {timeout:.0f} s") from err
        if done.returncode != 0:
            doc.warnings.append("scan: OCR failed on a page")
            continue
        doc.lines.extend(_tsv_lines(done.stdout.decode("utf-8", "replace")))
    return doc


def _tsv_lines(tsv: str) -> list[Line]:
    lines: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or not cols[11].strip():
            continue
        try:
            confidence = float(cols[10])
            left = int(cols[6])
        except ValueError:
            continue
        key = (cols[2], cols[3], cols[4])  # block, paragraph, line
        word = cols[11] if confidence >= MIN_CONFIDENCE else ""
        lines.setdefault(key, []).append((left, word))
    out = []
    for words in lines.values():
        text = " ".join(w for _, w in sorted(words) if w)
        if text:
            out.append(Line([text]))
    return out
