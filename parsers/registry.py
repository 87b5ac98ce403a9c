"""Which parser reads a file, decided by its content, and the parsers themselves.

Each parser is a function `(bytes, ParseContext) -> Extraction` registered for
one file type. The type comes from the first bytes, never from the name or the
MIME type an email declared: schools send PDFs as octet-stream and DOCX named
".doc".
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from config.errors import RejectedFile, UnsupportedFile
from config.settings import Settings
from parsers import convert, scan
from parsers.docx import read_docx
from parsers.mapper import map_document
from parsers.model import Document, Extraction
from parsers.odt import read_odt
from parsers.pdf import read_pdf
from parsers.text import CONTROL_CHARS


@dataclass(frozen=True)
class ParseContext:
    filename: str
    settings: Settings

    @property
    def where(self) -> str:
        """The file's name as messages show it: no control characters (a sender chose it)."""
        return CONTROL_CHARS.sub("?", self.filename)[:120]


Parser = Callable[[bytes, ParseContext], Extraction]
PARSERS: dict[str, Parser] = {}


def parser(kind: str) -> Callable[[Parser], Parser]:
    def register(func: Parser) -> Parser:
        PARSERS[kind] = func
        return func
    return register


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OLE = "EncryptedPackage".encode("utf-16-le")
# Formats read through a LibreOffice conversion (slower: they get more time).
CONVERTED = frozenset({"doc", "rtf"})


# What a file is, as a mail attachment says it: (suffix, MIME type), by content.
_TYPES = {
    "docx": (".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "odt": (".odt", "application/vnd.oasis.opendocument.text"),
    "pdf": (".pdf", "application/pdf"),
    "doc": (".doc", "application/msword"),
    "rtf": (".rtf", "application/rtf"),
}
_IMAGES = ((b"\xff\xd8\xff", ".jpg", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
           (b"II*\x00", ".tif", "image/tiff"), (b"MM\x00*", ".tif", "image/tiff"))


def file_type(data: bytes) -> tuple[str, str]:
    """(suffix, MIME type) of a file by its content; ("", "application/octet-stream")
    only for what Saisine cannot name."""
    kind = sniff(data)
    if kind in _TYPES:
        return _TYPES[kind]
    for magic, suffix, mime in _IMAGES:
        if data.startswith(magic):
            return suffix, mime
    return "", "application/octet-stream"


def sniff(data: bytes) -> str:
    """The file type from its first bytes: docx, odt, pdf, doc, rtf, image, or unknown."""
    head = data[:2048]
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return "unknown"
        if "word/document.xml" in names:
            return "docx"
        if "content.xml" in names:
            return "odt"
        return "zip"
    if head.startswith(_OLE):
        return "encrypted" if _ENCRYPTED_OLE in data[:65536] else "doc"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")):
        return "image"
    return "unknown"


@parser("docx")
def parse_docx(data: bytes, ctx: ParseContext) -> Extraction:
    return map_document(read_docx(data, ctx.settings.limits, ctx.where), ctx.where)


@parser("odt")
def parse_odt(data: bytes, ctx: ParseContext) -> Extraction:
    return map_document(read_odt(data, ctx.settings.limits, ctx.where), ctx.where)


def _converted(data: bytes, ctx: ParseContext, suffix: str, method: str) -> Extraction:
    limits = ctx.settings.limits
    docx_bytes = convert.to_docx(data, suffix, ctx.settings.libreoffice,
                                 limits.convert_timeout_seconds, ctx.where,
                                 ctx.settings.libreoffice_python)
    doc = read_docx(docx_bytes, limits, ctx.where)
    doc.method = doc.method.replace("docx", method)
    return map_document(doc, ctx.where)


@parser("doc")
def parse_doc(data: bytes, ctx: ParseContext) -> Extraction:
    return _converted(data, ctx, ".doc", "doc")


@parser("rtf")
def parse_rtf(data: bytes, ctx: ParseContext) -> Extraction:
    return _converted(data, ctx, ".rtf", "rtf")


@parser("pdf")
def parse_pdf(data: bytes, ctx: ParseContext) -> Extraction:
    limits = ctx.settings.limits
    doc = read_pdf(data, limits, ctx.where)
    if doc.scanned and limits.ocr:
        images = scan.images_from_pdf(data, limits.max_pages, ctx.where)
        doc = scan.ocr(images, ctx.settings.tesseract, limits.timeout_seconds, ctx.where)
        doc.method = "pdf-" + doc.method
    return map_document(doc, ctx.where)


@parser("image")
def parse_image(data: bytes, ctx: ParseContext) -> Extraction:
    images = scan.open_image(data, ctx.where)
    if not ctx.settings.limits.ocr:
        return map_document(Document(method="image", scanned=True), ctx.where)
    doc = scan.ocr(images, ctx.settings.tesseract, ctx.settings.limits.timeout_seconds, ctx.where)
    doc.method = "image-" + doc.method
    return map_document(doc, ctx.where)


def extract_bytes(data: bytes, ctx: ParseContext) -> Extraction:
    """Read one fiche in this process. Use `sandbox.extract` for untrusted input."""
    limits = ctx.settings.limits
    if len(data) > limits.max_file_bytes:
        raise RejectedFile(f"{ctx.where}: {len(data)} bytes (limit {limits.max_file_bytes})")
    kind = sniff(data)
    if kind == "encrypted":
        raise RejectedFile(f"{ctx.where}: password-protected document")
    func = PARSERS.get(kind)
    if func is None:
        raise UnsupportedFile(f"{ctx.where}: not a DOCX, ODT, DOC, RTF, PDF or image file")
    return func(data, ctx)
