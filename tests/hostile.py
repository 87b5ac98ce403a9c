"""Builders for hostile and broken files, made on the fly (nothing dangerous is stored)."""

from __future__ import annotations

import io
import zipfile
import zlib

from notify.fiche import write_fiche


def docx_with_document_xml(xml: bytes) -> bytes:
    """A real DOCX whose word/document.xml is replaced."""
    source = zipfile.ZipFile(io.BytesIO(write_fiche("docx")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = xml if info.filename == "word/document.xml" else source.read(info)
            target.writestr(info.filename, data)
    return out.getvalue()


def zip_bomb_docx(megabytes: int = 40) -> bytes:
    """A DOCX with one entry that inflates about 1000x."""
    out = io.BytesIO(write_fiche("docx"))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as target, \
            target.open("word/media/padding.xml", "w", force_zip64=True) as entry:
        block = b"\0" * (1 << 20)
        for _ in range(megabytes):
            entry.write(block)
    return out.getvalue()


def many_entries_docx(count: int = 3000) -> bytes:
    out = io.BytesIO(write_fiche("docx"))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_STORED) as target:
        for i in range(count):
            target.writestr(f"customXml/item{i}.bin", b"x")
    return out.getvalue()


def encrypted_entry_docx() -> bytes:
    """Set the 'encrypted' bit on every entry, as a password-protected zip has."""
    data = bytearray(write_fiche("docx"))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x01
            start += 4
    return bytes(data)


XXE = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
       b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
       b'<w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>')

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
               for i in range(1, 10))
    + b']><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">'
    b'<office:body><office:text>&lol9;</office:text></office:body></office:document-content>')


def odt_with_content(xml: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        target.writestr("content.xml", xml)
    return out.getvalue()


def password_protected_office() -> bytes:
    """The start of an OLE container holding an EncryptedPackage stream (how Office encrypts)."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000 + \
        "EncryptedPackage".encode("utf-16-le") + b"\0" * 1000


def _pdf(objects: list[bytes]) -> bytes:
    """A syntactically valid PDF from numbered object bodies (1 0 obj is the catalog)."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def pdf_compression_bomb(megabytes: int = 600) -> bytes:
    """One page whose content stream inflates to `megabytes` of spaces."""
    packer = zlib.compressobj(9)
    block = b" " * (1 << 20)
    stream = b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
        + b"\nendstream",
    ])


def pdf_deeply_nested(depth: int = 50_000) -> bytes:
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots "
        + b"[" * depth + b"]" * depth + b" >>",
    ])


def pdf_circular_pages() -> bytes:
    """A page tree whose Pages node lists itself as its own kid."""
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ])


def pdf_many_pages(pages: int) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for n in range(pages):
        for line in range(60):
            c.drawString(40, 800 - 13 * line, f"Page {n} ligne {line} : texte de remplissage " * 2)
        c.showPage()
    c.save()
    return out.getvalue()


def png_bomb(side: int = 40_000) -> bytes:
    """A black-and-white PNG of side x side pixels (1.6 gigapixels by default) that
    weighs a few hundred kilobytes: a decompression bomb for image readers."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row * 1000) for _ in range(side // 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body)
            + chunk(b"IEND", b""))
