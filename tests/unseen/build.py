"""Build the second corpus: fiches in layouts and wordings the engine was never built on.

    python -m tests.unseen.build [OUT_DIR]      (default: tests/data_unseen)

Six invented circonscriptions' forms (a "fiche de saisine", a RASED-style "demande d'aide",
a "fiche navette", numbered questions, a fillable form, content controls), each filled
eight times. None of their labels was taken from `parsers/labels.py` or `parsers/fields.py`,
and the engine gets no synonym from here: it must read them by structure and meaning.
Each fiche is written as raw WordprocessingML (`tests.unseen.wordml`), then LibreOffice makes
the ODT, DOC, RTF and PDF variants (its PDF draws Word's legacy checkboxes as graphics) and
the fillable PDFs. Every name, school and situation is invented; the seeded random makes
the same corpus on every run.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from parsers.fields import FIELD_KEYS, missing_from
from parsers.text import uai_check_letter
from tests.unseen.wordml import (
    Cell,
    Doc,
    Para,
    Run,
    Table,
    legacy_box,
    legacy_text,
    save,
    sdt_box,
    sdt_text,
    tab,
    text,
)

SEED = 20261205
HERE = Path(__file__).parent
DEFAULT_OUT = HERE.parent / "data_unseen"

# --- invented requests ------------------------------------------------------------------

TOWNS = [
    "Fontaine",
    "Seyssins",
    "Claix",
    "Varces",
    "Eybens",
    "Gières",
    "Poisat",
    "Herbeys",
    "Brié-et-Angonnes",
    "Jarrie",
    "Champagnier",
    "Notre-Dame-de-Mésage",
]
SCHOOLS = [
    "École élémentaire Les Iris",
    "École maternelle Les Écureuils",
    "École primaire La Fontaine",
    "École élémentaire Anatole France",
    "École primaire Les Peupliers",
    "École maternelle Jean Macé",
    "Groupe scolaire Robert Desnos",
    "École primaire Le Verger",
]
FAMILIES = [
    "CHEVALIER",
    "PERRIN",
    "MASSON",
    "LEMAIRE",
    "BRUN",
    "GAUTHIER",
    "BARBIER",
    "ROUSSEAU",
    "FAURE",
    "ROLLAND",
    "COLIN",
    "AUBERT",
    "MARCHAND",
    "RENAUD",
    "DUMAS",
    "LACROIX",
]
PUPILS = [
    "Margaux",
    "Théo",
    "Louna",
    "Sacha",
    "Elsa",
    "Mathis",
    "Romane",
    "Yanis",
    "Clémence",
    "Eliott",
    "Ambre",
    "Ilan",
    "Capucine",
    "Naël",
]
ADULTS = [
    "Mme Sandrine",
    "M. Thierry",
    "Mme Véronique",
    "M. Damien",
    "Mme Karine",
    "M. Benoît",
    "Mme Émilie",
    "M. Grégory",
    "Mme Patricia",
    "M. Cédric",
]
ROLES = [
    "Directrice",
    "Directeur",
    "Enseignante de la classe",
    "Enseignant titulaire",
    "Directrice déchargée",
    "Maîtresse de la classe",
]
LEVELS = ["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"]
SITUATIONS = {
    "comportement": "{p} renverse les tables et insulte les adultes plusieurs fois par semaine. "
    "Deux camarades ont été blessés en octobre.",
    "harcelement": "{p} est bousculé(e) chaque jour dans les toilettes par trois élèves plus âgés. "
    "Il ou elle ne veut plus sortir en récréation.",
    "crise": "Une enseignante de l'école a eu un grave accident de voiture le week-end dernier. "
    "Les élèves sont inquiets et en parlent sans cesse.",
    "conflit_parents": "Un père d'élève interpelle l'équipe devant les autres familles et a "
    "menacé la directrice. Le climat de l'école se dégrade.",
    "bep": "{p} s'ennuie, refuse d'écrire et lit des livres de collégien. La famille évoque "
    "une précocité et demande un saut de classe.",
    "pap": "{p} confond encore les sons simples et ne parvient pas à copier au tableau. Un "
    "bilan orthophonique est en cours.",
    "segpa_maintien": "{p} ne maîtrise pas la lecture en fin de cycle 3 malgré deux années "
    "d'aides. La question d'une orientation se pose.",
    "autre": "{p} est absent(e) un jour sur deux depuis la Toussaint, sans justificatif.",
}
ACTIONS = [
    "Entretien avec la famille le 3 novembre ; tutorat par un élève de CM2.",
    "Plan d'aide en classe, prise en charge par le maître E du RASED.",
    "Réunion de l'équipe pédagogique ; emploi du temps aménagé.",
    None,
]
PARTNERS = ["CMPP de Fontaine", "Psychologue libérale", "Service social de secteur", None]
EXPECT = [
    "Un regard extérieur et des pistes concrètes pour la classe.",
    "Participer à l'équipe éducative du mois prochain.",
    "Soutenir l'équipe et les familles après l'événement.",
    None,
]
REASONS = [
    "Un élève a été blessé hier.",
    "La famille menace de porter plainte.",
    "Toute l'école est choquée.",
    "Le comportement se dégrade chaque jour.",
]
OTHER = ["Absentéisme répété", "Refus de s'alimenter à la cantine"]
LANGUAGES = ["arabe et français", "portugais", "turc et français", "français uniquement"]


def _uai(rng: random.Random) -> str:
    digits = f"038{rng.randrange(10000):04d}"
    return digits + uai_check_letter(digits)


def invent(rng: random.Random, n: int) -> dict[str, Any]:
    """One request as a perfect reader returns it (n varies what is there)."""
    motifs = rng.sample(list(SITUATIONS), k=1 if n % 3 else 2)
    whole_school = motifs[0] in ("crise", "conflit_parents")
    level = rng.choice(LEVELS)
    first, family = rng.choice(PUPILS), rng.choice(FAMILIES)
    urgent = motifs[0] in ("crise", "conflit_parents") or n % 4 == 1
    uai = _uai(rng) if n % 5 != 3 else None
    asked = date(2026, 9, 14) + timedelta(days=rng.randrange(75))
    born = date(2026 - 3 - LEVELS.index(level), 1, 1) + timedelta(days=rng.randrange(365))
    return {
        "ecole_nom": rng.choice(SCHOOLS),
        "ecole_commune": rng.choice(TOWNS),
        "ecole_uai": uai,
        "ecole_email": f"ce.{uai.lower()}@ac-grenoble.fr" if uai else None,
        "ecole_telephone": f"04 76 {rng.randrange(10, 99)} {rng.randrange(10, 99)} "
        f"{rng.randrange(10, 99)}"
        if n % 4 != 2
        else None,
        "demandeur_nom": f"{rng.choice(ADULTS)} {rng.choice(FAMILIES)}",
        "demandeur_fonction": rng.choice(ROLES),
        "classe": None if whole_school else level,
        "eleve_nom": None if whole_school else family,
        "eleve_prenom": None if whole_school else first,
        "eleve_date_naissance": None if whole_school else born.isoformat(),
        "eleve_niveau": None if whole_school else level,
        "motifs": motifs,
        "motif_autre": rng.choice(OTHER) if "autre" in motifs else None,
        "situation": SITUATIONS[motifs[0]].format(p=first),
        "actions_menees": rng.choice(ACTIONS),
        "partenaires": rng.choice(PARTNERS),
        "attentes": rng.choice(EXPECT),
        "famille_informee": rng.random() < 0.75,
        "urgence": urgent,
        "urgence_motif": rng.choice(REASONS) if urgent else None,
        "date_demande": asked.isoformat(),
        "signataire": f"{rng.choice(ADULTS)} {rng.choice(FAMILIES)}",
        # Not a field: what a label the engine does not know carries (never to be kept).
        "_langue": rng.choice(LANGUAGES),
    }


def fr_date(iso: str | None, style: int) -> str:
    if not iso:
        return ""
    d = date.fromisoformat(iso)
    months = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ]
    return (
        f"{d:%d/%m/%Y}",
        f"{d.day} {months[d.month - 1]} {d.year}",
        f"{d:%d.%m.%y}",
        f"{d:%d-%m-%Y}",
    )[style % 4]


def phone_text(phone: str | None, style: int) -> str:
    if not phone:
        return ""
    digits = phone.replace(" ", "")
    return (phone, digits, ".".join(digits[i : i + 2] for i in range(0, 10, 2)))[style % 3]


# --- the forms ------------------------------------------------------------------------------


@dataclass
class Filling:
    """One filled fiche: the request, and how this school filled the form."""

    v: dict[str, Any]
    n: int
    urgence_marked: bool = True  # False: both boxes left empty
    famille_marked: bool = True

    def val(self, key: str) -> str:
        value = self.v.get(key)
        if key in ("date_demande", "eleve_date_naissance"):
            return fr_date(value, self.n)
        if key == "ecole_telephone":
            return phone_text(value, self.n)
        return "" if value is None else str(value)

    def answer(self, key: str) -> bool | None:
        marked = self.urgence_marked if key == "urgence" else self.famille_marked
        return self.v[key] if marked else None


GREY, BLUE = "D9D9D9", "DEEAF6"


def bold(s: str) -> Run:
    return text(s, bold=True)


def para(*runs: Run, shade: str | None = None) -> Para:
    return Para(list(runs), shade=shade)


def boxes(options: list[tuple[str, bool | None]], style: str, name: str = "") -> list[Run]:
    """Options with their boxes in one style: glyph, bracket, legacy, sdt."""
    runs: list[Run] = []
    for k, (label, state) in enumerate(options):
        on = bool(state)
        if style == "glyph":
            runs.append(text(("☒ " if on else "☐ ") + label + "    ", font="DejaVu Sans"))
        elif style == "bracket":
            runs.append(text(("[X] " if on else "[ ] ") + label + "   "))
        elif style == "legacy":
            runs += [legacy_box(f"{name}{k + 1}", on), text(" " + label + "    ")]
        else:
            runs += [sdt_box(on), text(" " + label + "    ")]
    return runs


def yes_no(f: Filling, key: str, style: str, name: str = "") -> list[Run]:
    answer = f.answer(key)
    if style == "written":
        return [text("" if answer is None else "oui" if answer else "non")]
    if style == "struck":
        # "OUI / NON (rayer la mention inutile)": the wrong answer struck through.
        return [
            text("OUI", strike=answer is False),
            text(" / "),
            text("NON", strike=answer is True),
            text("  (rayer la mention inutile)"),
        ]
    return boxes([("Oui", answer is True), ("Non", answer is False)], style, name)


def motif_runs(
    f: Filling, wording: dict[str, str], style: str, order: list[str], name: str = ""
) -> list[list[Run]]:
    """One line of runs per option, in the form's order; "autre" carries its detail."""
    lines = []
    for code in order:
        label = wording[code]
        runs = boxes([(label, code in f.v["motifs"])], style, f"{name}{order.index(code)}")
        if code == "autre":
            runs.append(text(f.v["motif_autre"] or "…………………"))
        lines.append(runs)
    return lines


# Form A: "Fiche de saisine", one table, shaded label cells, glyph boxes.
A_LABELS = {
    "ecole_nom": "Établissement demandeur",
    "ecole_commune": "Commune d'implantation",
    "ecole_uai": "Numéro d'identification de l'école (UAI)",
    "ecole_telephone": "Téléphone fixe de l'école",
    "ecole_email": "Adresse de messagerie",
    "demandeur_nom": "Nom de l'adulte qui sollicite le pôle",
    "demandeur_fonction": "Fonction occupée",
    "classe": "Classe fréquentée par l'enfant",
    "eleve_nom": "NOM de l'enfant concerné",
    "eleve_prenom": "Prénom usuel",
    "eleve_date_naissance": "Date de naissance",
    "eleve_niveau": "Niveau de scolarisation",
    "motifs": "Objet de la saisine",
    "situation": "Exposé de la problématique rencontrée",
    "actions_menees": "Aides et actions déjà engagées",
    "partenaires": "Partenaires extérieurs impliqués (CMP, orthophoniste…)",
    "attentes": "Ce que vous attendez du pôle",
    "famille_informee": "Les responsables légaux ont été avertis",
    "urgence": "Cette demande revêt-elle un caractère d'urgence ?",
    "urgence_motif": "Justifier l'urgence",
    "date_demande": "Date d'envoi",
    "signataire": "Nom et visa de la direction",
}
A_MOTIFS = {
    "comportement": "Élève présentant des troubles importants du comportement",
    "harcelement": "Situation de harcèlement ou situation sensible",
    "crise": "Événement grave : décès, accident, agression",
    "conflit_parents": "Relations conflictuelles avec une famille",
    "bep": "Élève à besoins éducatifs particuliers (EIP, troubles des apprentissages)",
    "pap": "Mise en place d'un PAP",
    "segpa_maintien": "Orientation SEGPA / maintien exceptionnel",
    "autre": "Autre : ",
}


def form_a(f: Filling) -> Doc:
    rows: list[list[Cell]] = []

    def head(title: str) -> None:
        rows.append([Cell([para(bold(title))], shade=BLUE, span=2, width=9800)])

    def row(label: str, *runs: Run, lines: list[list[Run]] | None = None) -> None:
        value = [Para(r) for r in lines] if lines else [Para(list(runs))]
        rows.append([Cell([para(bold(label))], shade=GREY, width=3600), Cell(value, width=6200)])

    head("IDENTIFICATION DE L'ÉCOLE")
    for key in ("ecole_nom", "ecole_commune", "ecole_uai", "ecole_telephone", "ecole_email"):
        row(A_LABELS[key], text(f.val(key)))
    head("PERSONNE QUI FORMULE LA DEMANDE")
    for key in ("demandeur_nom", "demandeur_fonction"):
        row(A_LABELS[key], text(f.val(key)))
    head("ENFANT CONCERNÉ (le cas échéant)")
    for key in ("classe", "eleve_nom", "eleve_prenom", "eleve_date_naissance", "eleve_niveau"):
        row(A_LABELS[key], text(f.val(key)))
    row("Langue(s) parlée(s) à la maison", text(f.v["_langue"] if f.v["eleve_nom"] else ""))
    head("LA DEMANDE")
    row(A_LABELS["motifs"], lines=motif_runs(f, A_MOTIFS, "glyph", list(A_MOTIFS)))
    for key in ("situation", "actions_menees", "partenaires", "attentes"):
        row(A_LABELS[key], text(f.val(key)))
    row(A_LABELS["famille_informee"], *yes_no(f, "famille_informee", "glyph"))
    row(A_LABELS["urgence"], *yes_no(f, "urgence", "glyph"))
    row(A_LABELS["urgence_motif"], text(f.val("urgence_motif")))
    row(A_LABELS["date_demande"], text(f.val("date_demande")))
    row(A_LABELS["signataire"], text(f.val("signataire")))
    return Doc(
        [
            para(text("Circonscription de Grenoble 5 — Pôle ressource", size=9)),
            para(text("FICHE DE SAISINE DU PÔLE RESSOURCE", bold=True, size=14)),
            para(text("À retourner par courriel au secrétariat de la circonscription.", size=9)),
            Table(rows),
        ]
    )


# Form B: "Demande d'aide", paragraphs; short answers after a colon, long ones under
# their label; bracket boxes; a struck "OUI / NON".
B_LABELS = {
    "ecole_nom": "École d'exercice",
    "ecole_commune": "Ville",
    "ecole_uai": "Code établissement",
    "ecole_email": "Courriel de contact",
    "ecole_telephone": "Tél. fixe",
    "demandeur_nom": "Rédigée par",
    "demandeur_fonction": "Poste occupé",
    "classe": "Classe (niveau)",
    "eleve_nom": "Nom d'usage de l'élève",
    "eleve_prenom": "Prénom(s) de l'élève",
    "eleve_date_naissance": "Date de naissance",
    "eleve_niveau": "Niveau fréquenté",
    "motifs": "Nature de la sollicitation",
    "situation": "Difficultés constatées par l'équipe",
    "actions_menees": "Qu'a-t-on déjà essayé ?",
    "partenaires": "Professionnels qui suivent déjà l'enfant",
    "attentes": "Aide espérée de la part du pôle",
    "famille_informee": "Information préalable de la famille",
    "urgence": "Traitement en urgence demandé",
    "urgence_motif": "Éléments justifiant l'urgence",
    "date_demande": "Date de rédaction",
    "signataire": "Signature de la direction",
}
B_MOTIFS = {
    "comportement": "comportement / violence",
    "harcelement": "harcèlement entre élèves",
    "crise": "crise (deuil, accident)",
    "conflit_parents": "conflit avec les parents",
    "bep": "besoins éducatifs particuliers",
    "pap": "PAP",
    "segpa_maintien": "SEGPA ou maintien",
    "autre": "autre (préciser) : ",
}


def form_b(f: Filling) -> Doc:
    blocks: list[Para | Table] = [
        para(text("RASED et pôle ressource — circonscription de Vizille", size=9)),
        para(text("DEMANDE D'AIDE", bold=True, size=14)),
        para(text("")),
    ]

    def short(key: str) -> None:
        blocks.append(para(text(f"{B_LABELS[key]} : "), text(f.val(key) or "……………………")))

    def long(key: str, value: str | None = None) -> None:
        blocks.append(para(bold(B_LABELS.get(key, key))))
        blocks.append(para(text(value if value is not None else f.val(key))))
        blocks.append(para(text("")))

    blocks.append(para(bold("L'école"), shade=GREY))
    for key in ("ecole_nom", "ecole_commune", "ecole_uai", "ecole_email", "ecole_telephone"):
        short(key)
    blocks.append(para(bold("Qui fait la demande ?"), shade=GREY))
    for key in ("demandeur_nom", "demandeur_fonction"):
        short(key)
    blocks.append(para(bold("L'élève"), shade=GREY))
    for key in ("eleve_nom", "eleve_prenom", "eleve_date_naissance", "classe", "eleve_niveau"):
        short(key)
    blocks.append(para(bold("La demande"), shade=GREY))
    blocks.append(para(bold(B_LABELS["motifs"] + " :")))
    for runs in motif_runs(f, B_MOTIFS, "bracket", list(B_MOTIFS)):
        blocks.append(Para(runs))
    long("situation")
    if f.v["eleve_nom"]:
        long("Points d'appui de l'élève", "Aime dessiner et s'occuper des plus petits.")
    for key in ("actions_menees", "partenaires", "attentes"):
        long(key)
    blocks.append(
        para(text(B_LABELS["famille_informee"] + " : "), *yes_no(f, "famille_informee", "struck"))
    )
    blocks.append(para(text(B_LABELS["urgence"] + " : "), *yes_no(f, "urgence", "bracket")))
    short("urgence_motif")
    short("date_demande")
    blocks.append(para(text(B_LABELS["signataire"] + " : "), text(f.val("signataire"))))
    return Doc(blocks)


# Form C: "Fiche navette", grids: column heads over values, a tick column, Oui/Non columns.
C_HEADS_SCHOOL = [
    ("ecole_nom", "École (nom complet)"),
    ("ecole_commune", "Commune de rattachement"),
    ("ecole_uai", "Identifiant UAI"),
]
C_HEADS_CONTACT = [
    ("demandeur_nom", "Adulte référent de la demande"),
    ("demandeur_fonction", "Statut"),
    ("ecole_telephone", "N° de tél."),
    ("ecole_email", "Contact mail"),
]
C_HEADS_PUPIL = [
    ("eleve_nom", "NOM"),
    ("eleve_prenom", "Prénom"),
    ("eleve_date_naissance", "Né(e) le"),
    ("classe", "Classe actuelle"),
]
C_MOTIFS = {
    "comportement": "Comportement perturbateur ou violent",
    "harcelement": "Élève victime de harcèlement",
    "crise": "Deuil ou accident touchant l'école",
    "conflit_parents": "Désaccord / conflit avec une famille",
    "bep": "Élève à haut potentiel ou à besoins particuliers",
    "pap": "Demande de PAP",
    "segpa_maintien": "Maintien ou orientation SEGPA",
    "autre": "Autre motif : ",
}


def form_c(f: Filling) -> Doc:
    def grid(heads: list[tuple[str, str]]) -> Table:
        w = 9800 // len(heads)
        return Table(
            [
                [Cell([para(bold(h))], shade=GREY, width=w) for _, h in heads],
                [Cell([para(text(f.val(k)))], width=w) for k, _ in heads],
            ]
        )

    tick_rows = [
        [
            Cell([para(bold("Motif de la sollicitation"))], shade=GREY, width=7800),
            Cell([para(bold("Cocher"))], shade=GREY, width=2000),
        ]
    ]
    for code, label in C_MOTIFS.items():
        detail = (f.v["motif_autre"] or "") if code == "autre" else ""
        tick_rows.append(
            [
                Cell([para(text(label + detail))], width=7800),
                Cell([para(text("X" if code in f.v["motifs"] else ""))], width=2000),
            ]
        )
    answers = [
        [
            Cell([para(text(""))], width=6800),
            Cell([para(bold("Oui"))], width=1500),
            Cell([para(bold("Non"))], width=1500),
        ]
    ]
    for key, label in (
        ("famille_informee", "Famille prévenue de la démarche"),
        ("urgence", "Situation nécessitant une réponse urgente"),
    ):
        answer = f.answer(key)
        answers.append(
            [
                Cell([para(text(label))], width=6800),
                Cell([para(text("X" if answer is True else ""))], width=1500),
                Cell([para(text("X" if answer is False else ""))], width=1500),
            ]
        )
    blocks: list[Para | Table] = [
        para(text("FICHE NAVETTE ÉCOLE – CIRCONSCRIPTION", bold=True, size=14)),
        para(bold("1. Établissement")),
        grid(C_HEADS_SCHOOL),
        grid(C_HEADS_CONTACT),
        para(bold("2. Élève concerné")),
        grid(C_HEADS_PUPIL),
        para(bold("3. Motif")),
        Table(tick_rows),
        para(bold("4. Ce qui pose problème aujourd'hui")),
        para(text(f.val("situation"))),
        para(bold("5. Adaptations déjà tentées en classe")),
        para(text(f.val("actions_menees"))),
        para(bold("6. Intervenants déjà sollicités (santé, social…)")),
        para(text(f.val("partenaires"))),
        para(bold("7. Votre demande au pôle ressource")),
        para(text(f.val("attentes"))),
        Table(answers),
        para(text("Si oui, expliquer : "), text(f.val("urgence_motif"))),
        para(
            text(f"Le {f.val('date_demande')}"),
            tab(),
            tab(),
            text(f"Le directeur / la directrice : {f.val('signataire')}"),
        ),
    ]
    return Doc(blocks)


# Form D: "Demande d'intervention de l'équipe ressource", numbered questions with their
# answers underneath, Word's legacy checkboxes (graphics once exported to PDF).
D_MOTIFS = {
    "segpa_maintien": "Aide à la décision : orientation en SEGPA, maintien exceptionnel",
    "comportement": "Troubles sévères du comportement",
    "bep": "Besoins éducatifs particuliers (précocité, troubles dys…)",
    "harcelement": "Harcèlement, situation sensible",
    "pap": "Élaboration d'un PAP",
    "crise": "Situation de crise après un événement grave",
    "conflit_parents": "Situation conflictuelle avec des parents",
    "autre": "Autre, à préciser : ",
}


def form_d(f: Filling) -> Doc:
    blocks: list[Para | Table] = [
        para(text("Inspection de l'Éducation nationale — circonscription du Vercors", size=9)),
        para(text("DEMANDE D'INTERVENTION DE L'ÉQUIPE RESSOURCE", bold=True, size=13)),
    ]

    def dotted(label: str, key: str) -> None:
        blocks.append(para(text(f"{label} ……… {f.val(key)}")))

    dotted("Nom de l'école", "ecole_nom")
    dotted("Commune", "ecole_commune")
    dotted("Coordonnées téléphoniques", "ecole_telephone")
    dotted("Adresse courriel de l'école", "ecole_email")
    dotted("N° UAI", "ecole_uai")
    dotted("Nom de la personne qui remplit la fiche", "demandeur_nom")
    dotted("Fonction", "demandeur_fonction")
    blocks.append(para(bold("Enfant concerné"), shade=GREY))
    blocks.append(
        para(
            text(f"Nom, prénom : {f.val('eleve_nom')} {f.val('eleve_prenom')}".rstrip()),
            tab(),
            text(f"Date de naissance : {f.val('eleve_date_naissance')}"),
        )
    )
    blocks.append(
        para(
            text(f"Classe : {f.val('classe')}"),
            tab(),
            tab(),
            text(f"Niveau : {f.val('eleve_niveau')}"),
        )
    )
    blocks.append(para(bold("Pour quelle(s) raison(s) sollicitez-vous l'équipe ?")))
    for runs in motif_runs(f, D_MOTIFS, "legacy", list(D_MOTIFS), "Motif"):
        blocks.append(Para(runs))
    questions = [
        ("1. Quelle situation vous amène à solliciter l'équipe ?", "situation"),
        ("2. Qu'avez-vous déjà mis en œuvre ?", "actions_menees"),
        ("3. Quels sont les points forts de l'enfant ?", None),
        ("4. D'autres professionnels interviennent-ils ?", "partenaires"),
        ("5. Qu'attendez-vous précisément de l'équipe ?", "attentes"),
    ]
    for question, key in questions:
        if key is None and not f.v["eleve_nom"]:
            continue
        blocks.append(para(bold(question)))
        blocks.append(para(text(f.val(key) if key else "Il est très curieux et serviable.")))
    blocks.append(
        para(
            text("6. Les parents sont-ils au courant de cette demande ?  "),
            *yes_no(f, "famille_informee", "legacy", "Famille"),
        )
    )
    blocks.append(
        para(
            text("7. Cette situation est-elle urgente ?  "),
            *yes_no(f, "urgence", "legacy", "Urgence"),
        )
    )
    blocks.append(para(text(f"Si oui, en quoi : {f.val('urgence_motif')}")))
    blocks.append(para(text(f"Fait à {f.v['ecole_commune']}, le {f.val('date_demande')}")))
    blocks.append(para(text(f"Signature du directeur ou de la directrice : {f.val('signataire')}")))
    return Doc(blocks)


# Form E: a form with Word's legacy text fields named Texte1, Texte2... and checkboxes named
# CaseACocher1...: as a DOCX, and as the fillable PDF LibreOffice exports from it.
E_LABELS = [
    ("ecole_nom", "Nom officiel de l'établissement"),
    ("ecole_commune", "Commune (siège de l'école)"),
    ("ecole_uai", "Code UAI"),
    ("ecole_telephone", "Numéro de téléphone"),
    ("ecole_email", "Adresse électronique"),
    ("demandeur_nom", "Personne à l'initiative de la demande"),
    ("demandeur_fonction", "Fonction exercée"),
    ("classe", "Classe"),
    ("eleve_nom", "Nom de l'élève"),
    ("eleve_prenom", "Son prénom"),
    ("eleve_date_naissance", "Sa date de naissance"),
    ("eleve_niveau", "Son niveau"),
]
E_LONG = [
    ("situation", "Présentation synthétique de la situation"),
    ("actions_menees", "Mesures et aides déjà engagées"),
    ("partenaires", "Suivis en cours (CMP, CMPP, SESSAD…)"),
    ("attentes", "Attendus vis-à-vis de l'équipe"),
]
E_MOTIFS = {
    "comportement": "Comportement",
    "harcelement": "Harcèlement",
    "crise": "Crise",
    "conflit_parents": "Conflit avec des parents",
    "bep": "BEP",
    "pap": "PAP",
    "segpa_maintien": "SEGPA / maintien",
    "autre": "Autre : ",
}


def form_e(f: Filling) -> Doc:
    count = {"text": 0, "box": 0}

    def field(key: str) -> Run:
        count["text"] += 1
        return legacy_text(f"Texte{count['text']}", f.val(key))

    def box_runs(options: list[tuple[str, bool | None]]) -> list[Run]:
        runs = []
        for label, state in options:
            count["box"] += 1
            runs += [legacy_box(f"CaseACocher{count['box']}", bool(state)), text(f" {label}   ")]
        return runs

    rows = [
        [Cell([para(text(label))], width=3800), Cell([para(field(key))], width=6000)]
        for key, label in E_LABELS
    ]
    motif_lines = []
    for code, label in E_MOTIFS.items():
        runs = box_runs([(label, code in f.v["motifs"])])
        if code == "autre":
            count["text"] += 1
            runs.append(legacy_text(f"Texte{count['text']}", f.v["motif_autre"] or ""))
        motif_lines.append(Para(runs))
    rows.append(
        [Cell([para(text("Raison(s) de la saisine"))], width=3800), Cell(motif_lines, width=6000)]
    )
    for key, label in E_LONG:
        rows.append([Cell([para(text(label))], width=3800), Cell([para(field(key))], width=6000)])
    for key, label in (
        ("famille_informee", "Famille avisée de la saisine"),
        ("urgence", "Demande à caractère urgent"),
    ):
        answer = f.answer(key)
        rows.append(
            [
                Cell([para(text(label))], width=3800),
                Cell(
                    [Para(box_runs([("Oui", answer is True), ("Non", answer is False)]))],
                    width=6000,
                ),
            ]
        )
    rows.append(
        [
            Cell([para(text("Raison de l'urgence"))], width=3800),
            Cell([para(field("urgence_motif"))], width=6000),
        ]
    )
    rows.append(
        [Cell([para(text("Fait le"))], width=3800), Cell([para(field("date_demande"))], width=6000)]
    )
    rows.append(
        [Cell([para(text("Signature"))], width=3800), Cell([para(field("signataire"))], width=6000)]
    )
    return Doc(
        [
            para(text("Pôle ressource de la circonscription de Saint-Marcellin", bold=True)),
            para(text("Formulaire de saisine — à compléter à l'écran", size=10)),
            Table(rows),
        ]
    )


# Form F: content controls, a column of labels, the signature in a control of its own.
F_LABELS = [
    ("ecole_nom", "Nom de l'école ou du groupe scolaire"),
    ("ecole_commune", "Commune / arrondissement"),
    ("ecole_uai", "RNE de l'école"),
    ("ecole_email", "Adresse électronique de la direction"),
    ("ecole_telephone", "Téléphone direction"),
    ("demandeur_nom", "Demandeur (NOM, prénom)"),
    ("demandeur_fonction", "Fonction du demandeur"),
    ("classe", "Classe"),
    ("eleve_nom", "Élève : NOM"),
    ("eleve_prenom", "Élève : prénom"),
    ("eleve_date_naissance", "Date de naissance"),
    ("eleve_niveau", "Niveau"),
]
F_LONG = [
    ("situation", "Description factuelle de la situation"),
    ("actions_menees", "Démarches déjà menées par l'équipe"),
    ("partenaires", "Autres professionnels impliqués"),
    ("attentes", "Attentes précises"),
]
F_MOTIFS = {
    "comportement": "Troubles du comportement",
    "harcelement": "Harcèlement / cyberharcèlement",
    "crise": "Situation de crise",
    "conflit_parents": "Conflit école-famille",
    "bep": "Besoins éducatifs particuliers",
    "pap": "Élaboration d'un PAP",
    "segpa_maintien": "SEGPA – maintien",
    "autre": "Autre : ",
}


def form_f(f: Filling) -> Doc:
    tagged = f.n % 2 == 0  # some schools' forms name their controls, others do not

    def control(key: str) -> Run:
        return sdt_text(f.val(key), f"Texte {FIELD_KEYS.index(key) + 1}" if tagged else None)

    rows = [
        [Cell([para(bold(label))], width=3800), Cell([para(control(key))], width=6000)]
        for key, label in F_LABELS
    ]
    blocks: list[Para | Table] = [
        para(text("Circonscription de Pont-de-Claix — pôle ressource", size=9)),
        para(text("Saisine du pôle ressource", bold=True, size=14)),
        Table(rows),
        para(bold("Motif principal")),
    ]
    for runs in motif_runs(f, F_MOTIFS, "sdt", list(F_MOTIFS)):
        blocks.append(Para(runs))
    for key, label in F_LONG:
        blocks += [para(bold(label)), para(control(key))]
    blocks.append(
        para(bold("Famille informée de la saisine  "), *yes_no(f, "famille_informee", "sdt"))
    )
    blocks.append(para(bold("Urgence signalée  "), *yes_no(f, "urgence", "sdt")))
    blocks.append(para(bold("Pourquoi cette urgence ?  "), control("urgence_motif")))
    blocks.append(
        Table(
            [
                [
                    Cell([para(bold("Date"))], width=1500),
                    Cell([para(control("date_demande"))], width=3400),
                    Cell([para(bold("Signature"))], width=1500),
                    Cell([para(control("signataire"))], width=3400),
                ]
            ]
        )
    )
    return Doc(blocks)


@dataclass
class Form:
    name: str
    write: Callable[[Filling], Doc]
    producers: tuple[str, ...]  # one per filling: docx, odt, doc, rtf, pdf, pdf-form
    # Whether the form asks something no field holds (the languages spoken at home, the
    # pupil's strengths): on a fiche about a pupil that label carries text a person reads.
    asks_more: bool = False
    absent: tuple[str, ...] = ()  # fields the form does not ask for


FORMS = (
    Form(
        "saisine-table",
        form_a,
        ("docx", "pdf", "odt", "docx", "pdf", "doc", "docx", "pdf"),
        asks_more=True,
    ),
    Form(
        "aide-paragraphes",
        form_b,
        ("docx", "odt", "pdf", "doc", "docx", "rtf", "pdf", "odt"),
        asks_more=True,
    ),
    Form("navette-grilles", form_c, ("docx", "pdf", "odt", "docx", "pdf", "doc", "docx", "pdf"),
         absent=("eleve_niveau",)),
    Form(
        "questions-cases",
        form_d,
        ("docx", "pdf", "pdf", "doc", "odt", "pdf", "docx", "pdf"),
        asks_more=True,
    ),
    Form(
        "formulaire-champs",
        form_e,
        ("pdf-form", "pdf-form", "docx", "pdf-form", "doc", "pdf-form", "pdf", "pdf-form"),
    ),
    Form(
        "controles-contenu", form_f, ("docx", "docx", "pdf", "docx", "odt", "pdf", "docx", "docx")
    ),
)
# Fillings where a school left both boxes of a yes/no empty: (form, filling index).
UNMARKED_URGENCE = {("saisine-table", 6), ("questions-cases", 4), ("controles-contenu", 3)}
UNMARKED_FAMILLE = {("navette-grilles", 2), ("formulaire-champs", 5), ("questions-cases", 7)}

_FILTERS = {"odt": "odt", "doc": "doc:MS Word 97", "rtf": "rtf", "pdf": "pdf:writer_pdf_Export"}


def fillable(blank_pdf: bytes, f: Filling) -> bytes:
    """Form E made fillable as a secretariat does in Acrobat: over the blank form exported
    to PDF, a text field on each value cell and a checkbox on each drawn box, named
    Texte1, Case1... and filled with this request."""
    import io

    import pdfplumber
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        BooleanObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    with pdfplumber.open(io.BytesIO(blank_pdf)) as pdf:
        page = pdf.pages[0]
        height = page.height
        table = max(page.find_tables(), key=lambda t: len(t.rows))
        # The drawn boxes split some rows in cells of their own: a row is one that has a label.
        rows = [
            [c for c in row.cells if c is not None]
            for row in table.rows
            if row.cells[0] is not None
        ]
        boxes = sorted(
            (r for r in page.rects if r["width"] < 15 and r["height"] < 15),
            key=lambda r: (round(r["top"]), r["x0"]),
        )
        autre = next(w for w in page.extract_words() if w["text"] == "Autre")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank_pdf)))
    fields = ArrayObject()
    names = {"text": 0, "box": 0}

    def add(kind: str, rect: tuple[float, float, float, float], value: str | bool) -> None:
        x0, top, x1, bottom = rect
        names[kind] += 1
        widget = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Widget"),
                NameObject("/Rect"): ArrayObject(
                    [
                        FloatObject(x0),
                        FloatObject(height - bottom),
                        FloatObject(x1),
                        FloatObject(height - top),
                    ]
                ),
                NameObject("/F"): NumberObject(4),
            }
        )
        if kind == "text":
            widget[NameObject("/FT")] = NameObject("/Tx")
            widget[NameObject("/T")] = TextStringObject(f"Texte{names['text']}")
            widget[NameObject("/V")] = TextStringObject(str(value))
        else:
            state = NameObject("/Oui" if value else "/Off")
            widget[NameObject("/FT")] = NameObject("/Btn")
            widget[NameObject("/T")] = TextStringObject(f"Case{names['box']}")
            widget[NameObject("/V")] = state
            widget[NameObject("/AS")] = state
        ref = writer._add_object(widget)
        writer.pages[0][NameObject("/Annots")] = writer.pages[0].get("/Annots", ArrayObject())
        writer.pages[0]["/Annots"].append(ref)
        fields.append(ref)

    texts = (
        [key for key, _ in E_LABELS]
        + [None]
        + [key for key, _ in E_LONG]
        + [None, None, "urgence_motif", "date_demande", "signataire"]
    )
    for key, cells in zip(texts, rows):
        if key is not None:
            x0, top, _, bottom = cells[1]
            add("text", (x0 + 2, top + 2, cells[-1][2] - 2, bottom - 2), f.val(key))
    ticks = [code in f.v["motifs"] for code in E_MOTIFS]
    ticks += [
        f.answer("famille_informee") is True,
        f.answer("famille_informee") is False,
        f.answer("urgence") is True,
        f.answer("urgence") is False,
    ]
    for box, tick in zip(boxes, ticks):
        add("box", (box["x0"], box["top"], box["x1"], box["bottom"]), tick)
    add(
        "text",
        (autre["x1"] + 20, autre["top"] - 2, autre["x1"] + 200, autre["bottom"] + 2),
        f.v["motif_autre"] or "",
    )
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): fields, NameObject("/NeedAppearances"): BooleanObject(True)}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def expected(f: Filling, form: Form) -> dict[str, Any]:
    fields = {key: f.v.get(key) for key in FIELD_KEYS}
    fields["urgence"] = f.answer("urgence")
    fields["famille_informee"] = f.answer("famille_informee")
    if fields["urgence"] is False:
        # (Boxes left empty, the reason written stays: the fiche says it.)
        fields["urgence_motif"] = None
    for key in form.absent:
        fields[key] = None
    # Text under a label that means no field: a person reads what the engine could not place.
    unplaced = form.asks_more and f.v["eleve_nom"] is not None
    return {"fields": fields, "needs_review": bool(missing_from(fields)) or unplaced}


def build(out: Path) -> int:
    soffice = shutil.which("soffice")
    if soffice is None:
        raise SystemExit(
            "building the corpus needs LibreOffice (apt-get install libreoffice-writer-nogui)"
        )
    rng = random.Random(SEED)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*"):
        if old.is_file():
            old.unlink()
    by_producer: dict[str, list[Path]] = {}
    forms: list[tuple[Path, Filling]] = []  # blank forms exported to PDF, then filled
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        for form in FORMS:
            for n, producer in enumerate(form.producers):
                count += 1
                f = Filling(
                    invent(rng, count),
                    count,
                    urgence_marked=(form.name, n) not in UNMARKED_URGENCE,
                    famille_marked=(form.name, n) not in UNMARKED_FAMILLE,
                )
                stem = f"{count:02d}-{form.name}-{producer}"
                data = save(form.write(f))
                if producer == "pdf-form":
                    blank = Filling(
                        {**f.v, **{k: None for k in FIELD_KEYS}, "motifs": []},
                        f.n,
                        urgence_marked=False,
                        famille_marked=False,
                    )
                    Path(tmp, f"{stem}.docx").write_bytes(save(form.write(blank)))
                    forms.append((Path(tmp, f"{stem}.pdf"), f))
                    by_producer.setdefault("pdf", []).append(Path(tmp, f"{stem}.docx"))
                elif producer == "docx":
                    (out / f"{stem}.docx").write_bytes(data)
                else:
                    Path(tmp, f"{stem}.docx").write_bytes(data)
                    by_producer.setdefault(producer, []).append(Path(tmp, f"{stem}.docx"))
                (out / f"{stem}.expected.json").write_text(
                    json.dumps(expected(f, form), ensure_ascii=False, indent=1) + "\n",
                    encoding="utf-8",
                )
        profile = Path(tmp, "profile").as_uri()
        for producer, sources in by_producer.items():
            subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation={profile}",
                    "--headless",
                    "--convert-to",
                    _FILTERS[producer],
                    "--outdir",
                    str(out),
                    *map(str, sources),
                ],
                check=True,
                capture_output=True,
                timeout=600,
            )
        for blank_pdf, f in forms:
            made = out / blank_pdf.name
            made.write_bytes(fillable(made.read_bytes(), f))
    return count


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    print(f"{build(target)} fiches written to {target}")
