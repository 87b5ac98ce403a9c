"""Checks that run before any library opens an untrusted file.

A DOCX or ODT is a zip of XML: we look at the zip's directory (entry count,
declared sizes, compression ratio, encryption) and at the XML prologues (no
DOCTYPE, so no entity expansion or external entity) before python-docx or lxml
see a byte. XML is then parsed with a parser that never resolves entities and
never touches the network.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from config.errors import RejectedFile
from config.settings import ExtractionLimits

_XML_SUFFIXES = (".xml", ".rels")


def open_zip(data: bytes, limits: ExtractionLimits, where: str) -> zipfile.ZipFile:
    """Open an OOXML/ODF container after checking it is no zip bomb."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise RejectedFile(f"{where}: not a valid zip container ({err})") from err
    if len(infos) > limits.max_zip_entries:
        raise RejectedFile(f"{where}: {len(infos)} zip entries (limit {limits.max_zip_entries})")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise RejectedFile(f"{where}: encrypted zip entry {info.filename!r}")
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.compress_size and \
                info.file_size / info.compress_size > limits.max_compression_ratio:
            raise RejectedFile(
                f"{where}: entry {info.filename!r} expands {info.file_size // info.compress_size}x "
                f"(limit {limits.max_compression_ratio:.0f}x): zip bomb")
    if total > limits.max_unzipped_bytes:
        raise RejectedFile(f"{where}: {total} bytes once unzipped "
                           f"(limit {limits.max_unzipped_bytes})")
    for info in infos:
        if info.filename.endswith(_XML_SUFFIXES):
            xml = read_entry(archive, info.filename, where)
            check_xml_prologue(xml, f"{where}:{info.filename}")
    return archive


def read_entry(archive: zipfile.ZipFile, name: str, where: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError as err:
        raise RejectedFile(f"{where}: missing {name}") from err
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise RejectedFile(f"{where}: corrupt zip entry {name} ({err})") from err


def check_xml_prologue(xml: bytes, where: str) -> None:
    """Reject any DTD: Office files never need one, and it is how XXE and billion-laughs start."""
    head = xml[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in xml.lower():
        raise RejectedFile(f"{where}: XML with a DOCTYPE/ENTITY declaration is not accepted")


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, remove_comments=True)


def parse_xml(xml: bytes, where: str) -> etree._Element:
    check_xml_prologue(xml, where)
    try:
        return etree.fromstring(xml, parser=_PARSER)
    except etree.XMLSyntaxError as err:
        raise RejectedFile(f"{where}: malformed XML ({err})") from err
