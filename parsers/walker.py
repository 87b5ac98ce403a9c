"""The line walker: reads a `Document`'s lines in order, like a person.

It tracks the section heading it is under (so "Nom" under "L'élève" is the
pupil's name), pairs labels with values (same cell after a colon or leaders,
next cell, next lines), reads ticked options, and keeps a label waiting for its
value on the following lines. What it collects (`State`) is raw text per
target; `parsers.normalise` turns it into the fiche's values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.fields import FIELD_KEYS, FIELDS, Kind, keys_of
from parsers.labels import ELEVE_NOM_PRENOM, IGNORED
from parsers.matching import (
    GENERIC,
    GENERIC_BY_NORM,
    PAIR_ONLY,
    SEP,
    UNKNOWN,
    by_meaning,
    known_label,
    label_suffix,
    match_label,
    motif_code,
    section_of,
    split_pairs,
)
from parsers.model import Line
from parsers.text import (
    PHONE_IN_TEXT,
    bare_mark,
    clean,
    has_marks,
    norm,
    norm_label,
    parse_bool,
    parse_date,
    parse_email,
    parse_options,
)

LONG_TEXT = keys_of(Kind.LONG)
BOOLS = keys_of(Kind.BOOL)
# The section a label's field moves the walker into (a pupil's name opens the pupil's part).
SECTION_OF_FIELD = {f.key: f.section for f in FIELDS if f.opens_section} | {
    ELEVE_NOM_PRENOM: "eleve"}


def _looks_like_heading(text: str) -> bool:
    """Short, and in capitals or numbered: a form's section title, not someone's prose."""
    words = text.split()
    if not words or len(words) > 8 or text.rstrip().endswith((".", ",")):
        return False
    numbered = re.match(r"^\s*(?:\d{1,2}|[IVX]{1,4}|[A-H])\s*[.)\-–/]\s+\w", text)
    return bool(_in_capitals(text) or numbered)


def _in_capitals(text: str) -> bool:
    """"L'ÉLÈVE CONCERNÉ": a title. One word in capitals is a value ("CAMSP", "LEFEBVRE")."""
    letters = [ch for ch in text if ch.isalpha()]
    return len(text.split()) > 1 and len(letters) > 3 and \
        sum(ch.isupper() for ch in letters) / len(letters) > 0.8


_DATE_TEXT = re.compile(r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}|\d{4}-\d{2}-\d{2}"
                        r"|(?:1er|\d{1,2})\s+\w+\.?\s+\d{2,4}")
# The school named in a letterhead, and "38500 Voiron" under it.
_SCHOOL_LINE = re.compile(
    r"^(?:[ÉéEe]cole|ÉCOLE|Groupe scolaire|GROUPE SCOLAIRE|E\.?[EMP]\.?P\.?U\.?)\s+"
    r"(?:(?i:maternelle|[ée]l[ée]mentaire|primaire|publique|priv[ée]e|mixte)|[A-ZÀ-Ý]).{2,70}$")
_WIDE_GAP = re.compile(r"\S(?: {2,}|\u00a0{2,})\S")
POSTCODE_TOWN = re.compile(
    r"(?<!\d)\d{5}\s+([A-ZÀ-Ýa-zà-ÿ][A-ZÀ-Ýa-zà-ÿ' -]{1,40}?)\s*(?:cedex\b.*)?$", re.IGNORECASE)


_PLACE_LE = re.compile(r"^\W*(?:(?i:fait)\s+)?(?:(?i:à|a)\s+)?"
                       r"(?:[A-ZÀ-Ý][^\s,]*(?:[\s-]+[^\s,]+){0,3}\s*,?\s*)?(?i:le)\s")


def _place_and_date(text: str) -> bool:
    """"Fait à Voiron, le 5 octobre 2026", "Moirans, le 14/10/2026", "Le 05/10/2026",
    "Fait le 5.10.26 à Vif": a date with at most a place around it, not a sentence."""
    if not _PLACE_LE.match(text) or not parse_date(text):
        return False
    rest = norm(_DATE_TEXT.sub(" ", text)).split()
    return len([w for w in rest if w not in ("fait", "a", "le")]) <= 3


@dataclass
class State:
    raw: dict[str, str] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    motif_options: list[tuple[bool | None, str]] = field(default_factory=list)
    motif_unchecked_autre: bool = False
    conflicts: set[str] = field(default_factory=set)
    letterhead: dict[str, str] = field(default_factory=dict)  # unlabelled school identity
    section: str | None = None
    pending: str | None = None
    warnings: list[str] = field(default_factory=list)
    unknown_label: str | None = None  # the label shaped like one that no field matches
    unplaced: list[str] = field(default_factory=list)  # unknown labels that carried text
    by_meaning: set[str] = field(default_factory=set)  # fields whose label was matched by its words


class Reader:
    """Walks a document's lines and collects raw values per target."""

    def __init__(self) -> None:
        self.s = State()

    # -- resolution --------------------------------------------------------
    @property
    def begun(self) -> bool:
        """Whether a heading or a label has placed us in a part of the form: above them
        stands only the form's title ("Fiche de demande d'aide"), never a label."""
        return self.s.section is not None

    def label(self, text: str, where_label: bool = True) -> str | None:
        """The target of a label the layout shows as one (a first cell, text before a colon,
        a question, a bold line): by its known wording, else by its words' meaning. None
        when it means no field: the caller makes it a boundary (`unknown`)."""
        found, by_prefix = known_label(text)
        if found is not None and not by_prefix:
            return found
        prefix = found
        meant = by_meaning(text) if where_label else None
        # A topic's label with more words after it ("Situation nécessitant une réponse
        # urgente") is that topic only when the other words do not mean another field; a
        # name's ("NOM de l'enfant concerné") stays what it names.
        if meant is None or (prefix and (prefix not in LONG_TEXT
                                         or self.resolve(prefix) == self.resolve(meant))):
            return prefix
        resolved = self.resolve(meant)
        if resolved:
            self.s.by_meaning.add(resolved)
        return meant

    def unknown(self, label_text: str) -> None:
        """A label that means no field: it ends the value above it, and what it carries is
        kept by nobody (a person is told)."""
        self.s.unknown_label = clean(label_text) or label_text
        self.s.pending = UNKNOWN

    def resolve(self, target: str | None) -> str | None:
        if self.s.section == "reserve" and target and (
                target.startswith(GENERIC) or target in ("date_demande", "signataire")):
            return IGNORED
        if target and target.startswith(GENERIC):
            by_section = GENERIC_BY_NORM[target[len(GENERIC):]]
            return by_section.get(self.s.section, by_section.get(None))
        return target

    def enter(self, target: str | None, label_text: str) -> None:
        """A label was read: it may also open a section ("Nom de l'élève" opens the pupil's)."""
        section = section_of(label_text) if target is None else SECTION_OF_FIELD.get(target)
        if section:
            self.s.section = section

    def put(self, target: str | None, value: str | None, origin: str = "text") -> None:
        if target == UNKNOWN and clean(value) and self.s.unknown_label \
                and self.s.unknown_label not in self.s.unplaced:
            self.s.unplaced.append(self.s.unknown_label)
        if not target or target in (IGNORED, UNKNOWN):
            return
        if value is not None and target not in BOOLS and target not in ("motifs", "eleve_niveau") \
                and has_marks(value) and any(mark is not None for mark, _ in parse_options(value)):
            # Boxes under a label are a choice, whatever the label says: never text.
            self.options(value, None)
            return
        if target == "motifs":
            self.motif_value(value)
            return
        if value is None:
            return
        if (target in BOOLS or target == "eleve_niveau") and has_marks(value):
            self.options(value, target)
            return
        if clean(value) is None:
            return
        existing = self.s.raw.get(target)
        if existing is None:
            self.s.raw[target] = value
            self.s.origin[target] = origin
        elif target in LONG_TEXT and origin == "text" and self.s.origin[target] == "text":
            self.s.raw[target] = f"{existing} {value}"
        elif origin == self.s.origin[target] and target in FIELD_KEYS \
                and norm(existing) != norm(value) and target not in self.s.conflicts:
            # Two different answers to one question: keep the first, and say so.
            self.s.conflicts.add(target)
            self.s.warnings.append(f"{target}: two different values on the fiche; kept the first")

    # -- options -----------------------------------------------------------
    def motif_value(self, value: str | None) -> None:
        if value is None:
            return
        if has_marks(value):
            self.options(value, "motifs")
            return
        for line in value.split("\n"):
            head, _, tail = line.partition(":")
            code = motif_code(head if tail and motif_code(head) else line)
            if code == "autre" and clean(tail):
                self.put("motif_autre", tail)
            if code:
                self.s.motif_options.append((None, code))

    def options(self, text: str, target: str | None) -> None:
        opts = [opt for line in _option_lines(text) for opt in parse_options(line)]
        if not opts:
            return
        mark0, first = opts[0]
        if mark0 is None and target is None:
            # "Demande urgente ☒ oui ☐ non": a label written before the options.
            candidate = self.resolve(self.label(first))
            if candidate:
                target, opts = candidate, opts[1:]
        if target in BOOLS:
            answer = parse_bool(" ".join(
                ("☒ " if m else "☐ " if m is False else "") + t for m, t in opts))
            if answer is not None:
                self.put(target, "oui" if answer else "non", "text")
            return
        if target == "eleve_niveau":
            ticked = [t for m, t in opts if m]
            if len(ticked) == 1:
                self.put(target, ticked[0])
            return
        for mark, option in opts:
            self.option(mark, option, target)

    def option(self, mark: bool | None, option: str, target: str | None) -> None:
        """One ticked or unticked option: a motif, or a single checkbox for a yes/no field."""
        head, _, tail = option.partition(":")
        single = self.resolve(match_label(head, loose=True))
        if single in BOOLS and mark is not None and single != target:
            self.put(single, "oui" if mark else "non")
            return
        code = motif_code(head if tail else option)
        if code is None:
            return
        if code == "autre":
            detail = clean(tail)
            if mark is False:
                self.s.motif_unchecked_autre = True
            elif detail:
                self.put("motif_autre", detail)
        self.s.motif_options.append((mark, code))

    # -- lines -------------------------------------------------------------
    def feed(self, lines: list[Line]) -> None:
        lines = _tick_columns(_join_wrapped_options(lines))
        i = 0
        answers: list[str | None] | None = None  # "Oui | Non" column heads, while they apply
        while i < len(lines):
            cells = list(lines[i].cells)
            filled = [c for c in cells if clean(c) or has_marks(c)]
            if not filled:
                i += 1
                continue
            if answers and len(cells) == len(answers) and self.answer_row(cells, answers):
                i += 1
                continue
            answers = _answer_columns(cells)
            if answers is not None:
                i += 1
                continue
            if len(cells) == 1:
                self.paragraph(cells[0], lines[i].emphasis)
            elif self.header_row(cells, lines[i + 1].cells if i + 1 < len(lines) else None):
                self.columns(cells, lines[i + 1].cells)
                i += 1
            else:
                self.row(_merge_mark_cells(cells))
            i += 1

    def answer_row(self, cells: list[str], answers: list[str | None]) -> bool:
        """"La famille a été informée | X | " under "| Oui | Non": the mark's column answers."""
        label = next((c for c, a in zip(cells, answers) if a is None and clean(c)), None)
        if label is None:
            return False
        ticks = [(a, bare_mark(c)) for c, a in zip(cells, answers) if a is not None]
        if not any(mark for _, mark in ticks):
            return False
        self.row([label, " ".join(f"{'☒' if mark else '☐'} {a}" for a, mark in ticks)])
        return True

    def header_row(self, cells: list[str], following: list[str] | None) -> bool:
        """Labels over values: "Nom | Prénom | Classe", then "DUPONT | Léa | CE1". Most heads
        are labels we know; the others may be labels no field matches ("Statut")."""
        if not following or len(following) != len(cells):
            return False
        named = [c for c in cells if clean(c)]
        if len(named) < 2 or any(SEP.search(c) or has_marks(c) or not _label_shaped(c)
                                 for c in named):
            return False
        known = [n for n, c in enumerate(cells)
                 if clean(c) and match_label(c, loose=True, meaning=True)]
        if len(known) < 2 or len(known) < 0.5 * len(named) \
                or sum(1 for n in known if clean(following[n])) < 2:
            return False
        values = [c for c in following if clean(c)]
        return bool(values) and not any(match_label(c) or has_marks(c) for c in values)

    def columns(self, heads: list[str], values: list[str]) -> None:
        # "Nom | Prénom | Date de naissance": the specific head says whose names these are.
        for head in heads:
            found = self.label(head) if clean(head) else None
            if found and not found.startswith(GENERIC):
                self.enter(found, head)
        for head, value in zip(heads, values):
            if clean(head):
                target = self.resolve(self.label(head))
                if target is None:
                    self.unknown(head)
                    target = UNKNOWN
                self.enter(target, head)
                self.put(target, value)
        self.s.pending = None

    def row(self, cells: list[str]) -> None:
        i = 0
        while i < len(cells):
            cell = cells[i]
            nxt = cells[i + 1] if i + 1 < len(cells) else None
            if not (clean(cell) or has_marks(cell)):
                i += 1
                continue
            lines = [ln for ln in cell.split("\n") if ln.strip()]
            inline = split_pairs(lines[0]) if len(lines) == 1 else None
            if len(lines) > 1 and not match_label(" ".join(lines)) and match_label(lines[0]) \
                    and not has_marks(lines[0]):
                # "Nom de l'élève" over "DUPONT" in one cell: a label with its value below.
                self.paragraph(lines[0])
                for line in lines[1:]:
                    self.paragraph(line)
                i += 1
                continue
            if inline and len(inline) == 1 and not (clean(inline[0][1]) or has_marks(inline[0][1])):
                # "NOM :" in its own cell is a label cell like "NOM": the next cell is its value.
                lines, inline = [inline[0][0]], None
            elif inline and len(inline) == 1 and match_label(inline[0][0]) \
                    and (match_label(inline[0][1]) or "").startswith(GENERIC):
                # "Élève : NOM" | "DUPONT": whose, then a generic label for the next cell.
                self.enter(self.resolve(match_label(inline[0][0])), inline[0][0])
                lines, inline = [inline[0][1]], None
            # A cell that starts with a box is an option ("☐ Situation de crise"), not a label.
            option = _starts_with_box(lines[0])
            joined = " ".join(lines)
            target = None if inline or option else \
                self.resolve(self.label(joined, where_label=_label_shaped(joined)))
            glued = label_suffix(joined) if target is None and not (inline or option) else None
            if glued and clean(glued[0]) and nxt is not None:
                # "Le 12/11/2026 Nom et signature du directeur" | "Mme VIDAL": a date line
                # and the next cell's label, run together in one cell.
                self.paragraph(glued[0])
                target = self.resolve(self.label(glued[1]))
            filled_next = nxt is not None and bool(clean(nxt) or has_marks(nxt))
            if target:
                self.enter(target, cell)
                if filled_next and _has_inner_labels(nxt):
                    # "Élève | Nom : ROUX / Prénom : Zoé": the heading, then its own pairs.
                    self.s.pending = None
                    i += 1
                    continue
                if filled_next:
                    end = i + 2
                    # "Demande urgente | ☐ Oui | ☒ Non": the options may span several cells.
                    while has_marks(nxt or "") and end < len(cells) and has_marks(cells[end]):
                        end += 1
                    self.put(target, " ".join(cells[i + 1:end]))
                    self.s.pending = target if target in LONG_TEXT else None
                    i = end
                    continue
                # Its value cell left empty: the answer is nothing, not the next row.
                self.s.pending = target if nxt is None else None
                i += 2 if nxt is not None else 1
                continue
            motifs_next = [mark for mark, o in parse_options(nxt or "") if motif_code(o)]
            if inline is None and not option and any(m is not None for m in motifs_next) \
                    and _label_shaped(joined):
                # Whatever its words, a label over boxes of motifs is the motifs' label.
                self.enter("motifs", cell)
                self.put("motifs", nxt)
                self.s.pending = None
                i += 2
                continue
            if inline is None and not option and not has_marks(cell) and nxt is not None \
                    and _label_shaped(joined) and not _has_inner_labels(nxt) \
                    and not motifs_next and (filled_next or i == 0):
                # A label no field matches, with its value (or its empty cell): a boundary,
                # the value kept by nobody (a heading's words may still say which part).
                self.s.section = section_of(cell) or self.s.section
                self.unknown(joined)
                self.put(UNKNOWN, nxt)
                self.s.pending = None
                i += 2
                continue
            for line in lines:
                self.paragraph(line)
            i += 1

    def paragraph(self, text: str, emphasis: bool = False) -> None:
        if "\t" in text.strip():
            pieces = text.split("\t")
            if not all(_starts_with_box(p) for p in pieces[1:] if p.strip()):
                self.row(pieces)
                return
            # "Urgente ? ☐ Oui<tab>☒ Non": tabs spacing options, not cells.
            text = " ".join(pieces)
        if "\n" in text:
            for line in _join_wrapped_options([Line([ln]) for ln in text.split("\n")]):
                if line.cells[0].strip():
                    self.paragraph(line.cells[0])
            return
        pairs = split_pairs(text)
        labelled = pairs is not None and self.label(pairs[0][0]) is not None
        if not labelled and _place_and_date(text):
            self.put("date_demande", text)
            self.s.section = "visa"
            return
        if pairs and has_marks(pairs[0][0]):
            pairs = None  # "☒ Autre (préciser) : ..." is an option, not a label
        if pairs:
            first_label = pairs[0][0]
            first = self.label(first_label)
            if first is None and self.s.pending == "motifs" and motif_code(text):
                self.motif_value(text)  # an option's wording with a colon or an ellipsis
                return
            if first is None and self.s.pending in LONG_TEXT and _prose(first_label):
                # "Il a dit : non" inside the situation: a sentence, not a label.
                self.put(self.s.pending, text)
                return
            if first is None and has_marks(text):
                self.options(text, self.s.pending)
                return
            for label_text, value in pairs:
                found = self.label(label_text) or PAIR_ONLY.get(norm_label(label_text))
                if found is None:
                    if not _label_shaped(label_text):
                        if self.s.pending:
                            self.put(self.s.pending, text)
                        return
                    self.unknown(label_text)
                    found = UNKNOWN
                target = self.resolve(found)
                self.enter(target if found != UNKNOWN else None, label_text)
                if clean(value) or has_marks(value):
                    self.put(target, value)
                    self.s.pending = target if target in LONG_TEXT else None
                else:
                    self.s.pending = target
            return
        self.bare_line(text, emphasis)

    def bare_line(self, text: str, emphasis: bool = False) -> None:
        """A line with no separator: options, a label alone, a heading, or a value."""
        pending = self.s.pending
        if has_marks(text):
            choice = pending in BOOLS or pending in ("motifs", "eleve_niveau")
            before = len(self.s.motif_options)
            self.options(text, pending if choice else None)
            if not choice and pending and len(self.s.motif_options) > before:
                # Motif boxes under a label read as another field's: that label was the
                # motifs' ("Nature de la sollicitation"), and the boxes are no text.
                self.s.pending = "motifs"
            return
        found = match_label(text)
        # A bold line is a label once the form has begun; a title in capitals is a heading.
        standing = _question(text) or (emphasis and self.begun and _label_shaped(
            text, words=14) and not _in_capitals(text))
        if found is None and standing:
            # A question, or a bold line, standing above its answer: a label by its layout
            # (or, when its words mean no field but a part of the fiche, a heading).
            found = self.label(text)
            if found is None and (emphasis or not section_of(text)):
                # Even naming a part ("Points d'appui de l'élève"), it ends the text above.
                self.s.section = section_of(text) or self.s.section
                self.unknown(text)
                return
        if found:
            target = self.resolve(found)
            self.enter(target, text)
            self.s.pending = target
            return
        if pending is None and self.letterhead(text.strip()):
            return
        if _WIDE_GAP.search(text):
            parts = re.split(r" {2,}|\u00a0{2,}", text.strip())
            if match_label(parts[0], loose=True):
                # "Commune     Vizille": spaces standing in for a tab.
                self.row(parts)
                return
        section = section_of(text)
        words = len(text.split())
        heading = _looks_like_heading(text)
        if section is None and heading and self.begun:
            # "PERSONNE QUI FORMULE LA DEMANDE": a heading whose words mean a field's part.
            section = SECTION_OF_FIELD.get(self.resolve(by_meaning(text)) or "")
        # Under a waiting label, only a heading-shaped line is a heading: "Médiation avec la
        # famille." or "Enseignante de GS" is a value even though it names a section.
        if section and (heading or (not pending and words <= 5
                                    and not text.rstrip().endswith((".", "!", "?")))):
            self.s.section = section
            self.s.pending = "motifs" if section == "motifs" else None
            return
        # A short line in capitals under a waiting name label is the name ("LEFEBVRE").
        if heading and (pending is None or pending in LONG_TEXT or words > 4):
            self.s.pending = None
            return
        if pending:
            if pending == "motifs":
                self.motif_value(text)
            else:
                self.put(pending, text)
            return
        if self.s.section == "visa" and "date_demande" not in self.s.raw and parse_date(text):
            self.put("date_demande", text)

    def letterhead(self, text: str) -> bool:
        """The school named above the form ("École élémentaire Les Saules" / "38500 VOIRON")."""
        if self.s.section not in (None, "ecole"):
            return False
        if _SCHOOL_LINE.match(text):
            self.s.letterhead.setdefault("ecole_nom", text)
            return True
        if m := POSTCODE_TOWN.search(text):
            self.s.letterhead.setdefault("ecole_commune", m[1])
            return True
        if len(text.split()) > 12:
            return False  # a sentence that gives an address ("À retourner à …") is no letterhead
        email, phone = parse_email(text), PHONE_IN_TEXT.search(text)
        if email:
            self.s.letterhead.setdefault("ecole_email", email)
        if phone:
            self.s.letterhead.setdefault("ecole_telephone", phone[0])
        return bool(email or phone)

_PRONOUNS = frozenset((
    "il", "elle", "ils", "elles", "on", "nous", "je", "j", "tu", "ce", "c", "cela", "ca", "sa",
    "son", "ses", "leur", "mais", "et", "puis", "alors", "car", "donc", "lors", "depuis", "quand"))


def _label_shaped(text: str, words: int = 12) -> bool:
    """Short, with no address, date or sentence end: what a label looks like (its words may
    be known to no field)."""
    found = text.split()
    letters = [ch for ch in text if ch.isalpha()]
    # A label starts a line with a capital ("précoces…)" is an option's wrapped end), and
    # holds no pair of its own ("Nom : ROUX Prénom : Zoé").
    return 0 < len(found) <= words and bool(letters) and letters[0].isupper() and "@" not in text \
        and ":" not in text.rstrip().rstrip(":") \
        and sum(ch.isdigit() for ch in text) <= 2 and not _sentence_end(text)


def _sentence_end(text: str) -> bool:
    """"…plus sortir." ends a sentence; "N° de tél." ends on an abbreviation."""
    stripped = text.rstrip()
    if stripped.endswith("!"):
        return True
    return stripped.endswith(".") and len(stripped.split()[-1].rstrip(".")) > 3


def _starts_with_box(text: str) -> bool:
    options = parse_options(text)
    return bool(options) and options[0][0] is not None


def _prose(text: str) -> bool:
    """The start of a sentence rather than a label: "Il a dit", "Sa maman".. before a colon."""
    words = norm(text).split()
    return not words or words[0] in _PRONOUNS or len(words) > 12


def _question(text: str) -> bool:
    """"3. Qu'avez-vous déjà mis en place ?" standing alone: a label asking for the text below."""
    stripped = text.strip()
    return stripped.endswith("?") and len(stripped.split()) <= 16


_YES_NO_HEADS = {"oui", "non", "yes", "no"}


def _answer_columns(cells: list[str]) -> list[str | None] | None:
    """A row of answer heads ("", "Oui", "Non"): which column means which answer."""
    heads = [norm(c) for c in cells]
    named = [h for h in heads if h]
    if len(named) < 2 or any(h not in _YES_NO_HEADS for h in named):
        return None
    return [clean(c) if h else None for c, h in zip(cells, heads)]


def _merge_mark_cells(cells: list[str]) -> list[str]:
    """"☒ | Harcèlement" -> "☒ Harcèlement": a box drawn in a cell of its own."""
    out: list[str] = []
    i = 0
    while i < len(cells):
        mark = bare_mark(cells[i])
        if mark is not None:
            glyph = "☒" if mark else "☐"
            if i + 1 < len(cells) and clean(cells[i + 1]) and bare_mark(cells[i + 1]) is None:
                out.append(f"{glyph} {cells[i + 1]}")
                i += 2
                continue
            if out and clean(out[-1]) and not has_marks(out[-1]):
                out[-1] = f"{glyph} {out[-1]}"
                i += 1
                continue
        out.append(cells[i])
        i += 1
    return out


def _has_inner_labels(text: str | None) -> bool:
    if not text:
        return False
    for line in text.split("\n"):
        # "Nom : ROUX" on a line, or "Nom<tab>ROUX" from a table nested in the cell.
        head = line.split("\t")[0] if "\t" in line.strip() else None
        pairs = split_pairs(line)
        if head and match_label(head) and not has_marks(head):
            return True
        if pairs and match_label(pairs[0][0], loose=True) and not has_marks(pairs[0][0]):
            return True
    return False


def _tick_columns(lines: list[Line]) -> list[Line]:
    """"Harcèlement | " / "Situation de crise | X": a column holding only marks or nothing,
    over three rows or more with one mark at least, is the options' boxes."""
    out = list(lines)
    i = 0
    while i < len(out):
        end = i
        while end < len(out) and len(out[end].cells) == 2 and clean(out[end].cells[0]) \
                and not has_marks(out[end].cells[0]) \
                and (not out[end].cells[1].strip() or bare_mark(out[end].cells[1]) is not None):
            end += 1
        run = out[i:end]
        if len(run) >= 3 and any(bare_mark(line.cells[1]) for line in run):
            for n, line in enumerate(run, start=i):
                glyph = "☒" if bare_mark(line.cells[1]) else "☐"
                out[n] = Line([f"{glyph} {line.cells[0]}"])
            if i > 0 and len(out[i - 1].cells) == 2:
                # "Motif de la demande | Cocher": the options' heading, and the column's.
                out[i - 1] = Line([out[i - 1].cells[0]], emphasis=True)
        i = max(end, i + 1)
    return out


_STARTS_WITH_X = re.compile(r"[xX]\s")  # "x Harcèlement" is a ticked option, not a wrap


def _join_wrapped_options(lines: list[Line]) -> list[Line]:
    """A ticked option wrapped onto a second line ("☒ Élève à besoins éducatifs" /
    "particuliers") is one option: join lines that continue one in lower case."""
    out: list[Line] = []
    for line in lines:
        text = line.cells[0].strip() if len(line.cells) == 1 else ""
        # Lower case starts a continuation, marks or not ("les parents □ PAP □").
        if out and text and text[0].islower() and not _STARTS_WITH_X.match(text) \
                and not SEP.search(text) \
                and len(out[-1].cells) == 1 and has_marks(out[-1].cells[0]):
            out[-1] = Line([f"{out[-1].cells[0]} {text}"])
        else:
            out.append(line)
    return out


def _option_lines(text: str) -> list[str]:
    """One string per option line; a wrapped line (no mark, lower case) joins the one above."""
    lines: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if lines and (stripped[0].islower() or stripped[0] in "(…") \
                and not _STARTS_WITH_X.match(stripped):
            lines[-1] = f"{lines[-1]} {stripped}"
        else:
            lines.append(stripped)
    return lines
