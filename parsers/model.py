"""Plain data passed between the format readers, the mapper and the callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parsers.fields import FIELD_KEYS

# Every reader writes checkbox states as these two glyphs, so the mapper reads
# a ticked Word content control, a FORMCHECKBOX and a typed ☒ the same way.
CHECKED = "☒"
UNCHECKED = "☐"


@dataclass
class Line:
    """One paragraph (one cell) or one table row (several cells), in reading order."""

    cells: list[str]
    # Set in bold (or as a heading) as a whole: a label or a title standing above its text.
    emphasis: bool = False


@dataclass
class FormField:
    """A named form field: a content control, a legacy Word field or an AcroForm field.

    `name` is the field's own name or tag (meaningful or "Texte12"); `value` is
    text, or a bool for a checkbox.
    """

    name: str
    value: str | bool | None


@dataclass
class Document:
    """What a reader saw in a file, before any interpretation."""

    method: str
    lines: list[Line] = field(default_factory=list)
    fields: list[FormField] = field(default_factory=list)
    scanned: bool = False
    warnings: list[str] = field(default_factory=list)
    labels_seen: int = 0  # on a scan: how many of the fiche's labels OCR read


@dataclass
class Extraction:
    """The result of reading one fiche (the JSON of `saisine extract`)."""

    file: str
    method: str
    fields: dict[str, Any]
    missing: list[str]
    warnings: list[str]
    needs_review: bool
    scanned: bool = False  # read from an image: only a person can say what it holds
    labels_seen: int = 0  # on a scan: how many of the fiche's labels OCR read (evidence)
    # How each field read was found: "form" (a field's own name), "label" (a label known),
    # "meaning" (a label matched by its words), "position" (where it stands, no label).
    confidence: dict[str, str] = field(default_factory=dict)
    to_check: list[str] = field(default_factory=list)  # the fields a person should look at

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "method": self.method,
            "fields": {key: self.fields.get(key) for key in FIELD_KEYS},
            "missing": self.missing,
            "warnings": self.warnings,
            "needs_review": self.needs_review,
            "to_check": self.to_check,
            "confidence": {key: self.confidence[key] for key in FIELD_KEYS
                           if key in self.confidence},
        }
