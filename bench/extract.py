"""Extraction speed and memory, side by side with each format's floor.

    .venv/bin/python bench/extract.py [--rounds N]

For every format in tests/data, the median time to extract a fiche is put next
to its floor: the same library only opening the same file and reading its
text (for .doc, the conversion alone through the same warm LibreOffice, with the cold
start it replaced beside it; for scans, rendering and OCR alone). The ratio is what
Saisine's own reading costs on top. The sandboxed
time is what the CLI and the worker pay: the same extraction in the warm
parsing child, plus sending the file and the result through a pipe.
Memory: the peak Python allocation of one extraction, and the process's RSS
before and after many extractions (flat means nothing accumulates).

Targets (issue 2): DOCX <= 50 ms and <= 3x its floor; a 2-page text PDF
<= 300 ms; memory bounded. Issue 12: a .doc <= 300 ms (warm LibreOffice), a scan <= 3 s.
"""

from __future__ import annotations

import argparse
import gc
import io
import resource
import statistics
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from config.settings import Settings  # noqa: E402
from parsers.convert import close_warm  # noqa: E402
from parsers.registry import ParseContext, extract_bytes, sniff  # noqa: E402
from parsers.sandbox import Sandbox  # noqa: E402

DATA = ROOT / "tests" / "data"


def floor_docx(data: bytes) -> None:
    import docx

    document = docx.Document(io.BytesIO(data))
    texts = [paragraph.text for paragraph in document.paragraphs]
    texts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]


def floor_odt(data: bytes) -> None:
    from lxml import etree

    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("content.xml"))
    "".join(root.itertext())


def floor_pdf(data: bytes) -> None:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_words()


def floor_doc(data: bytes) -> None:
    """The conversion alone, through the same warm LibreOffice."""
    from parsers.convert import to_docx

    to_docx(data, ".doc", "soffice", 120, "bench", Settings().libreoffice_python)


def cold_doc(data: bytes) -> None:
    """The conversion as it was before: LibreOffice started for the file."""
    from parsers.convert import to_docx

    to_docx(data, ".doc", "soffice", 120, "bench")


def floor_scan(data: bytes) -> None:
    """Rendering the pages and running tesseract: OCR alone, nothing read from it."""
    import subprocess

    from parsers import scan

    images = scan.images_from_pdf(data, 30, "bench") if data[:5] == b"%PDF-" else \
        scan.open_image(data, "bench")
    for image in images:
        buffer = io.BytesIO()
        image.convert("L").save(buffer, format="PNG")
        subprocess.run(["tesseract", "stdin", "stdout", "-l", "fra", "--psm", "4"],
                       input=buffer.getvalue(), capture_output=True, check=True,
                       env=scan.OCR_ENV)


FLOORS: dict[str, Callable[[bytes], None]] = {
    "docx": floor_docx, "odt": floor_odt, "pdf-text": floor_pdf, "pdf-form": floor_pdf,
    "doc": floor_doc, "pdf-scan": floor_scan, "image": floor_scan}


def kind_of(path: Path, data: bytes) -> str:
    kind = sniff(data)
    if kind == "pdf":
        name = path.name
        return "pdf-scan" if "scan" in name else "pdf-form" if "form" in name else "pdf-text"
    return kind


def median_ms(func: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    settings = Settings()
    files: dict[str, list[tuple[Path, bytes]]] = {}
    for path in sorted(DATA.iterdir()):
        if path.name.endswith(".json"):
            continue
        data = path.read_bytes()
        files.setdefault(kind_of(path, data), []).append((path, data))

    box = Sandbox(settings)
    print(f"{'format':10} {'files':>5} {'saisine':>10} {'floor':>9} {'ratio':>6} "
          f"{'sandboxed':>10} {'peak alloc':>11}  target")
    verdicts = []
    for kind in ("docx", "odt", "pdf-text", "pdf-form", "doc", "pdf-scan", "image"):
        group = files.get(kind, [])
        if not group:
            continue
        rounds = args.rounds if kind in ("docx", "odt", "pdf-text", "pdf-form") else 3
        ours, floors, boxed, peaks = [], [], [], []
        for path, data in group:
            ctx = ParseContext(path.name, settings)
            extract_bytes(data, ctx)  # warm caches (label index, fonts)
            floor = FLOORS[kind]
            ours.append(median_ms(lambda d=data, c=ctx: extract_bytes(d, c), rounds))
            boxed.append(median_ms(lambda d=data, n=path.name: box.extract(d, n), rounds))
            floors.append(median_ms(lambda d=data, f=floor: f(d), rounds))
            tracemalloc.start()
            extract_bytes(data, ctx)
            peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
            tracemalloc.stop()
        ours_ms, boxed_ms = statistics.median(ours), statistics.median(boxed)
        floor_ms = statistics.median(floors)
        ratio = ours_ms / floor_ms
        target = ""
        if kind == "docx":
            ok = ours_ms <= 50 and ratio <= 3
            target = f"<= 50 ms and <= 3x: {'met' if ok else 'MISSED'}"
            verdicts.append(ok)
        elif kind == "pdf-text":
            ok = ours_ms <= 300
            target = f"<= 300 ms: {'met' if ok else 'MISSED'}"
            verdicts.append(ok)
        elif kind == "doc":
            cold = statistics.median(median_ms(lambda d=d: cold_doc(d), 1) for _, d in group)
            ok = ours_ms <= 300
            target = f"<= 300 ms: {'met' if ok else 'MISSED'} (cold LibreOffice: {cold:.0f} ms)"
            verdicts.append(ok)
        elif kind in ("pdf-scan", "image"):
            ok = ours_ms <= 3000
            target = f"<= 3 s: {'met' if ok else 'MISSED'}"
            verdicts.append(ok)
        print(f"{kind:10} {len(group):5d} {ours_ms:8.1f}ms {floor_ms:7.1f}ms {ratio:5.2f}x "
              f"{boxed_ms:8.1f}ms {max(peaks):8.1f}MiB  {target}")

    # Memory: many extractions in one process must not grow it.
    sample = [d for kind in ("docx", "odt", "pdf-text", "pdf-form") for _, d in files.get(kind, [])]
    ctx = ParseContext("bench", settings)
    for data in sample:
        extract_bytes(data, ctx)
    gc.collect()
    before = rss_mib()
    for _ in range(5):
        for data in sample:
            extract_bytes(data, ctx)
    gc.collect()
    after = rss_mib()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\nRSS after {len(sample)} extractions: {before:.0f} MiB; "
          f"after {5 * len(sample)} more: {after:.0f} MiB ({after - before:+.1f} MiB). "
          f"Largest sandbox child: {children:.0f} MiB.")
    box.close()
    close_warm()
    print("all targets met" if all(verdicts) else "SOME TARGETS MISSED")


if __name__ == "__main__":
    main()
