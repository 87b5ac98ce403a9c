"""Plain data passed between the format readers, the mapper and the callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Every reader writes checkbox states as these two glyphs, so the mapper reads
# a ticked Word content control, a FORMCHECKBOX and a typed ☒ the same way.
CHECKED = "☒"
UNCHECKED = "☐"

FIELD_KEYS: tuple[str, ...] = (
    "ecole_nom", "ecole_commune", "ecole_uai", "ecole_email", "ecole_telephone",
    "demandeur_nom", "demandeur_fonction", "classe",
    "eleve_nom", "eleve_prenom", "eleve_date_naissance", "eleve_niveau",
    "motifs", "motif_autre", "situation", "actions_menees", "partenaires", "attentes",
    "famille_informee", "urgence", "urgence_motif", "date_demande", "signataire",
)  # fmt: skip

REQUIRED: tuple[str, ...] = (
    "ecole_nom", "ecole_commune", "demandeur_nom", "motifs", "situation", "urgence",
    "date_demande",
)  # fmt: skip


@dataclass
class Line:
    """One paragraph (one cell) or one table row (several cells), in reading order."""

    cells: list[str]


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


@dataclass
class Extraction:
    """The result of reading one fiche (the JSON of `saisine extract`)."""

    file: str
    method: str
    fields: dict[str, Any]
    missing: list[str]
    warnings: list[str]
    needs_review: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "method": self.method,
            "fields": {key: self.fields.get(key) for key in FIELD_KEYS},
            "missing": self.missing,
            "warnings": self.warnings,
            "needs_review": self.needs_review,
        }
