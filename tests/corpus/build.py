"""Build the test corpus: invented fiches in every layout and notation, with expected JSON.

    python -m tests.corpus.build [OUT_DIR]      (default: tests/data)

Every name, school and situation is invented (seeded random, so the corpus is
the same on every run). Each fiche is written as `NN-layout.ext` beside
`NN-layout.expected.json`, which holds the fields a perfect reader returns.
LibreOffice makes the .doc and exported-PDF variants; scans are rendered from
a PDF and saved as images.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import docx
from docx.oxml import parse_xml
from docx.shared import Pt

from notify.fiche import write_fiche
from parsers.fields import FIELD_KEYS, REQUIRED
from parsers.text import uai_check_letter
from tests.corpus import handmade

SEED = 20261124

# --- invented data ------------------------------------------------------------

COMMUNES = ["Voiron", "Crolles", "Meylan", "Vizille", "Saint-Égrève", "Le Touvet", "Pontcharra",
            "Échirolles", "Vif", "Sassenage", "Domène", "Tullins", "La Mure", "Villard-Bonnot"]
SCHOOLS = ["École élémentaire Jean Jaurès", "École maternelle Les Coquelicots",
           "École primaire Paul Bert", "École élémentaire Les Buclos", "École primaire du Bourg",
           "École maternelle Le Petit Prince", "École élémentaire Jules Ferry",
           "École primaire Marie Curie", "École élémentaire Condorcet", "École primaire Les Tilleuls",
           "Groupe scolaire Louis Pasteur", "École primaire Simone Veil"]
FAMILY = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY",
          "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX",
          "VINCENT", "FOURNIER", "MOREL", "GIRARD", "ANDRÉ", "MERCIER", "BLANC", "GUÉRIN", "BOYER"]
PUPIL_FIRST = ["Léa", "Hugo", "Chloé", "Lucas", "Emma", "Nathan", "Inès", "Louis", "Jade", "Gabriel",
               "Manon", "Raphaël", "Zoé", "Arthur", "Lina", "Noé", "Maëlys", "Adam", "Anaïs", "Timéo"]
ADULT_FIRST = ["Claire", "Sophie", "Nathalie", "Isabelle", "Julien", "Sébastien", "Céline",
               "Stéphane", "Aurélie", "Laurent", "Valérie", "Frédéric", "Hélène", "Olivier"]
FONCTIONS = ["Directrice", "Directeur", "Enseignante", "Enseignant", "Directrice et enseignante de CM2",
             "Enseignante spécialisée", "Directeur chargé de classe"]
NIVEAUX = ["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"]
SITUATIONS = {
    "comportement": "{p} se met régulièrement en danger et frappe ses camarades lors des récréations. "
                    "Les crises durent parfois une heure ; la classe doit alors sortir.",
    "harcelement": "{p} est mis à l'écart par un groupe d'élèves depuis la rentrée. Des moqueries "
                   "circulent aussi sur un groupe de messagerie des familles.",
    "crise": "Un parent d'élève est décédé brutalement la semaine dernière. Les élèves de la classe "
             "sont très affectés et posent beaucoup de questions.",
    "conflit_parents": "Les parents contestent chaque décision de l'équipe et se sont montrés "
                       "agressifs à la sortie de l'école à plusieurs reprises.",
    "bep": "{p} termine toutes les tâches très vite puis perturbe la classe. Un bilan fait état "
           "d'un haut potentiel ; l'équipe souhaite adapter les apprentissages.",
    "pap": "{p} présente des difficultés persistantes en lecture malgré les aides. Un bilan "
           "orthophonique évoque une dyslexie.",
    "segpa_maintien": "{p} est en grande difficulté dans tous les domaines ; l'équipe s'interroge "
                      "sur une orientation en SEGPA ou un maintien exceptionnel.",
    "autre": "{p} refuse de venir à l'école depuis trois semaines et pleure le matin au portail.",
}
ACTIONS = ["Entretiens avec la famille, PPRE mis en place en septembre.",
           "Aménagement de l'emploi du temps, temps calme, contrat de comportement.",
           "Équipe éducative réunie le 2 octobre ; aide du RASED.",
           "Mise en place du protocole pHARe, entretiens avec les élèves concernés.", None]
PARTENAIRES = ["CMP de Voiron", "Orthophoniste en libéral", "RASED (maître E)", "PMI",
               "Psychologue de l'Éducation nationale", None]
ATTENTES = ["Observation en classe et conseils pour l'équipe.",
            "Un appui pour l'équipe éducative prévue en novembre.",
            "Une aide pour accompagner la classe après le drame.",
            "Médiation avec la famille.", None]
URGENCE_MOTIFS = ["Mise en danger de l'élève et des autres.", "Situation qui se dégrade très vite.",
                  "Toute la classe est touchée.", "Menaces proférées par un parent."]
AUTRES = ["Refus scolaire anxieux", "Absentéisme important", "Difficultés d'intégration"]


def _uai(rng: random.Random, valid: bool = True) -> str:
    digits = f"038{rng.randrange(10000):04d}"
    letter = uai_check_letter(digits)
    if not valid:
        letter = "ABCDEFGHJKLMNPRSTUVWXYZ"[("ABCDEFGHJKLMNPRSTUVWXYZ".index(letter) + 5) % 23]
    return digits + letter


def invent(rng: random.Random, index: int) -> dict[str, Any]:
    """One request's canonical values, as a perfect reader would return them."""
    motifs = rng.sample(list(SITUATIONS), k=rng.choice([1, 1, 1, 2]))
    about_class = motifs[0] in ("crise", "conflit_parents") and rng.random() < 0.7
    first, family = rng.choice(PUPIL_FIRST), rng.choice(FAMILY)
    urgent = index % 4 == 1 or motifs[0] == "crise"
    uai = _uai(rng, valid=index % 9 != 3) if index % 7 != 5 else None
    commune = rng.choice(COMMUNES)
    asked = date(2026, 9, 8) + timedelta(days=rng.randrange(80))
    niveau = rng.choice(NIVEAUX)
    teacher = f"{rng.choice(ADULT_FIRST)} {rng.choice(FAMILY)}"
    director = f"{rng.choice(ADULT_FIRST)} {rng.choice(FAMILY)}"
    phone = f"04 76 {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}"
    return {
        "ecole_nom": rng.choice(SCHOOLS),
        "ecole_commune": commune,
        "ecole_uai": uai,
        "ecole_email": f"ce.{uai.lower()}@ac-grenoble.fr" if uai else None,
        "ecole_telephone": phone if index % 5 != 2 else None,
        "demandeur_nom": teacher,
        "demandeur_fonction": rng.choice(FONCTIONS),
        "classe": None if about_class and index % 2 else f"{niveau}" if index % 3 else
        f"{niveau} - Mme {rng.choice(FAMILY).capitalize()}",
        "eleve_nom": None if about_class else family,
        "eleve_prenom": None if about_class else first,
        "eleve_date_naissance": None if about_class else
        (date(2026 - 3 - NIVEAUX.index(niveau), 1, 1) + timedelta(days=rng.randrange(365))).isoformat(),
        "eleve_niveau": None if about_class else niveau,
        "motifs": motifs,
        "motif_autre": rng.choice(AUTRES) if "autre" in motifs else None,
        "situation": SITUATIONS[motifs[0]].format(p=first if not about_class else "L'élève"),
        "actions_menees": rng.choice(ACTIONS),
        "partenaires": rng.choice(PARTENAIRES),
        "attentes": rng.choice(ATTENTES),
        "famille_informee": rng.choice([True, True, False, None]),
        "urgence": urgent,
        "urgence_motif": rng.choice(URGENCE_MOTIFS) if urgent else None,
        "date_demande": asked.isoformat(),
        "signataire": director,
    }


# --- how forms word and mark things --------------------------------------------

WORDINGS: dict[str, dict[str, str]] = {
    "A": {"ecole_nom": "Nom de l'école", "ecole_commune": "Commune", "ecole_uai": "N° RNE",
          "ecole_email": "Courriel", "ecole_telephone": "Téléphone",
          "demandeur_nom": "Nom du demandeur", "demandeur_fonction": "Fonction", "classe": "Classe",
          "eleve_nom": "Nom de l'élève", "eleve_prenom": "Prénom de l'élève",
          "eleve_date_naissance": "Date de naissance", "eleve_niveau": "Niveau",
          "motifs": "Motif(s) de la demande", "motif_autre": "Autre (préciser)",
          "situation": "Description de la situation", "actions_menees": "Actions déjà mises en place",
          "partenaires": "Partenaires déjà sollicités",
          "attentes": "Attentes vis-à-vis du pôle ressource",
          "famille_informee": "La famille a été informée", "urgence": "Demande urgente",
          "urgence_motif": "Si oui, pourquoi", "date_demande": "Date de la demande",
          "signataire": "Nom et signature du directeur"},
    "B": {"ecole_nom": "Établissement", "ecole_commune": "Ville", "ecole_uai": "RNE",
          "ecole_email": "Mail", "ecole_telephone": "Tél.", "demandeur_nom": "Demande formulée par",
          "demandeur_fonction": "Qualité", "classe": "Classe / niveau",
          "eleve_nom": "Nom de l'élève", "eleve_prenom": "Prénom de l'élève",
          "eleve_date_naissance": "Né(e) le", "eleve_niveau": "Niveau de l'élève",
          "motifs": "Objet de la demande", "motif_autre": "Autre (préciser)",
          "situation": "Difficultés observées", "actions_menees": "Aides apportées",
          "partenaires": "Suivis extérieurs", "attentes": "Aide souhaitée",
          "famille_informee": "Parents informés", "urgence": "Caractère urgent",
          "urgence_motif": "Motif de l'urgence", "date_demande": "Date", "signataire": "Visa"},
    "C": {"ecole_nom": "ETABLISSEMENT", "ecole_commune": "Localité", "ecole_uai": "Code UAI",
          "ecole_email": "Adresse électronique", "ecole_telephone": "Tel",
          "demandeur_nom": "Enseignant(e)", "demandeur_fonction": "Fonction", "classe": "Cours",
          "eleve_nom": "NOM DE L'ÉLÈVE", "eleve_prenom": "Prénom de l'élève",
          "eleve_date_naissance": "Date de naissance", "eleve_niveau": "Niveau scolaire",
          "motifs": "Motif de la demande", "motif_autre": "Si autre, préciser",
          "situation": "Situation", "actions_menees": "Actions engagées",
          "partenaires": "Partenaires", "attentes": "Aide attendue",
          "famille_informee": "La famille a-t-elle été informée ?",
          "urgence": "La demande est-elle urgente ?", "urgence_motif": "Motif de l'urgence",
          "date_demande": "Date de la demande", "signataire": "Signature du directeur"},
}  # fmt: skip

MOTIF_TEXTS: dict[str, tuple[str, ...]] = {
    "comportement": ("Suivi d'élèves présentant des troubles sévères du comportement",
                     "Troubles du comportement", "Élève au comportement perturbateur"),
    "harcelement": ("Prévention et gestion de situations sensibles (harcèlement…)", "Harcèlement",
                    "Situation sensible (harcèlement, cyberharcèlement)"),
    "crise": ("Gestion de situations de crise liées à un événement grave (décès, accident…)",
              "Situation de crise (décès, accident)", "Événement grave"),
    "conflit_parents": ("Prévention et gestion de situations conflictuelles avec des parents d'élèves",
                        "Conflit avec des parents", "Relations conflictuelles avec une famille"),
    "bep": ("Suivi d'élèves à besoin éducatif particulier (élèves intellectuellement précoces…)",
            "Élève à besoins éducatifs particuliers", "Élève intellectuellement précoce"),
    "pap": ("Aide à la décision d'élaboration d'un PAP", "Élaboration d'un PAP",
            "Plan d'accompagnement personnalisé (PAP)"),
    "segpa_maintien": ("Aide à la décision d'orientation en SEGPA et de demande de maintien à "
                       "titre exceptionnel", "Orientation SEGPA / maintien",
                       "Demande de maintien exceptionnel"),
    "autre": ("Autre (préciser)", "Autre", "Autre motif"),
}  # fmt: skip

MARKS = {  # notation -> (checked, unchecked); None: option not marked
    "glyph": ("☒", "☐"), "square": ("■", "□"), "bracket": ("[X]", "[ ]"), "x": ("X", ""),
    "check": ("✓", "☐"), "deleted": ("", None),
}
DATE_STYLES = ("%d/%m/%Y", "%-d.%m.%y", "long", "le_abbr", "%d-%m-%Y")
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]
ABBR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc."]


def fmt_date(iso: str | None, style: str) -> str:
    if not iso:
        return ""
    d = date.fromisoformat(iso)
    if style == "long":
        return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
    if style == "le_abbr":
        return f"le {d.day} {ABBR[d.month - 1]} {d.year}"
    return d.strftime(style)


def fmt_phone(phone: str | None, style: int) -> str:
    if not phone:
        return ""
    digits = phone.replace(" ", "")
    return [phone, digits, ".".join(phone.split()), "+33 " + digits[1:2] + " " + phone[3:]][style % 4]


@dataclass
class Style:
    wording: str = "A"
    notation: str = "glyph"
    yesno: str = "marks"  # marks, written
    date_style: str = "%d/%m/%Y"
    phone_style: int = 0
    motif_variant: int = 0
    pairs_per_line: bool = False
    leaders: str = "……………………"
    omit: tuple[str, ...] = ()  # fields this form does not ask
    extra: dict[str, Any] = field(default_factory=dict)


def options_text(opts: list[tuple[bool, str]], notation: str, sep: str = "   ") -> str:
    on, off = MARKS[notation]
    parts = []
    for checked, text in opts:
        mark = on if checked else off
        if mark is None:
            continue
        parts.append(f"{mark} {text}".strip())
    return sep.join(parts)


def value_text(key: str, v: dict[str, Any], st: Style) -> str:
    value = v.get(key)
    if key in ("eleve_date_naissance", "date_demande"):
        return fmt_date(value, st.date_style)
    if key == "ecole_telephone":
        return fmt_phone(value, st.phone_style)
    return "" if value is None else str(value)


def yesno(key: str, v: dict[str, Any], st: Style) -> str:
    value = v.get(key)
    if st.yesno == "written":
        return "" if value is None else "oui" if value else "non"
    notation = st.notation if st.notation in MARKS else "glyph"
    if notation == "deleted":
        return "" if value is None else "Oui" if value else "Non"
    return options_text([(value is True, "Oui"), (value is False, "Non")], notation)


def motif_options(v: dict[str, Any], st: Style) -> list[tuple[bool, str]]:
    opts = []
    for code, texts in MOTIF_TEXTS.items():
        text = texts[st.motif_variant % len(texts)]
        if code == "autre" and "autre" in v["motifs"]:
            text = f"{text} : {v['motif_autre']}"
        opts.append((code in v["motifs"], text))
    return opts


# --- abstract blocks, rendered by each writer ------------------------------------

SECTIONS = (
    ("L'ÉCOLE", ("ecole_nom", "ecole_commune", "ecole_uai", "ecole_telephone", "ecole_email")),
    ("LE DEMANDEUR", ("demandeur_nom", "demandeur_fonction", "classe")),
    ("L'ÉLÈVE", ("eleve_nom", "eleve_prenom", "eleve_date_naissance", "eleve_niveau")),
    ("MOTIF(S) DE LA DEMANDE", ("motifs",)),
    ("LA SITUATION", ("situation", "actions_menees", "partenaires", "attentes")),
    ("FAMILLE ET URGENCE", ("famille_informee", "urgence", "urgence_motif")),
    ("VISA", ("date_demande", "signataire")),
)
LONG = {"situation", "actions_menees", "partenaires", "attentes", "urgence_motif"}
YESNO = {"famille_informee", "urgence"}


def blocks(v: dict[str, Any], st: Style) -> list[tuple]:
    """("h", title) | ("f", key, label, text) | ("motifs", label, options)."""
    words = WORDINGS[st.wording]
    out: list[tuple] = []
    for title, keys in SECTIONS:
        out.append(("h", title))
        for key in keys:
            if key in st.omit:
                continue
            if key == "motifs":
                out.append(("motifs", words["motifs"], motif_options(v, st)))
            elif key in YESNO:
                out.append(("f", key, words[key], yesno(key, v, st)))
            else:
                out.append(("f", key, words[key], value_text(key, v, st)))
    return out


# --- DOCX writers -------------------------------------------------------------------

def _new_docx() -> Any:
    document = docx.Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(10)
    document.add_paragraph("Circonscription de Voiron — Pôle ressource").runs[0].bold = True
    document.add_paragraph("FICHE DE DEMANDE D'INTERVENTION")
    return document


def _save(document: Any) -> bytes:
    # Word always ends a document with a paragraph; without one, LibreOffice's .doc
    # export glues a final table's cells together.
    document.add_paragraph("")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_table(v: dict[str, Any], st: Style, cols: int = 2) -> bytes:
    document = _new_docx()
    table = None
    pending: list[tuple[str, str]] = []

    def flush() -> None:
        nonlocal table
        if not pending:
            return
        table = document.add_table(rows=0, cols=cols)
        table.style = "Table Grid"
        step = cols // 2
        for i in range(0, len(pending), step):
            cells = table.add_row().cells
            for j, (label, text) in enumerate(pending[i:i + step]):
                cells[2 * j].text = label
                cells[2 * j + 1].text = text or (st.leaders if st.leaders else "")
        pending.clear()

    for block in blocks(v, st):
        if block[0] == "h":
            flush()
            document.add_paragraph(block[1]).runs[0].bold = True
        elif block[0] == "f":
            pending.append((block[2], block[3]))
        else:
            flush()
            t = document.add_table(rows=1, cols=2)
            t.style = "Table Grid"
            t.rows[0].cells[0].text = block[1]
            cell = t.rows[0].cells[1]
            lines = [options_text([o], st.notation) for o in block[2]]
            cell.text = "\n".join(line for line in lines if line)
    flush()
    return _save(document)


def docx_paragraphs(v: dict[str, Any], st: Style) -> bytes:
    document = _new_docx()
    row: list[str] = []
    for block in blocks(v, st):
        if block[0] == "h":
            if row:
                document.add_paragraph("\t".join(row))
                row = []
            document.add_paragraph(block[1]).runs[0].bold = True
        elif block[0] == "f":
            _, key, label, text = block
            if key in LONG:
                if row:
                    document.add_paragraph("\t".join(row))
                    row = []
                document.add_paragraph(f"{label} :")
                document.add_paragraph(text or st.leaders)
            elif st.pairs_per_line and key not in YESNO:
                row.append(f"{label} : {text or st.leaders}")
                if len(row) == 2:
                    document.add_paragraph("\t".join(row))
                    row = []
            else:
                if row:
                    document.add_paragraph("\t".join(row))
                    row = []
                document.add_paragraph(f"{label} : {text or st.leaders}")
        else:
            if row:
                document.add_paragraph("\t".join(row))
                row = []
            document.add_paragraph(f"{block[1]} :")
            for opt in block[2]:
                line = options_text([opt], st.notation)
                if line:
                    document.add_paragraph(line)
    if row:
        document.add_paragraph("\t".join(row))
    return _save(document)


def docx_generic_headings(v: dict[str, Any], st: Style) -> bytes:
    """Generic labels ("Nom", "Prénom", "Date") that only the heading above explains."""
    document = _new_docx()

    def para(text: str) -> None:
        document.add_paragraph(text)

    para("1. ÉCOLE")
    para(f"Nom : {v['ecole_nom']}")
    para(f"Commune : {v['ecole_commune']}\tRNE : {v['ecole_uai'] or st.leaders}")
    para(f"Tél : {fmt_phone(v['ecole_telephone'], st.phone_style) or st.leaders}")
    para("2. DEMANDEUR")
    para(f"Nom : {v['demandeur_nom']}")
    para(f"Fonction : {v['demandeur_fonction']}")
    if v["classe"]:
        para(f"Classe : {v['classe']}")
    para("3. ÉLÈVE CONCERNÉ")
    para(f"Nom : {v['eleve_nom'] or st.leaders}\tPrénom : {v['eleve_prenom'] or st.leaders}")
    para(f"Date de naissance : {fmt_date(v['eleve_date_naissance'], st.date_style) or st.leaders}")
    para(f"Niveau : {v['eleve_niveau'] or st.leaders}")
    para("4. MOTIF DE LA DEMANDE")
    for opt in motif_options(v, st):
        line = options_text([opt], st.notation)
        if line:
            para(line)
    para("5. SITUATION")
    para(v["situation"])
    para(f"Aides déjà apportées : {v['actions_menees'] or st.leaders}")
    para(f"Partenaires : {v['partenaires'] or st.leaders}")
    para(f"Aide attendue : {v['attentes'] or st.leaders}")
    para(f"Famille informée : {yesno('famille_informee', v, st)}")
    para(f"Urgence : {yesno('urgence', v, st)}")
    para(f"Si oui, pourquoi : {v['urgence_motif'] or st.leaders}")
    para("6. VISA DU DIRECTEUR")
    para(f"Date : {fmt_date(v['date_demande'], st.date_style)}")
    para(f"Nom : {v['signataire']}")
    return _save(document)


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ' \
       'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"'


def _sdt(text: str, multiline: bool = False) -> str:
    from xml.sax.saxutils import escape

    if not text:
        return (f'<w:sdt {W_NS}><w:sdtPr><w:showingPlcHdr/><w:text/></w:sdtPr><w:sdtContent><w:r>'
                '<w:t>Cliquez ou appuyez ici pour entrer du texte.</w:t></w:r></w:sdtContent></w:sdt>')
    return (f'<w:sdt {W_NS}><w:sdtPr><w:text/></w:sdtPr><w:sdtContent><w:r>'
            f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:sdtContent></w:sdt>')


def _sdt_box(checked: bool) -> str:
    return (f'<w:sdt {W_NS}><w:sdtPr><w14:checkbox><w14:checked w14:val="{int(checked)}"/>'
            '</w14:checkbox></w:sdtPr><w:sdtContent><w:r>'
            f'<w:t>{"☒" if checked else "☐"}</w:t></w:r></w:sdtContent></w:sdt>')


_counter = {"text": 0, "box": 0}


def _legacy_text(text: str) -> list[str]:
    from xml.sax.saxutils import escape

    _counter["text"] += 1
    name = f"Texte{_counter['text']}"
    shown = escape(text) if text else "\u2002" * 5
    return [f'<w:r {W_NS}><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="{name}"/>'
            '<w:enabled/><w:calcOnExit w:val="0"/><w:textInput/></w:ffData></w:fldChar></w:r>',
            f'<w:r {W_NS}><w:instrText xml:space="preserve"> FORMTEXT </w:instrText></w:r>',
            f'<w:r {W_NS}><w:fldChar w:fldCharType="separate"/></w:r>',
            f'<w:r {W_NS}><w:t xml:space="preserve">{shown}</w:t></w:r>',
            f'<w:r {W_NS}><w:fldChar w:fldCharType="end"/></w:r>']


def _legacy_box(checked: bool) -> list[str]:
    _counter["box"] += 1
    name = f"CaseACocher{_counter['box']}"
    state = '<w:checked/>' if checked else ""
    return [f'<w:r {W_NS}><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="{name}"/>'
            f'<w:enabled/><w:calcOnExit w:val="0"/><w:checkBox><w:sizeAuto/>'
            f'<w:default w:val="0"/>{state}</w:checkBox></w:ffData></w:fldChar></w:r>',
            f'<w:r {W_NS}><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>',
            f'<w:r {W_NS}><w:fldChar w:fldCharType="end"/></w:r>']


def _symbol_box(checked: bool) -> list[str]:
    char = "F0FE" if checked else "F0A8"
    return [f'<w:r {W_NS}><w:sym w:font="Wingdings" w:char="{char}"/></w:r>']


def docx_fields(v: dict[str, Any], st: Style, kind: str) -> bytes:
    """Form fields in a label | value table: content controls, legacy fields, symbol boxes."""
    document = _new_docx()
    text_field = {"controls": lambda t: [_sdt(t)], "legacy": _legacy_text,
                  "symbol": lambda t: None}[kind]
    box = {"controls": lambda c: [_sdt_box(c)], "legacy": _legacy_box, "symbol": _symbol_box}[kind]

    def fill(paragraph: Any, text: str) -> None:
        xml = text_field(text)
        if xml is None:
            paragraph.add_run(text or st.leaders)
        else:
            for piece in xml:
                paragraph._p.append(parse_xml(piece))

    def boxes(paragraph: Any, opts: list[tuple[bool, str]]) -> None:
        for checked, label in opts:
            for piece in box(checked):
                paragraph._p.append(parse_xml(piece))
            paragraph.add_run(f" {label}   ")

    for block in blocks(v, Style(**{**st.__dict__, "notation": "glyph", "yesno": "marks"})):
        if block[0] == "h":
            document.add_paragraph(block[1]).runs[0].bold = True
            table = document.add_table(rows=0, cols=2)
            table.style = "Table Grid"
        elif block[0] == "f":
            _, key, label, _text = block
            cells = table.add_row().cells
            cells[0].text = label
            if key in YESNO:
                value = v[key]
                boxes(cells[1].paragraphs[0], [(value is True, "Oui"), (value is False, "Non")])
            else:
                fill(cells[1].paragraphs[0], value_text(key, v, st))
        else:
            cells = table.add_row().cells
            cells[0].text = block[1]
            first = True
            for checked, text in motif_options({**v, "motifs": v["motifs"]}, st):
                paragraph = cells[1].paragraphs[0] if first else cells[1].add_paragraph()
                first = False
                label, _, detail = text.partition(" : ")
                boxes(paragraph, [(checked, label)])
                if label.startswith("Autre"):
                    paragraph.add_run(" : ")
                    fill(paragraph, v["motif_autre"] or "")
    return _save(document)


# --- ODT writers -----------------------------------------------------------------------

def odt(v: dict[str, Any], st: Style, table_layout: bool) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    doc = OpenDocumentText()
    doc.text.addElement(P(text="FICHE DE DEMANDE D'INTERVENTION DU PÔLE RESSOURCE"))
    table = None
    for n, block in enumerate(blocks(v, st)):
        if block[0] == "h":
            doc.text.addElement(P(text=block[1]))
            table = None
            continue
        if table_layout:
            if table is None:
                table = Table(name=f"T{n}")
                table.addElement(TableColumn(numbercolumnsrepeated=2))
                doc.text.addElement(table)
            row = TableRow()
            label_cell, value_cell = TableCell(), TableCell()
            label_cell.addElement(P(text=block[1] if block[0] == "motifs" else block[2]))
            if block[0] == "motifs":
                for opt in block[2]:
                    line = options_text([opt], st.notation)
                    if line:
                        value_cell.addElement(P(text=line))
            else:
                value_cell.addElement(P(text=block[3] or st.leaders))
            row.addElement(label_cell)
            row.addElement(value_cell)
            table.addElement(row)
        elif block[0] == "motifs":
            doc.text.addElement(P(text=f"{block[1]} :"))
            for opt in block[2]:
                line = options_text([opt], st.notation)
                if line:
                    doc.text.addElement(P(text=line))
        else:
            _, key, label, text = block
            if key in LONG:
                doc.text.addElement(P(text=f"{label} :"))
                doc.text.addElement(P(text=text or st.leaders))
            else:
                doc.text.addElement(P(text=f"{label} : {text or st.leaders}"))
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def odt_form_controls(v: dict[str, Any], st: Style) -> bytes:
    """LibreOffice form controls (CheckBox1, TextBox1...) in a label | control table."""
    from odf import draw, form, office
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    doc = OpenDocumentText()
    forms = office.Forms()
    standard = form.Form(name="Standard")
    forms.addElement(standard)
    doc.text.addElement(forms)
    count = {"n": 0}

    def control(value: str | bool, paragraph: Any) -> None:
        count["n"] += 1
        ident = f"control{count['n']}"
        if isinstance(value, bool):
            standard.addElement(form.Checkbox(id=ident, name=f"CheckBox{count['n']}",
                                              currentstate="checked" if value else "unchecked"))
            size = "0.4cm"
        else:
            standard.addElement(form.Text(id=ident, name=f"TextBox{count['n']}",
                                          currentvalue=value))
            size = "8cm"
        paragraph.addElement(draw.Control(control=ident, width=size, height="0.5cm",
                                          anchortype="as-char"))

    table = None
    for n, block in enumerate(blocks(v, st)):
        if block[0] == "h":
            doc.text.addElement(P(text=block[1]))
            table = Table(name=f"T{n}")
            table.addElement(TableColumn(numbercolumnsrepeated=2))
            doc.text.addElement(table)
            continue
        row, label_cell, value_cell = TableRow(), TableCell(), TableCell()
        label_cell.addElement(P(text=block[1] if block[0] == "motifs" else block[2]))
        if block[0] == "motifs":
            for checked, option in block[2]:
                paragraph = P()
                control(checked, paragraph)
                label, _, _detail = option.partition(" : ")
                paragraph.addText(" " + label)
                if label.startswith("Autre"):
                    paragraph.addText(" : ")
                    control(v["motif_autre"] or "", paragraph)
                value_cell.addElement(paragraph)
        elif block[1] in YESNO:
            paragraph = P()
            for option in ("Oui", "Non"):
                control(v[block[1]] is (option == "Oui"), paragraph)
                paragraph.addText(f" {option}   ")
            value_cell.addElement(paragraph)
        else:
            paragraph = P()
            control(value_text(block[1], v, st), paragraph)
            value_cell.addElement(paragraph)
        row.addElement(label_cell)
        row.addElement(value_cell)
        table.addElement(row)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


# Field names an Acrobat user gives: meaningful in their own spelling.
ACROBAT_NAMES = {
    "ecole_nom": "Nom_ecole", "ecole_commune": "Commune", "ecole_uai": "RNE", "ecole_telephone": "Tel",
    "ecole_email": "Mail", "demandeur_nom": "Enseignant", "demandeur_fonction": "Fonction",
    "classe": "Classe", "eleve_nom": "Nom_eleve", "eleve_prenom": "Prenom_eleve",
    "eleve_date_naissance": "Date_naissance", "eleve_niveau": "Niveau", "situation": "Situation",
    "actions_menees": "Actions", "partenaires": "Partenaires", "attentes": "Attentes",
    "urgence_motif": "Pourquoi", "date_demande": "Date", "signataire": "Signature",
    "famille_informee": "Famille", "urgence": "Urgence", "motif_autre": "Autre_precision",
}


def pdf_form(v: dict[str, Any], st: Style, named: bool) -> bytes:
    """A fillable PDF. `named`: Acrobat-style names (ACROBAT_NAMES), radio groups for Oui/Non
    and numbered motif boxes that only the printed text explains. Otherwise every field is
    "Texte12" or "Case3" and only the labels printed beside or above them say what they are."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    width, height = A4
    y = height - 60
    form = c.acroForm
    counters = {"t": 0, "c": 0}

    def text_field(key: str, value: str, x: float, y_: float, w: float, h: float = 15) -> None:
        counters["t"] += 1
        name = ACROBAT_NAMES[key] if named else f"Texte{counters['t']}"
        form.textfield(name=name, value=value, x=x, y=y_, width=w, height=h, fontName="Helvetica",
                       fontSize=9, borderWidth=0.5, fieldFlags="multiline" if h > 20 else "")

    def check(name: str, checked: bool, x: float, y_: float) -> None:
        counters["c"] += 1
        form.checkbox(name=name if named else f"Case{counters['c']}", x=x, y=y_, size=10,
                      checked=checked, buttonStyle="check", borderWidth=0.8)

    c.setFont("Helvetica-Bold", 12)
    c.drawString(50, y, "Demande d'aide au pôle ressource")
    y -= 26
    for block in blocks(v, st):
        if y < 90:
            c.showPage()
            y = height - 60
        if block[0] == "h":
            c.setFont("Helvetica-Bold", 10)
            c.drawString(50, y, block[1])
            y -= 18
            continue
        c.setFont("Helvetica", 9)
        if block[0] == "motifs":
            c.drawString(50, y, block[1] + " :")
            y -= 15
            for n, (checked, text) in enumerate(block[2], start=1):
                label, _, _detail = text.partition(" : ")
                check(f"Motif{n}", checked, 60, y - 2)
                c.drawString(75, y, label)
                if label.startswith("Autre"):
                    text_field("motif_autre", v["motif_autre"] or "", 250, y - 4, 280, 14)
                y -= 15
            continue
        _, key, label, text = block
        if key in YESNO:
            c.drawString(50, y, label)
            for i, option in enumerate(("Oui", "Non")):
                ticked = v[key] is (option == "Oui")
                if named:
                    form.radio(name=ACROBAT_NAMES[key], value=option, selected=ticked,
                               x=260 + 55 * i, y=y - 2, size=10, buttonStyle="circle",
                               borderWidth=0.8)
                else:
                    check("", ticked, 260 + 55 * i, y - 2)
                c.drawString(274 + 55 * i, y, option)
            y -= 18
        elif key in LONG:
            c.drawString(50, y, label + " :")
            text_field(key, value_text(key, v, st), 50, y - 42, width - 100, 36)
            y -= 52
        else:
            c.drawString(50, y, label)
            text_field(key, value_text(key, v, st), 230, y - 4, width - 280)
            y -= 19
    c.save()
    return out.getvalue()


# --- conversions through LibreOffice, scans -----------------------------------------------

def libreoffice(files: list[Path], fmt: str, outdir: Path) -> None:
    soffice = shutil.which("soffice")
    if not soffice or not files:
        raise SystemExit("building the corpus needs LibreOffice (apt-get install "
                         "libreoffice-writer-nogui)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([soffice, f"-env:UserInstallation={Path(tmp).as_uri()}", "--headless",
                        "--convert-to", fmt, "--outdir", str(outdir), *map(str, files)],
                       check=True, capture_output=True, timeout=600)


def scan_of(pdf_bytes: bytes, kind: str) -> bytes:
    import pypdfium2
    from PIL import ImageFilter

    pdf = pypdfium2.PdfDocument(pdf_bytes)
    pages = [pdf[i].render(scale=200 / 72).to_pil().convert("L") for i in range(len(pdf))]
    rng = random.Random(len(pdf_bytes))
    # A slight blur and rotation, like a sheet through an office scanner.
    pages = [p.filter(ImageFilter.GaussianBlur(0.6)).rotate(rng.uniform(-0.6, 0.6), fillcolor=255,
                                                            expand=False) for p in pages]
    out = io.BytesIO()
    if kind == "pdf":
        pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=200)
    else:
        pages[0].save(out, format="PNG" if kind == "png" else "JPEG", quality=85)
    return out.getvalue()


# --- the corpus ------------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    ext: str
    make: Callable[[dict[str, Any], Style], bytes] | None
    style: Style
    convert: str | None = None  # "doc" or "pdf": written as DOCX/ODT, converted by LibreOffice
    scan: str | None = None  # "pdf" or "png": rendered from the text PDF of `make`


SCAN_FIELDS = ("ecole_uai", "ecole_email", "ecole_telephone")
NO_MAIL = ("ecole_email",)  # the generic-heading layout has no e-mail line


def cases() -> list[Case]:
    S = Style
    return [
        Case("docx-table-glyph", "docx", docx_table, S("A", "glyph")),
        Case("docx-table-square", "docx", docx_table, S("B", "square", date_style="long",
                                                         phone_style=1, motif_variant=1)),
        Case("docx-table-bracket", "docx", docx_table, S("C", "bracket", date_style="%-d.%m.%y",
                                                          phone_style=2, motif_variant=2)),
        Case("docx-table-x", "docx", docx_table, S("A", "x", date_style="le_abbr", motif_variant=1)),
        Case("docx-table-deleted", "docx", docx_table, S("B", "deleted", yesno="written",
                                                          leaders="")),
        Case("docx-table-check", "docx", docx_table, S("C", "check", phone_style=3)),
        Case("docx-table4-glyph", "docx", lambda v, s: docx_table(v, s, 4), S("A", "glyph",
                                                                             motif_variant=2)),
        Case("docx-table4-bracket", "docx", lambda v, s: docx_table(v, s, 4),
             S("B", "bracket", date_style="%d-%m-%Y")),
        Case("docx-table4-x", "docx", lambda v, s: docx_table(v, s, 4), S("C", "x", leaders="")),
        Case("docx-para-glyph", "docx", docx_paragraphs, S("A", "glyph")),
        Case("docx-para-bracket", "docx", docx_paragraphs, S("B", "bracket", pairs_per_line=True,
                                                              date_style="long")),
        Case("docx-para-deleted", "docx", docx_paragraphs, S("C", "deleted", yesno="written",
                                                              motif_variant=1, leaders="________")),
        Case("docx-para-x", "docx", docx_paragraphs, S("A", "x", pairs_per_line=True,
                                                        date_style="le_abbr", phone_style=2)),
        Case("docx-para-square", "docx", docx_paragraphs, S("B", "square", motif_variant=2,
                                                             leaders=".................")),
        Case("docx-generic-glyph", "docx", docx_generic_headings, S("A", "glyph", omit=NO_MAIL)),
        Case("docx-generic-deleted", "docx", docx_generic_headings, S("A", "deleted",
                                                                      yesno="written",
                                                                      date_style="long",
                                                                      omit=NO_MAIL)),
        Case("docx-generic-bracket", "docx", docx_generic_headings, S("A", "bracket",
                                                                      motif_variant=1,
                                                                      omit=NO_MAIL)),
        Case("docx-controls", "docx", lambda v, s: docx_fields(v, s, "controls"), S("A")),
        Case("docx-controls-b", "docx", lambda v, s: docx_fields(v, s, "controls"),
             S("B", date_style="long", motif_variant=1)),
        Case("docx-legacy", "docx", lambda v, s: docx_fields(v, s, "legacy"), S("A")),
        Case("docx-legacy-c", "docx", lambda v, s: docx_fields(v, s, "legacy"),
             S("C", date_style="%-d.%m.%y", motif_variant=2)),
        Case("docx-symbol", "docx", lambda v, s: docx_fields(v, s, "symbol"), S("B")),
        Case("docx-own", "docx", lambda v, s: write_fiche("docx", v), S()),
        Case("docx-own-2", "docx", lambda v, s: write_fiche("docx", v), S()),
        Case("odt-table-glyph", "odt", lambda v, s: odt(v, s, True), S("A", "glyph")),
        Case("odt-table-bracket", "odt", lambda v, s: odt(v, s, True), S("B", "bracket",
                                                                       date_style="long")),
        Case("odt-table-x", "odt", lambda v, s: odt(v, s, True), S("C", "x", motif_variant=1)),
        Case("odt-para-glyph", "odt", lambda v, s: odt(v, s, False), S("B", "glyph",
                                                                      date_style="le_abbr")),
        Case("odt-para-deleted", "odt", lambda v, s: odt(v, s, False), S("A", "deleted",
                                                                        yesno="written")),
        Case("odt-own", "odt", lambda v, s: write_fiche("odt", v), S()),
        Case("doc-table", "doc", docx_table, S("A", "glyph"), convert="doc"),
        Case("doc-para", "doc", docx_paragraphs, S("B", "bracket", date_style="long"),
             convert="doc"),
        Case("pdf-text-table", "pdf", docx_table, S("A", "glyph"), convert="pdf"),
        Case("pdf-text-table-b", "pdf", docx_table, S("B", "square", motif_variant=1,
                                                       date_style="long"), convert="pdf"),
        Case("pdf-text-table4", "pdf", lambda v, s: docx_table(v, s, 4), S("C", "bracket"),
             convert="pdf"),
        Case("pdf-text-para", "pdf", docx_paragraphs, S("A", "glyph"), convert="pdf"),
        Case("pdf-text-para-b", "pdf", docx_paragraphs, S("B", "x", pairs_per_line=True,
                                                           date_style="le_abbr"), convert="pdf"),
        Case("pdf-text-odt", "pdf", lambda v, s: odt(v, s, True), S("C", "glyph"), convert="pdf"),
        Case("pdf-text-generic", "pdf", docx_generic_headings, S("A", "glyph", omit=NO_MAIL),
             convert="pdf"),
        Case("pdf-form-own", "pdf", lambda v, s: write_fiche("pdf", v), S()),
        Case("pdf-form-own-2", "pdf", lambda v, s: write_fiche("pdf", v), S()),
        Case("pdf-form-generic", "pdf", lambda v, s: pdf_form(v, s, named=False), S("A")),
        Case("pdf-form-generic-b", "pdf", lambda v, s: pdf_form(v, s, named=False), S("B", date_style="long",
                                                               motif_variant=1)),
        Case("scan-pdf", "pdf", docx_table, S("A", "glyph"), scan="pdf"),
        Case("scan-png", "png", docx_paragraphs, S("A", "glyph"), scan="png"),
        Case("odt-form-controls", "odt", odt_form_controls, S("B", date_style="long")),
        Case("pdf-form-libreoffice", "pdf", odt_form_controls, S("A", motif_variant=1),
             convert="pdf"),
        Case("pdf-form-acrobat", "pdf", lambda v, s: pdf_form(v, s, named=True), S("C", date_style="%-d.%m.%y")),
        Case("pdf-form-acrobat-2", "pdf", lambda v, s: pdf_form(v, s, named=True), S("A", motif_variant=2)),
    ]  # fmt: skip


def expected(v: dict[str, Any], st: Style) -> dict[str, Any]:
    fields = {key: v.get(key) for key in FIELD_KEYS}
    for key in st.omit:
        fields[key] = None
    if not fields["urgence"]:
        fields["urgence_motif"] = None
    return fields


def build(out: Path) -> int:
    rng = random.Random(SEED)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*"):
        if old.is_file():
            old.unlink()
    to_convert: dict[str, list[tuple[Path, str]]] = {"doc": [], "pdf": []}
    all_cases = cases()
    with tempfile.TemporaryDirectory() as tmp:
        for index, case in enumerate(all_cases, start=1):
            v = invent(rng, index)
            stem = f"{index:02d}-{case.name}"
            data = case.make(v, case.style)
            want = expected(v, case.style)
            missing = [k for k in REQUIRED if want[k] in (None, [])]
            doc = {"fields": want, "needs_review": bool(missing) or case.scan is not None}
            if case.scan:
                # From a scan the contract asks only for what checks itself (see
                # parsers/scan.py); "sheet" keeps what a person reads, to count inventions.
                doc["sheet"] = want
                doc["fields"] = {k: (want[k] if k in SCAN_FIELDS else None) for k in want}
                doc["fields"]["motifs"] = []
                source = Path(tmp, stem + ".docx")
                source.write_bytes(data)
                libreoffice([source], "pdf", Path(tmp))
                data = scan_of(Path(tmp, stem + ".pdf").read_bytes(), case.scan)
            if case.convert:
                source_ext = "odt" if data[:2] == b"PK" and b"opendocument" in data[:200] else "docx"
                source = Path(tmp, f"{stem}.{source_ext}")
                source.write_bytes(data)
                to_convert[case.convert].append((source, stem))
            else:
                (out / f"{stem}.{case.ext}").write_bytes(data)
            (out / f"{stem}.expected.json").write_text(
                json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        for fmt, items in to_convert.items():
            if items:
                libreoffice([p for p, _ in items], fmt, out)

        def write(name: str, data: bytes, fields: dict[str, Any]) -> Path:
            path = out / name
            path.write_bytes(data)
            _write_expected(out, path.stem, fields)
            return path

        made = handmade.build(len(all_cases) + 1, write)
        # Two of them again through LibreOffice: as the PDF it exports, and as RTF.
        index = len(all_cases) + len(made)
        for offset, (fiche, fmt, name) in enumerate(
                [(made[0], "pdf", "hand-merged-table-export"), (made[7], "rtf", "hand-tick-rtf")],
                start=1):
            stem = f"{index + offset:02d}-{name}"
            source = Path(tmp, stem + ".docx")
            source.write_bytes(fiche.read_bytes())
            libreoffice([source], fmt, out)
            fields = json.loads((out / f"{fiche.stem}.expected.json").read_text())["fields"]
            _write_expected(out, stem, fields)
    return index + 2


def _write_expected(out: Path, stem: str, fields: dict[str, Any]) -> None:
    full = {key: fields.get(key, [] if key == "motifs" else None) for key in FIELD_KEYS}
    missing = [key for key in REQUIRED if full[key] in (None, [])]
    doc = {"fields": full, "needs_review": bool(missing)}
    (out / f"{stem}.expected.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "data"
    print(f"{build(target)} fiches written to {target}")
