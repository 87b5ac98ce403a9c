"""Named form fields: what a content control, a legacy Word field or an AcroForm field
means by its own name ("ecole_nom", "motifs.pap", "NomEleve", "Urgence_Oui"), and
its value handed to the walker's collection like any label's."""

from __future__ import annotations

import re
from functools import lru_cache

from parsers.fields import FIELD_KEYS, MOTIF_CODES, Kind, keys_of
from parsers.matching import GENERIC, index, match_label, motif_code
from parsers.model import FormField
from parsers.text import clean, norm
from parsers.walker import Reader

BOOLS = keys_of(Kind.BOOL)
_CAMEL = re.compile(r"(?<=[a-zé])(?=[A-ZÉ])")
# Names form software gives a field nobody named: they say nothing.
_ANONYMOUS = re.compile(r"(texte|text|case|caseacocher|check|checkbox|champ|field|"
                        r"zone|zonetexte|tf|cb)\s?\d*")


@lru_cache(maxsize=1024)
def field_target(name: str) -> tuple[str | None, str | None]:
    """(target, option) a form field's own name means: "ecole_nom", "motifs.pap",
    "urgence.oui", "NomEleve", "Urgence_Oui"; (None, None) for "Texte12"."""
    if not name:
        return None, None
    base, _, option = name.partition(".")
    if base in FIELD_KEYS and base != "motifs" and not option:
        return base, None
    if base == "motifs" and option in MOTIF_CODES:
        return "motifs", option
    if base == "eleve_niveau" and option:
        return base, option.upper()
    if base in BOOLS and option in ("oui", "non"):
        return base, option
    words = norm(_CAMEL.sub(" ", name)).split()
    if not words or _ANONYMOUS.fullmatch(" ".join(words)):
        return None, None
    if words[-1] in ("oui", "non") and len(words) > 1:
        target = match_label(" ".join(words[:-1]), loose=True)
        if target in BOOLS:
            return target, words[-1]
    if words[0] in ("motif", "motifs") and len(words) > 1:
        code = motif_code(" ".join(words[1:]))
        if code:
            return "motifs", code
    target = match_label(" ".join(words), loose=True)
    if target is None:
        # "NomEcole" -> the label holding every word of the name and the fewest others.
        wanted = set(words)
        labels_with_all = [c for c in index().choices if wanted <= set(c.split())]
        if labels_with_all and len(wanted) > 1:
            target = index().exact[min(labels_with_all, key=len)]
    return target, None


def read_form_fields(reader: Reader, form_fields: list[FormField]) -> None:
    """Hand every named field's value to the reader, marked as read from a form."""
    for ff in form_fields:
        target, option = field_target(ff.name)
        if target is None or target.startswith(GENERIC):
            continue
        if isinstance(ff.value, bool):
            if option is None and target in BOOLS:
                reader.put(target, "oui" if ff.value else "non", "form")
            elif target in BOOLS and option in ("oui", "non") and ff.value:
                reader.put(target, option, "form")
            elif target == "motifs" and option:
                reader.s.motif_options.append((ff.value, option))
            elif target == "eleve_niveau" and option and ff.value:
                reader.put(target, option, "form")
        elif isinstance(ff.value, str) and clean(ff.value):
            reader.put(target, ff.value, "form")
