"""From the raw text the walker collected to the fiche's values, by each field's kind.

Also what only the whole fiche can tell: a name split in two, the commune from
an address or a letterhead, the motifs ticked, what is missing, and whether a
person must look (`needs_review`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from parsers.fields import FIELD_BY_KEY, FIELD_KEYS, Kind, missing_from
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

    fields["motifs"] = _motifs(s, fields)
    if fields["urgence"] is not True:
        # "Si oui, pourquoi" is only meaningful for an urgent request.
        fields["urgence_motif"] = None if fields["urgence"] is False else fields["urgence_motif"]

    missing = missing_from(fields)
    if doc.scanned:
        warnings.append("scan: the fiche is an image; a person must read it")
    needs_review = bool(missing) or doc.scanned or unsure or bool(s.conflicts)
    return Extraction(filename, doc.method, fields, missing, warnings, needs_review,
                      scanned=doc.scanned, labels_seen=doc.labels_seen)


def _motifs(s: State, fields: dict[str, Any]) -> list[str]:
    options = s.motif_options
    ticked = [code for mark, code in options if mark]
    if not ticked:
        ticked = [code for mark, code in options if mark is None]
    if fields["motif_autre"] and not s.motif_unchecked_autre and "autre" not in ticked:
        ticked.append("autre")
    if "autre" not in ticked:
        fields["motif_autre"] = None
    return list(dict.fromkeys(ticked))
