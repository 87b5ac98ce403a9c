"""From the raw text the walker collected to the fiche's values, by each field's kind.

Also what only the whole fiche can tell: a name split in two, the commune from
an address or a letterhead, the motifs ticked, what is missing, and whether a
person must look (`needs_review`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from parsers.fields import FIELD_BY_KEY, FIELD_KEYS, REQUIRED, Kind, missing_from
from parsers.labels import ADRESSE, DEMANDEUR_PRENOM, ELEVE_NOM_PRENOM
from parsers.model import Document, Extraction
from parsers.text import (
    clean,
    parse_bool,
    parse_date,
    parse_email,
    parse_niveau,
    parse_phone,
    parse_uai,
    split_name,
)
from parsers.walker import POSTCODE_TOWN, State

# value, and a warning when the text holds none (a warning never quotes pupil data).
Normaliser = Callable[[str, str], tuple[Any, str | None]]


def _date(key: str, text: str) -> tuple[Any, str | None]:
    value = parse_date(text)
    return value, None if value else f"{key}: not a date"


def _niveau(key: str, text: str) -> tuple[Any, str | None]:
    value = parse_niveau(text)
    return value, None if value else f"{key}: not one of TPS PS MS GS CP CE1 CE2 CM1 CM2"


NORMALISERS: dict[Kind, Normaliser] = {
    Kind.TEXT: lambda key, text: (clean(text), None),
    Kind.LONG: lambda key, text: (clean(text), None),
    Kind.BOOL: lambda key, text: (parse_bool(text), None),
    Kind.DATE: _date,
    Kind.NIVEAU: _niveau,
    Kind.UAI: lambda key, text: parse_uai(text),
    Kind.EMAIL: lambda key, text: (parse_email(text), None),
    Kind.PHONE: lambda key, text: (parse_phone(text) or clean(text), None),
}


def finish(s: State, doc: Document, filename: str) -> Extraction:
    warnings = list(doc.warnings) + s.warnings
    unsure = False
    raw = s.raw
    fields: dict[str, Any] = {key: None for key in FIELD_KEYS}
    for key in FIELD_KEYS:
        value = raw.get(key)
        kind = FIELD_BY_KEY[key].kind
        if value is None or kind == Kind.MOTIFS:
            continue
        fields[key], warning = NORMALISERS[kind](key, value)
        if warning:
            warnings.append(warning)
        # An unreadable date may be a birth date misread: a person checks it.
        unsure = unsure or (kind == Kind.DATE and fields[key] is None)

    if raw.get(ELEVE_NOM_PRENOM) and not (fields["eleve_nom"] or fields["eleve_prenom"]):
        text = clean(raw[ELEVE_NOM_PRENOM]) or ""
        fields["eleve_nom"], fields["eleve_prenom"] = split_name(text)
    # Unlabelled identity comes last: a letterhead, or the town in the school's address.
    town = POSTCODE_TOWN.search(clean(raw.get(ADRESSE)) or "")
    if not fields["ecole_commune"] and town:
        fields["ecole_commune"] = clean(town[1])
    for key, value in s.letterhead.items():
        if not fields[key]:
            fields[key] = parse_email(value) if key == "ecole_email" else \
                parse_phone(value) if key == "ecole_telephone" else clean(value)
    if raw.get(DEMANDEUR_PRENOM) and fields["demandeur_nom"]:
        fields["demandeur_nom"] = f"{clean(raw[DEMANDEUR_PRENOM])} {fields['demandeur_nom']}"

    fields["motifs"] = _motifs(s, fields, warnings)
    if fields["urgence"] is not True:
        # "Si oui, pourquoi" is only meaningful for an urgent request.
        fields["urgence_motif"] = None if fields["urgence"] is False else fields["urgence_motif"]

    missing = missing_from(fields)
    if doc.scanned:
        warnings.append("scan: the fiche is an image; a person must read it")
    # A form's wording, never the school's answer: safe to quote.
    warnings += [UNPLACED.format(label[:60]) for label in s.unplaced]
    for key in REQUIRED:
        doubt = _doubt(key, fields[key])
        if doubt:
            warnings.append(f"{key}: {doubt}")
    confidence = _confidence(s, fields)
    to_check = list(dict.fromkeys(missing + doubted_fields(warnings)))
    # A person must look when a required field is missing or doubtful, when text stood under
    # a label that means nothing known, or when the boxes could not be read; a doubt on an
    # optional field (a UAI's check letter) is shown with the fields, not raised.
    needs_review = any(key in REQUIRED for key in to_check) or doc.scanned or unsure \
        or bool(s.unplaced)
    return Extraction(filename, doc.method, fields, missing, warnings, needs_review,
                      scanned=doc.scanned, labels_seen=doc.labels_seen, confidence=confidence,
                      to_check=to_check)


UNPLACED = "label: « {} » matches no field; its text was not kept"
_UNPLACED = re.compile(r"^label: « (.*) » matches no field")


def doubted_fields(warnings: list[str]) -> list[str]:
    """The fields the warnings are about ("ecole_uai: check letter does not match"), in order."""
    said = (w.split(":", 1)[0] for w in warnings if ":" in w)
    return list(dict.fromkeys(key for key in said if key in FIELD_BY_KEY))


def unplaced_labels(warnings: list[str]) -> list[str]:
    """The labels of a fiche that carried text no field kept (for a person to read)."""
    return [m[1] for w in warnings if (m := _UNPLACED.match(w))]


# How a field was found, from surest to least sure (see `Extraction.confidence`).
FORM, LABEL, MEANING, POSITION = "form", "label", "meaning", "position"
_NAMES = ("ecole_nom", "ecole_commune", "demandeur_nom", "signataire")


def _confidence(s: State, fields: dict[str, Any]) -> dict[str, str]:
    """For each field read: a form field's own name, its label as known, its label matched
    by meaning, or only where it stands (a letterhead, a "Fait à …, le …" line)."""
    found: dict[str, str] = {}
    for key, value in fields.items():
        if value in (None, []):
            continue
        if s.origin.get(key) == "form":
            found[key] = FORM
        elif key in s.by_meaning:
            found[key] = MEANING
        elif key in s.raw or key == "motifs":
            found[key] = LABEL
        else:
            found[key] = POSITION
    return found


def _doubt(key: str, value: Any) -> str | None:
    """Why a required value read does not look like its field, or None."""
    if key in _NAMES and isinstance(value, str) and (
            sum(ch.isdigit() for ch in value) > 2 or len(value.split()) > 12 or "@" in value):
        return "does not look like a name; check it"
    if key == "situation" and isinstance(value, str) and len(value.split()) < 3:
        return "too short to describe a situation; check it"
    return None


# More options than a school deletes to answer, none marked: the boxes were not read.
_MOST_KEPT = 3


def _motifs(s: State, fields: dict[str, Any], warnings: list[str]) -> list[str]:
    options = s.motif_options
    ticked = [code for mark, code in options if mark]
    unmarked = [code for mark, code in options if mark is None]
    if not ticked and any(mark is False for mark, _ in options):
        # Boxes, none ticked: no motif chosen (never the first option, never all).
        warnings.append("motifs: no box ticked")
    elif not ticked and len(unmarked) > _MOST_KEPT:
        warnings.append("motifs: options listed but none marked; the ticks were not read")
    elif not ticked:
        ticked = unmarked
    if fields["motif_autre"] and not s.motif_unchecked_autre and "autre" not in ticked:
        ticked.append("autre")
    if "autre" not in ticked:
        fields["motif_autre"] = None
    return list(dict.fromkeys(ticked))
