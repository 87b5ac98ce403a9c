"""Which field a label means, which motif an option means, and where a label ends.

Shared by the line walker (`parsers.walker`) and the named form fields
(`parsers.formfields`). All wording comes from `fields` and `labels`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz, process

from parsers import labels
from parsers.fields import FIELD_BY_KEY, MOTIFS_BY_RANK, Kind
from parsers.labels import ADRESSE, IGNORED
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


def match_label(text: str, loose: bool = False, meaning: bool = False) -> str | None:
    """The target a label means, or None. `loose` also accepts a known label followed
    by extra words ("Actions déjà mises en place par l'équipe"), for places where a
    label is expected (before a colon, in a table's first column). `meaning`, where the
    layout already says this is a label, also matches it by its words (`by_meaning`)."""
    found, by_prefix = known_label(text)
    if by_prefix and not loose:
        found = None
    if found is None and meaning:
        found = by_meaning(text)
    return found


def known_label(text: str) -> tuple[str | None, bool]:
    """(target, whether only as a known label followed by extra words): one lookup that
    says both, for the walker, which weighs a prefix against the words' meaning."""
    key = norm_label(text)
    if not key or len(key) > 90:
        return None, False
    found_index = index()
    stripped = _NUMBERING.sub("", key)
    for candidate in (key, stripped):
        if candidate in found_index.exact:
            return found_index.exact[candidate], False
    if len(stripped) >= 6:
        found = process.extractOne(stripped, found_index.choices, scorer=fuzz.ratio,
                                   score_cutoff=90)
        if found:
            return found_index.exact[found[0]], False
    if len(stripped.split()) <= 12:
        for prefix in found_index.prefixes:
            if stripped.startswith(prefix + " "):
                return found_index.exact[prefix], True
    return None, False


# --- labels matched by their meaning ---------------------------------------------------

# Words that say nothing of which field a label means.
_STOPWORDS = frozenset((
    "a", "au", "aux", "avec", "c", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du",
    "elle", "elles", "en", "est", "et", "etc", "eu", "il", "ils", "j", "l", "la", "le", "les",
    "leur", "leurs", "lui", "m", "ma", "mes", "mon", "n", "ne", "on", "ont", "ou", "par", "pas",
    "pour", "qu", "que", "quel", "quelle", "quelles", "quels", "qui", "quoi", "s", "sa", "se",
    "ses", "si", "son", "sont", "sur", "t", "ta", "te", "tes", "ton", "tu", "un", "une", "vos",
    "votre", "vous", "y", "deja", "ete", "etre", "avez", "a-t-il", "avoir", "fait", "faire",
    "precis", "precise", "preciser", "eventuellement", "ci", "dessous", "autre", "autres"))
_STEMMER = snowballstemmer.stemmer("french")
# Stems cut to this many letters: "urgence"/"urgent", "justifier"/"justification" meet.
_STEM_LETTERS = 5
# How sure a label's words must make us, and by how much the best field must lead.
MEANING_MIN = 0.6
MEANING_LEAD = 0.15
HEAD_POOL_MIN = 0.4


@lru_cache(maxsize=8192)
def stems(text: str) -> tuple[str, ...]:
    """The content words of a label, stemmed, in order (parentheses kept: "(UAI)" says much)."""
    words = [w for w in norm(text).split() if w not in _STOPWORDS and len(w) > 1
             and not any(ch.isdigit() for ch in w)]
    return tuple(dict.fromkeys(s[:_STEM_LETTERS] for s in _STEMMER.stemWords(words)))


_KINDS_NAMED = frozenset({Kind.TEXT, Kind.DATE, Kind.NIVEAU, Kind.UAI, Kind.EMAIL, Kind.PHONE,
                          Kind.BOOL})


@dataclass(frozen=True)
class _Meaning:
    stems_of: dict[str, frozenset[str]]  # target -> every stem of its labels
    labels_of: dict[str, tuple[frozenset[str], ...]]  # target -> each label's stems
    weight: dict[str, float]  # stem -> how much it tells (rare across targets: more)
    unknown_weight: float
    heads: dict[str, str]  # a stem that is a whole label by itself ("Classe") -> its target
    firsts: dict[str, frozenset[str]]  # target -> the first stem of each of its labels


@lru_cache(maxsize=1)
def _meaning() -> _Meaning:
    labels_of: dict[str, list[frozenset[str]]] = {}
    heads: dict[str, str] = {}
    firsts: dict[str, set[str]] = {}
    every = [(GENERIC + norm_label(g), g) for g in labels.GENERIC_LABELS] + [
        (target, synonym) for target, synonyms in labels.FIELD_LABELS.items()
        for synonym in synonyms]
    for target, label in every:
        words = stems(label)
        labels_of.setdefault(target, []).append(frozenset(words))
        if words:
            firsts.setdefault(target, set()).add(words[0])
        # Only a short value's label names a kind ("Nom", "Date", "Classe"); a topic's
        # ("Situation", "Motif") does not: "Situation nécessitant une réponse urgente".
        if len(words) == 1 and target not in (IGNORED, ADRESSE) and (
                target.startswith(GENERIC) or target not in FIELD_BY_KEY
                or FIELD_BY_KEY[target].kind in _KINDS_NAMED):
            heads.setdefault(words[0], target)
    stems_of = {t: frozenset().union(*ls) for t, ls in labels_of.items()}
    df = Counter(s for all_stems in stems_of.values() for s in all_stems)
    n = len(stems_of)
    weight = {s: math.log(1 + n / count) for s, count in df.items()}
    # What we drop and the school's address are known by their exact labels only: their
    # words still count against the other fields ("Responsables légaux ont été avertis"
    # is not the family informed), but a near miss of them is an unknown label.
    candidates = {t: st for t, st in stems_of.items() if t not in (IGNORED, ADRESSE)}
    return _Meaning(candidates, {t: tuple(ls) for t, ls in labels_of.items()}, weight,
                    math.log(1 + n), heads, {t: frozenset(f) for t, f in firsts.items()})


def by_meaning(text: str) -> str | None:
    """The target whose labels share the most telling words with this one, or None.

    Each content word counts by how specific it is (a word found in one field's labels
    tells more than "élève", found in many). A word that belongs to other fields'
    labels counts against, a word known nowhere half against. A field one of whose own
    labels the words contain ("Date" in "Date d'envoi") scores more. A field wins with
    enough support and a clear lead over every field it is not a reading of (a generic
    label and the fields it resolves to are one reading).

    A label whose first word is a label by itself ("Classe actuelle", "Nom de l'adulte
    qui sollicite le pôle") names that kind of value: only the fields with a label
    starting so compete, and when none wins, the first word's own field does (a generic
    "Nom" is then read by the part of the fiche it stands in).
    """
    # Examples in brackets ("(CMP, CMPP, SESSAD…)") help when known, never count against.
    words = stems(_PARENS.sub(" ", text))
    examples = tuple(s for s in stems(text) if s not in words)
    if not words or len(words) > 12:
        return None
    m = _meaning()
    words += tuple(s for s in examples if s in m.weight)
    # "École primaire La Fontaine" is a value: a label's other words are not names.
    named = any(w[:1].isupper() and not w.isupper() for w in text.split()[1:])
    head = m.heads.get(words[0]) if len(words) > 1 and not named else None
    pool = {t: own for t, own in m.stems_of.items() if words[0] in m.firsts.get(t, ())} \
        if head else m.stems_of
    # Among labels of one kind, a word beyond the head that only one of them shares is
    # enough ("Nom de la personne qui remplit la fiche": a person's name, the requester).
    return _best(words, pool, m, HEAD_POOL_MIN if head else MEANING_MIN) or head


def _best(words: tuple[str, ...], pool: dict[str, frozenset[str]], m: _Meaning,
          sure: float) -> str | None:
    scores: list[tuple[float, str]] = []
    for target, own in pool.items():
        support = against = unknown = 0.0
        for stem in words:
            w = m.weight.get(stem, m.unknown_weight)
            if stem in own:
                support += w
            elif stem in m.weight:
                against += w
            else:
                unknown += w
        if support == 0:
            continue
        score = support / (support + against + 0.5 * unknown)
        if any(label and label <= set(words) for label in m.labels_of[target]):
            score += 0.2
        scores.append((score, target))
    if not scores:
        return None
    scores.sort(reverse=True)
    best, target = scores[0]
    runner_up = max((score for score, other in scores[1:] if not _same_reading(target, other)),
                    default=0.0)
    if best < sure or best - runner_up < MEANING_LEAD:
        return None
    return target


def _same_reading(a: str, b: str) -> bool:
    """"Prénom" (generic) and eleve_prenom: one is a way to read the other."""
    for generic, other in ((a, b), (b, a)):
        if generic.startswith(GENERIC) and \
                other in GENERIC_BY_NORM[generic[len(GENERIC):]].values():
            return True
    return False


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


def label_suffix(chunk: str) -> tuple[str, str] | None:
    """Split "DUPONT Prénom" into ("DUPONT", "Prénom") when its tail is a known label."""
    words = chunk.split()
    for size in range(min(8, len(words)), 0, -1):
        tail = " ".join(words[-size:])
        if match_label(tail):
            return " ".join(words[:-size]), tail
    return None


_PARENS = re.compile(r"\([^)]*\)")
_ELLIPSIS_IN_BRACKETS = re.compile(r"…(?=\s*[)\]])")


def split_pairs(text: str) -> list[tuple[str, str]] | None:
    """"Nom : DUPONT  Prénom : Léa" -> [("Nom", "DUPONT"), ("Prénom", "Léa")]; None if no label."""
    # "(CMP, orthophoniste…)": an enumeration's ellipsis, not leaders before a value.
    parts = SEP.split(_ELLIPSIS_IN_BRACKETS.sub("", text))
    if len(parts) < 2:
        return None
    pairs: list[tuple[str, str]] = []
    label, value = parts[0], ""
    for i, chunk in enumerate(parts[1:], start=1):
        if i == len(parts) - 1:
            value = f"{value}: {chunk}" if value else chunk
            break
        found = label_suffix(chunk)
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
