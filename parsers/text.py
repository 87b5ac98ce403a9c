"""Turning what people type into clean values: text, dates, yes/no, levels, phones, UAI.

Each function takes a raw string and returns the normalised value, or None
when the string does not hold one. None of them guesses: an ambiguous value is
None, and the mapper decides whether that needs a person.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

import phonenumbers

from parsers import labels

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_PARENS = re.compile(r"\([^)]{0,40}\)")


@lru_cache(maxsize=8192)
def norm(text: str) -> str:
    """Fold a label for comparison: no accents, case, punctuation or "(e)"."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("œ", "oe"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return _NON_ALNUM.sub(" ", text).strip()


_ARTICLE = re.compile(r"^(?:le|la|les|l|un|une)\s+")


@lru_cache(maxsize=8192)
def norm_label(text: str) -> str:
    """`norm` for labels: also drops parentheticals like "(préciser)" or "(en majuscules)"
    and a leading article, so "L'école", "École" and "Ecole :" are one label."""
    return _ARTICLE.sub("", norm(_PARENS.sub(" ", text)))


# Leaders are runs of dots, underscores or ellipses left where nothing was written;
# between a label and its value they are a separator (`parsers.matching`).
LEADERS = r"(?:[.…_·]\s*){3,}|…+|_{2,}"
_LEADERS = re.compile(LEADERS)
_SPACES = re.compile(r"\s+")
_PLACEHOLDERS = frozenset(norm(p) for p in labels.PLACEHOLDERS)
# Trailing full stops and closing brackets belong to the text; leaders are already gone.
_EDGE = " \t:;,-–—_…*•·|"


def clean(text: str | None) -> str | None:
    """Collapse whitespace, drop leaders and placeholders; None when nothing is left."""
    if text is None:
        return None
    for placeholder in labels.PLACEHOLDERS:
        if placeholder in text:
            text = text.replace(placeholder, " ")
    text = _LEADERS.sub(" ", text)
    text = _SPACES.sub(" ", text).strip(_EDGE)
    if not text or norm(text) in _PLACEHOLDERS or not norm(text):
        return None
    return text


# --- dates -----------------------------------------------------------------

_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "mar": 3,
    "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8,
    "septembre": 9, "sept": 9, "sep": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
}  # fmt: skip
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})(?!\d)")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_TEXT_DATE = re.compile(
    r"(?<![a-z0-9])(\d{1,2}|1er)\s+(" + "|".join(sorted(_MONTHS, key=len, reverse=True))
    + r")\.?\s+(\d{4}|\d{2})(?!\d)"
)


def _year(text: str) -> int:
    year = int(text)
    if year < 100:
        # Two-digit years on a fiche are this century: pupils are born after 2000.
        year += 2000
    return year


def parse_date(text: str | None) -> str | None:
    """Find one date in French notation ("05/10/2026", "5.10.26", "le 5 oct. 2026")."""
    if not text:
        return None
    # A regex over the folded text, not dateparser: we must *find* a date in a noisy
    # cell ("Fait à Voiron, le 5 oct. 2026") and never invent one from a lone number.
    candidates: list[tuple[int, int, int]] = []
    if m := _ISO_DATE.search(text):
        candidates.append((int(m[1]), int(m[2]), int(m[3])))
    if m := _NUMERIC_DATE.search(text):
        candidates.append((_year(m[3]), int(m[2]), int(m[1])))
    if m := _TEXT_DATE.search(norm(text)):
        day = 1 if m[1] == "1er" else int(m[1])
        candidates.append((_year(m[3]), _MONTHS[m[2]], day))
    for year, month, day in candidates:
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            continue
    return None


# --- yes / no, levels -------------------------------------------------------

_YES = set(labels.YES)
_NO = set(labels.NO)


def parse_bool(text: str | None) -> bool | None:
    """Oui/Non, as written, ticked or left alone; None when both or neither are there."""
    if not text:
        return None
    options = parse_options(text)
    if any(mark is not None for mark, _ in options):
        # "X Oui   Non": the mark covers only the first word after it.
        ticked = {_first_answer(label) for mark, label in options if mark}
        yes, no = bool(ticked & _YES), bool(ticked & _NO)
        return yes if yes != no else None
    folded = norm(text)
    words = set(folded.split())
    if folded in _YES or ("oui" in words and "non" not in words):
        return True
    if folded in _NO or ("non" in words and "oui" not in words):
        return False
    return None


def _first_answer(label: str) -> str:
    folded = norm(label)
    if folded in _YES or folded in _NO:
        return folded
    return folded.split()[0] if folded else ""


_NIVEAUX = {norm(alias): code for code, aliases in labels.NIVEAUX.items() for alias in aliases}
_NIVEAU_IN_TEXT = re.compile(r"\b(tps|ps|ms|gs|cp|ce ?1|ce ?2|cm ?1|cm ?2)\b")


def parse_niveau(text: str | None) -> str | None:
    """A class level code (TPS…CM2); None when the text names none or several."""
    if not text:
        return None
    folded = norm(text)
    if folded in _NIVEAUX:
        return _NIVEAUX[folded]
    found = {_NIVEAUX[m.replace(" ", "")] for m in _NIVEAU_IN_TEXT.findall(folded)}
    for alias, code in _NIVEAUX.items():
        if len(alias) > 4 and alias in folded:
            found.add(code)
    return found.pop() if len(found) == 1 else None


# --- contact details --------------------------------------------------------

EMAIL_IN_TEXT = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def parse_email(text: str | None) -> str | None:
    if not text:
        return None
    # A PDF cell wraps "ce.0381234x@ac-\ngrenoble.fr": glue the address back together.
    m = EMAIL_IN_TEXT.search(re.sub(r"(?<=[@.\-])\s+|\s+(?=[@.])", "", text))
    return m[0].lower().rstrip(".") if m else None


# A French number written in running text ("04 76 12 34 56", "04.76...", "+33 4 ...").
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.]?\d{2}){4}(?!\d)")
# Characters never shown as they came: a sender's file name or header may carry them.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def parse_phone(text: str | None) -> str | None:
    """A French phone number in national format ("04 76 12 34 56")."""
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


UAI_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{7})\s?([A-Za-z])(?![0-9A-Za-z])")
# The check letter is the 7-digit number modulo 23, in an alphabet without I, O and Q.
_UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def parse_uai(text: str | None) -> tuple[str | None, str | None]:
    """(UAI, warning): the code in upper case, and a warning when its check letter is wrong."""
    if not text:
        return None, None
    m = UAI_IN_TEXT.search(text)
    if not m:
        return None, f"ecole_uai: '{clean(text)}' is not a UAI (7 digits and a letter)"
    uai = m[1] + m[2].upper()
    if _UAI_LETTERS[int(m[1]) % 23] != uai[7]:
        return uai, "ecole_uai: check letter does not match"
    return uai, None


def uai_check_letter(digits: str) -> str:
    return _UAI_LETTERS[int(digits) % 23]


# --- names ------------------------------------------------------------------

def _is_family_name(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def split_name(text: str, family_first: bool = True) -> tuple[str | None, str | None]:
    """(nom, prénom) from "DUPONT Léa": by French convention the family name is in capitals."""
    words = text.split()
    if not words:
        return None, None
    caps = [w for w in words if _is_family_name(w)]
    if caps and len(caps) < len(words):
        rest = [w for w in words if not _is_family_name(w)]
        return " ".join(caps), " ".join(rest)
    if len(words) == 1:
        return words[0], None
    if family_first:
        return words[0], " ".join(words[1:])
    return words[-1], " ".join(words[:-1])


# --- ticked options -----------------------------------------------------------

_BRACKET_CHECKED = r"\[\s*[xX✓✔]\s*\]|\(\s*[xX]\s*\)"
_BRACKET_EMPTY = r"\[\s*\]|\(\s*\)"
_MARK = re.compile(
    rf"({_BRACKET_CHECKED}|{_BRACKET_EMPTY}|[{labels.CHECKED_GLYPHS}{labels.UNCHECKED_GLYPHS}]"
    r"|(?<![\w'’])[xX](?![\w'’]))"
)


def bare_mark(cell: str) -> bool | None:
    """True/False when a cell holds nothing but a ticked/unticked box (or an X); else None."""
    text = cell.strip()
    if not text:
        return None
    if text in ("x", "X") or text in labels.CHECKED_GLYPHS or re.fullmatch(_BRACKET_CHECKED, text):
        return True
    if text in labels.UNCHECKED_GLYPHS or re.fullmatch(_BRACKET_EMPTY, text):
        return False
    return None


def _mark_value(mark: str) -> bool:
    mark = mark.strip()
    return mark in labels.CHECKED_GLYPHS or bool(re.fullmatch(_BRACKET_CHECKED, mark)) \
        or mark in ("x", "X")


_GLYPHS = set(labels.CHECKED_GLYPHS + labels.UNCHECKED_GLYPHS)
_BRACKETS = re.compile(rf"{_BRACKET_CHECKED}|{_BRACKET_EMPTY}")
# A lone X ticks an option ("X Oui   Non", "Oui   X Non") only in short, form-like text.
_LONE_X = re.compile(r"(?:^|(?<=\s))[xX](?=\s+[A-ZÀ-Ýa-zà-ÿ])", re.MULTILINE)


def has_marks(text: str) -> bool:
    if any(ch in _GLYPHS for ch in text) or _BRACKETS.search(text):
        return True
    return bool(_LONE_X.search(text)) and all(len(line) <= 120 for line in text.split("\n"))


def parse_options(text: str) -> list[tuple[bool | None, str]]:
    """Split "☒ Oui ☐ Non" into [(True, "Oui"), (False, "Non")].

    Marks may stand before the option (usual) or after it ("Oui ☒ Non ☐");
    an option with no mark gets None.
    """
    if not has_marks(text):
        cleaned = clean(text)
        return [(None, cleaned)] if cleaned else []
    parts = _MARK.split(text)
    # parts alternates text, mark, text, mark, ...: parts[0] is before the first mark.
    texts = parts[0::2]
    marks = [_mark_value(m) for m in parts[1::2]]
    before = clean(texts[0])
    after = clean(texts[-1])
    options: list[tuple[bool | None, str]] = []
    if before and not after and all(clean(t) for t in texts[:-1]):
        # "Oui ☒ Non ☐": each mark closes the option written before it.
        for mark, label in zip(marks, texts[:-1]):
            options.append((mark, clean(label) or ""))
        return options
    if before:
        options.append((None, before))
    for mark, label in zip(marks, texts[1:]):
        options.append((mark, clean(label) or ""))
    return options

