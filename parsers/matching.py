"""Which field a label means, which motif an option means, and where a label ends.

Shared by the line walker (`parsers.walker`) and the named form fields
(`parsers.formfields`). All wording comes from `fields` and `labels`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from parsers import labels
from parsers.fields import MOTIFS_BY_RANK
from parsers.text import LEADERS, norm, norm_label

GENERIC = "generic:"  # prefix of a generic label's target, resolved by the section
UNKNOWN = "?"  # something shaped like a label that we do not know: its value is dropped


@dataclass(frozen=True)
class _Index:
    exact: dict[str, str]
    prefixes: tuple[str, ...]
    choices: tuple[str, ...]


@lru_cache(maxsize=1)
def index() -> _Index:
    exact: dict[str, str] = {}
    for target, synonyms in labels.FIELD_LABELS.items():
        for synonym in synonyms:
            exact.setdefault(norm_label(synonym), target)
    for generic in labels.GENERIC_LABELS:
        exact[norm_label(generic)] = GENERIC + norm_label(generic)
    prefixes = tuple(sorted((k for k in exact if len(k) >= 8), key=len, reverse=True))
    return _Index(exact, prefixes, tuple(exact))


GENERIC_BY_NORM = {norm_label(k): v for k, v in labels.GENERIC_LABELS.items()}
PAIR_ONLY = {norm_label(s): target for target, synonyms in labels.PAIR_ONLY_LABELS.items()
             for s in synonyms}
_NUMBERING = re.compile(r"^(?:\d{1,2}|[ivx]{1,4}|[a-h])\s+(?=\S)")


def match_label(text: str, loose: bool = False) -> str | None:
    """The target a label means, or None. `loose` also accepts a known label followed
    by extra words ("Actions déjà mises en place par l'équipe"), for places where a
    label is expected (before a colon, in a table's first column)."""
    key = norm_label(text)
    if not key or len(key) > 90:
        return None
    found_index = index()
    stripped = _NUMBERING.sub("", key)
    for candidate in (key, stripped):
        if candidate in found_index.exact:
            return found_index.exact[candidate]
    if len(stripped) >= 6:
        found = process.extractOne(stripped, found_index.choices, scorer=fuzz.ratio,
                                   score_cutoff=90)
        if found:
            return found_index.exact[found[0]]
    if loose and len(stripped.split()) <= 12:
        for prefix in found_index.prefixes:
            if stripped.startswith(prefix + " "):
                return found_index.exact[prefix]
    return None


def section_of(text: str) -> str | None:
    """The section a heading opens ("L'ÉLÈVE" → eleve), or None."""
    words = norm_label(text)
    if not words or len(words.split()) > 8:
        return None
    padded = f" {words} "
    for section, keys in labels.SECTION_WORDS:
        if any(f" {key} " in padded for key in keys):
            return section
    return None


def motif_code(option: str) -> str | None:
    """The motif code an option's wording means, or None."""
    folded = f" {norm(option)} "
    for motif in MOTIFS_BY_RANK:
        if motif.anchored:
            if folded.strip().startswith(motif.words):
                return motif.code
            continue
        if any(f" {norm(w)} " in folded for w in motif.words):
            return motif.code
    return None


# --- where a label ends ---------------------------------------------------------------

_COLON = r"(?<!\d):(?!//)|(?<=\d):(?!\d)"
# A question mark ends a label too: "Y a-t-il urgence ? oui".
_QUESTION = r"\?(?=\s+\S)"
SEP = re.compile(
    rf"\s*(?:{_COLON}|{LEADERS}|{_QUESTION})(?:\s*(?:{_COLON}|{LEADERS}))*\s*")


def _label_suffix(chunk: str) -> tuple[str, str] | None:
    """Split "DUPONT Prénom" into ("DUPONT", "Prénom") when its tail is a known label."""
    words = chunk.split()
    for size in range(min(8, len(words)), 0, -1):
        tail = " ".join(words[-size:])
        if match_label(tail):
            return " ".join(words[:-size]), tail
    return None


def split_pairs(text: str) -> list[tuple[str, str]] | None:
    """"Nom : DUPONT  Prénom : Léa" -> [("Nom", "DUPONT"), ("Prénom", "Léa")]; None if no label."""
    parts = SEP.split(text)
    if len(parts) < 2:
        return None
    pairs: list[tuple[str, str]] = []
    label, value = parts[0], ""
    for i, chunk in enumerate(parts[1:], start=1):
        if i == len(parts) - 1:
            value = f"{value}: {chunk}" if value else chunk
            break
        found = _label_suffix(chunk)
        if found is None:
            # The separator was inside the value ("Il a dit : non"): keep it there.
            value = f"{value}: {chunk}" if value else chunk
            continue
        before, next_label = found
        value = f"{value}: {before}" if value else before
        pairs.append((label, value))
        label, value = next_label, ""
    pairs.append((label, value))
    return pairs


def shaped_like_label(text: str) -> bool:
    words = text.split()
    return 0 < len(words) <= 7 and not any(ch.isdigit() for ch in text) and "@" not in text
