"""Measuring extraction against a corpus of fiches with their expected JSON.

A corpus is a folder of fiches, each `NAME.EXT` beside `NAME.expected.json`
(`{"fields": {...}}` in the shape of `saisine extract`). Accuracy counts every
(fiche, field) pair; urgent fiches missed and false alarms are counted apart
because they are the errors that cost most.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.errors import SaisineError
from parsers.fields import FIELD_KEYS, REQUIRED
from parsers.model import Extraction

EXPECTED_SUFFIX = ".expected.json"


@dataclass
class FicheScore:
    file: str
    method: str
    wrong: dict[str, tuple[Any, Any]]  # field -> (expected, got)
    error: str | None = None


@dataclass
class CorpusScore:
    fiches: list[FicheScore] = field(default_factory=list)
    fields_total: int = 0
    fields_right: int = 0
    urgent_total: int = 0
    urgent_missed: int = 0
    urgent_missed_unflagged: int = 0  # urgent, not read as such, and not put before a person
    false_alarms: int = 0
    review_expected_missed: int = 0
    review_raised_for_nothing: int = 0
    scan_values_invented: int = 0  # a value read from a scan that the sheet does not say
    urgent_scans: int = 0  # urgent on paper, but a scan: only a person can see it
    urgent_scans_flagged: int = 0
    # A required field wrong or missing on a fiche declared fine: an error nobody will see.
    wrong_not_flagged: int = 0

    @property
    def accuracy(self) -> float:
        return self.fields_right / self.fields_total if self.fields_total else 0.0


def corpus(folder: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for expected in sorted(folder.glob("*" + EXPECTED_SUFFIX)):
        stem = expected.name[: -len(EXPECTED_SUFFIX)]
        fiches = [p for p in folder.glob(stem + ".*") if not p.name.endswith(".json")]
        if len(fiches) != 1:
            raise SaisineError(f"check: {expected.name} needs exactly one fiche named {stem}.*")
        yield fiches[0], json.loads(expected.read_text(encoding="utf-8"))


def same(key: str, expected: Any, got: Any) -> bool:
    if key == "motifs":
        return sorted(expected or []) == sorted(got or [])
    if isinstance(expected, str) and isinstance(got, str):
        return " ".join(expected.split()) == " ".join(got.split())
    return expected == got


def score(folder: Path, extract: Callable[[Path], Extraction]) -> CorpusScore:
    result = CorpusScore()
    for path, expected in corpus(folder):
        want = expected["fields"]
        got: Extraction | None = None
        error: str | None = None
        try:
            got = extract(path)
        except SaisineError as err:
            error = str(err)
        fields = got.fields if got else {}
        wrong = {k: (want.get(k), fields.get(k)) for k in FIELD_KEYS
                 if not same(k, want.get(k), fields.get(k))}
        result.fields_total += len(FIELD_KEYS)
        result.fields_right += len(FIELD_KEYS) - len(wrong)
        if want.get("urgence") is True:
            result.urgent_total += 1
            result.urgent_missed += fields.get("urgence") is not True
            result.urgent_missed_unflagged += fields.get("urgence") is not True and not (
                got and got.needs_review)
        elif fields.get("urgence") is True:
            result.false_alarms += 1
        sheet = expected.get("sheet", {})
        if sheet.get("urgence") is True:
            result.urgent_scans += 1
            result.urgent_scans_flagged += bool(got and got.needs_review)
        result.scan_values_invented += sum(
            1 for k, v in sheet.items()
            if fields.get(k) not in (None, []) and not same(k, v, fields[k]))
        if got and not got.needs_review and any(k in wrong for k in REQUIRED):
            result.wrong_not_flagged += 1
        if expected.get("needs_review") and not (got and got.needs_review):
            result.review_expected_missed += 1
        if got and got.needs_review and not expected.get("needs_review"):
            result.review_raised_for_nothing += 1
        result.fiches.append(FicheScore(path.name, got.method if got else "error", wrong, error))
    return result
