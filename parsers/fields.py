"""The fiche's fields and motifs, each declared once; everything else derives from here.

A field says what it is (its kind), whether a fiche must give it, how people name
it (the blank fiche's label, a short label for mail and tables, how a mail asks for
it when it is missing), where it sits on the fiche, and the labels schools write for
it. A motif says its code, how mail and agendas name it, how the blank fiche words
it, and the words that recognise it in a school's own wording.

Consumers: the extraction engine (`parsers.mapper` and its parts), the JSON
contract (`parsers.model`), the blank fiche (`notify.fiche`), the mail and agenda
texts (`notify.mails`, `notify.agenda`), and routing's test of "is this a fiche".
Adding a field or a motif is one entry here; `tests/test_fields.py` adds one and
checks that every consumer sees it. The contract itself is `docs/fiche.md`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What a field's value is, which decides how it is read and normalised."""

    TEXT = "text"
    LONG = "long"  # free text that may run over several lines
    BOOL = "bool"  # yes/no
    DATE = "date"  # ISO date
    MOTIFS = "motifs"  # a list of motif codes
    NIVEAU = "niveau"  # TPS..CM2
    UAI = "uai"  # a school's identifier, with its check letter
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True)
class Section:
    """A part of the fiche: its key (also what the engine calls the part it is reading)
    and its title on the blank fiche."""

    key: str
    title: str


SECTIONS: tuple[Section, ...] = (
    Section("ecole", "1. L'école"),
    Section("demandeur", "2. Le demandeur"),
    Section("eleve", "3. L'élève (si la demande concerne un élève)"),
    Section("motifs", "4. Motif(s) de la demande"),
    Section("situation", "5. La situation"),
    Section("urgence", "6. Famille et urgence"),
    Section("visa", "7. Visa"),
)


@dataclass(frozen=True)
class Field:
    key: str
    kind: Kind
    section: str  # a `Section.key`
    label: str  # as the blank fiche writes it; always recognised
    synonyms: tuple[str, ...] = ()  # other labels schools write for it
    required: bool = False
    short: str | None = None  # in mail and tables, where it differs from `label`
    ask: str | None = None  # how the acknowledgement names it when it is missing
    acknowledged: bool = False  # repeated to the school (never pupil data)
    # Whether reading its label moves the engine into its section. "Classe" or "Date"
    # stand anywhere on a fiche: they must not change whose "Nom" comes next.
    opens_section: bool = True
    # Found on fiches and on no other school document: three of these make a fiche.
    identifies: bool = False

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.label, *self.synonyms)

    @property
    def shown_as(self) -> str:
        return self.short or self.label


FIELDS: tuple[Field, ...] = (
    Field("ecole_nom", Kind.TEXT, "ecole", "Nom de l'école", (
        "École", "Établissement", "Nom de l'établissement", "École concernée",
        "École / établissement", "Dénomination de l'école", "Nom de l'établissement scolaire",
        "Établissement scolaire", "Ecole d'origine", "Nom et adresse de l'école",
        "École de scolarisation", "École fréquentée",
    ), required=True, short="École", ask="le nom de l'école", acknowledged=True,
        identifies=True),
    Field("ecole_commune", Kind.TEXT, "ecole", "Commune", (
        "Ville", "Localité", "Commune de l'école", "Ville de l'école",
    ), required=True, ask="la commune", acknowledged=True, identifies=True),
    Field("ecole_uai", Kind.UAI, "ecole", "N° UAI (RNE)", (
        "UAI", "RNE", "N° RNE", "Code UAI", "N° UAI", "Numéro UAI", "N° d'immatriculation",
        "Immatriculation", "Code RNE", "UAI / RNE", "RNE / UAI", "N° UAI / RNE", "Numéro RNE",
    ), short="UAI"),
    Field("ecole_email", Kind.EMAIL, "ecole", "Courriel", (
        "Mail", "Adresse électronique", "E-mail", "Email", "Adresse mail", "Mél",
        "Courriel de l'école", "Adresse courriel", "Messagerie", "Adresse électronique de l'école",
        "Adresse mail de l'école",
    )),
    Field("ecole_telephone", Kind.PHONE, "ecole", "Téléphone", (
        "Tél", "Tel", "Téléphone de l'école", "N° de téléphone", "Numéro de téléphone",
        "Tél. de l'école", "Tél. / Fax", "Téléphone / Fax",
    )),
    Field("demandeur_nom", Kind.TEXT, "demandeur", "Nom du demandeur", (
        "Demandeur", "Enseignant(e)", "Enseignant", "Enseignante",
        "Demande formulée par", "Nom de l'enseignant(e)", "Demande faite par", "Demande présentée par",
        "Nom et prénom du demandeur", "Personne à l'origine de la demande", "Nom de l'enseignant",
        "Demandeur (nom, prénom)", "Nom du ou de la demandeur(se)", "Rédacteur de la demande",
        "Enseignant(e) de la classe", "Personne qui fait la demande", "Personne à contacter",
        "Personne référente", "Interlocuteur", "Interlocutrice", "Nom de la personne à contacter",
    ), required=True, short="Demandeur", ask="le nom du demandeur", acknowledged=True,
        identifies=True),
    Field("demandeur_fonction", Kind.TEXT, "demandeur", "Fonction", (
        "Qualité", "Fonction du demandeur", "Qualité du demandeur",
    )),
    Field("classe", Kind.TEXT, "demandeur", "Classe", (
        "Classe / niveau", "Cours", "Classe de l'élève", "Classe fréquentée",
        "Classe concernée", "Classe / cours",
    ), acknowledged=True, opens_section=False),
    Field("eleve_nom", Kind.TEXT, "eleve", "Nom de l'élève", (
        "Nom de famille de l'élève", "Nom de l'enfant",
    ), identifies=True),
    Field("eleve_prenom", Kind.TEXT, "eleve", "Prénom de l'élève", ("Prénom de l'enfant",)),
    Field("eleve_date_naissance", Kind.DATE, "eleve", "Date de naissance", (
        "Né(e) le", "Né le", "Née le", "Date de naissance de l'élève",
        "Né(e) le :", "Date de naissance de l'enfant",
    )),
    Field("eleve_niveau", Kind.NIVEAU, "eleve", "Niveau (TPS à CM2)", (
        "Niveau", "Niveau de l'élève", "Niveau scolaire", "Niveau de classe",
    ), short="Niveau"),
    Field("motifs", Kind.MOTIFS, "motifs", "Motif(s) de la demande", (
        "Motif de la demande", "Motifs de la demande", "Motif", "Motifs",
        "Objet de la demande", "Nature de la demande", "Motif de la saisine", "Objet",
        "La demande concerne", "Type de demande",
    ), required=True, short="Motif(s)", ask="le motif de la demande", acknowledged=True,
        identifies=True),
    Field("motif_autre", Kind.LONG, "motifs", "Autre (préciser)", (
        "Autre", "Si autre, préciser", "Autre motif", "Préciser",
    ), short="Autre motif", ask="la précision du motif « autre »", opens_section=False),
    Field("situation", Kind.LONG, "situation", "Description de la situation", (
        "Situation", "Difficultés observées", "Description",
        "Exposé de la situation", "Présentation de la situation", "Description des difficultés",
        "Difficultés rencontrées", "Observations", "Présentation de l'élève et des difficultés",
        "Situation actuelle", "Description de la situation et des difficultés observées",
        "Description de la problématique", "Problématique", "Constats", "Faits observés",
        "Éléments d'observation", "Description des faits", "Exposé des faits", "Faits",
        "Observations de l'enseignant", "Difficultés repérées", "Nature des difficultés",
    ), required=True, short="Situation", ask="la description de la situation", identifies=True),
    Field("actions_menees", Kind.LONG, "situation", "Actions déjà mises en place", (
        "Aides apportées", "Actions engagées", "Actions menées",
        "Actions déjà menées", "Aides déjà apportées", "Mesures déjà prises",
        "Dispositifs mis en place", "Aides mises en place", "Actions mises en place",
        "Ce qui a déjà été fait", "Aménagements mis en place", "Actions déjà engagées",
        "Qu'avez-vous déjà mis en place", "Qu'est-ce qui a déjà été mis en place",
        "Aides déjà mises en œuvre", "Actions déjà mises en œuvre", "Réponses déjà apportées",
        "Démarches déjà entreprises", "Dispositifs déjà mis en œuvre", "Mesures mises en place",
    ), short="Actions menées"),
    Field("partenaires", Kind.LONG, "situation", "Partenaires déjà sollicités", (
        "Partenaires", "Suivis extérieurs", "Partenaires extérieurs",
        "Prises en charge extérieures", "Suivi extérieur", "Partenaires sollicités",
        "Prise en charge extérieure", "Autres partenaires", "Intervenants extérieurs",
        "Autres intervenants", "Soins extérieurs", "Suivi médical ou paramédical",
    ), short="Partenaires"),
    Field("attentes", Kind.LONG, "situation", "Attentes vis-à-vis du pôle ressource", (
        "Aide souhaitée", "Aide attendue", "Attentes",
        "Nature de l'aide souhaitée", "Attentes de l'équipe", "Aide demandée",
        "Ce que vous attendez du pôle ressource", "Attentes de l'école", "Demande précise",
        "Quelle aide attendez-vous", "Type d'aide attendue", "Qu'attendez-vous du pôle ressource",
        "Quelles sont vos attentes", "Qu'attendez-vous", "Attentes de l'enseignant",
        "Aide sollicitée", "Demande adressée au pôle ressource", "Objectifs de la demande",
    ), short="Attentes"),
    Field("famille_informee", Kind.BOOL, "urgence", "La famille a été informée", (
        "Parents informés", "Famille informée",
        "Information de la famille", "Les parents ont été informés", "Famille informée de la demande",
        "La famille est informée de la demande", "Les parents sont informés",
        "Information des parents", "Parents informés de la demande",
        "La famille a été informée de la demande", "La famille a-t-elle été informée",
        "Les parents ont-ils été informés", "La famille est-elle informée",
        "Les parents sont-ils informés", "La famille a-t-elle été informée de la demande",
    ), short="Famille informée"),
    Field("urgence", Kind.BOOL, "urgence", "Demande urgente", (
        "Urgence", "Caractère urgent", "Situation urgente", "Urgent",
        "Degré d'urgence", "Caractère d'urgence", "La demande est-elle urgente",
        "Est-ce urgent", "Demande à traiter en urgence", "Y a-t-il urgence",
        "S'agit-il d'une urgence", "Urgence de la situation", "La situation est-elle urgente",
    ), required=True, ask="l'urgence (oui/non)", acknowledged=True, identifies=True),
    Field("urgence_motif", Kind.LONG, "urgence", "Si oui, pourquoi", (
        "Motif de l'urgence", "Si urgence, pourquoi", "Justification de l'urgence",
        "Pourquoi", "Si oui, préciser", "Si urgent, pourquoi", "Raison de l'urgence",
        "Motif d'urgence", "Si oui, préciser pourquoi",
    ), short="Motif de l'urgence", ask="la raison de l'urgence"),
    Field("date_demande", Kind.DATE, "visa", "Date de la demande", (
        "Date", "Fait le", "Date de la saisine", "Daté du",
    ), required=True, ask="la date", acknowledged=True, opens_section=False, identifies=True),
    Field("signataire", Kind.TEXT, "visa", "Nom et signature du directeur", (
        "Signature", "Visa", "Signature du directeur",
        "Nom et signature", "Visa du directeur", "Signature du directeur ou de la directrice",
        "Nom et signature du directeur / de la directrice", "Visa du directeur d'école",
        "Signature de la directrice", "Nom et signature de la directrice", "Visa de la direction",
        "Directeur / directrice", "Le directeur / la directrice", "Signature du directeur d'école",
        "Nom, qualité et signature", "Signature du demandeur", "Signature de l'enseignant",
        "Signature du directeur ou de la directrice d'école",
    ), short="Signataire"),
)  # fmt: skip


@dataclass(frozen=True)
class Motif:
    code: str
    label: str  # in mail and agendas (its order there is this table's order)
    wording: str  # as the blank fiche words the option
    words: tuple[str, ...]  # folded words that recognise it in a school's own wording
    # Recognition order: the first motif whose words appear in an option wins, so the
    # specific ones rank first ("maintien" before "comportement").
    rank: int
    # Counts only when the option starts with it, or it would fire on every "... ou autre".
    anchored: bool = False


MOTIFS: tuple[Motif, ...] = (
    Motif("comportement", "troubles du comportement",
          "Suivi d'élèves présentant des troubles sévères du comportement",
          ("comportement", "comportements", "tsc", "troubles du comportement",
           "troubles severes", "violence", "violent", "agressivite", "agressif"), rank=8),
    Motif("harcelement", "harcèlement ou situation sensible",
          "Prévention et gestion de situations sensibles (harcèlement…)",
          ("harcelement", "cyberharcelement", "situations sensibles", "situation sensible",
           "harcele", "harcelee"), rank=4),
    Motif("crise", "situation de crise",
          "Gestion de situations de crise liées à un événement grave (décès, accident…)",
          ("crise", "deces", "accident", "evenement grave", "evenements graves", "traumatisme",
           "traumatique", "drame"), rank=5),
    Motif("conflit_parents", "conflit avec des parents",
          "Prévention et gestion de situations conflictuelles avec des parents d'élèves",
          ("conflit", "conflits", "conflictuelle", "conflictuelles", "conflictuel",
           "conflictuels", "relation avec les parents", "relations avec les familles",
           "relations avec la famille", "mediation"), rank=6),
    Motif("bep", "besoin éducatif particulier",
          "Suivi d'élèves à besoin éducatif particulier (élèves intellectuellement précoces…)",
          ("besoin educatif particulier", "besoins educatifs particuliers", "bep",
           "besoin educatif", "besoins educatifs", "intellectuellement precoce",
           "intellectuellement precoces", "precoce", "precoces", "eip", "haut potentiel", "hpi",
           "handicap", "dys"), rank=7),
    Motif("pap", "PAP", "Aide à la décision d'élaboration d'un PAP",
          ("pap", "plan d accompagnement personnalise", "plan d accompagnement"), rank=2),
    Motif("segpa_maintien", "SEGPA / maintien",
          "Aide à la décision d'orientation en SEGPA et de demande de maintien à titre "
          "exceptionnel",
          ("segpa", "maintien", "orientation", "redoublement", "allongement de cycle",
           "maintenir"), rank=3),
    Motif("autre", "autre", "Autre (préciser)", ("autre",), rank=1, anchored=True),
)  # fmt: skip


# --- derived ----------------------------------------------------------------------

FIELD_BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}
FIELD_KEYS: tuple[str, ...] = tuple(FIELD_BY_KEY)
REQUIRED: tuple[str, ...] = tuple(f.key for f in FIELDS if f.required)
MOTIF_BY_CODE: dict[str, Motif] = {m.code: m for m in MOTIFS}
MOTIF_CODES: tuple[str, ...] = tuple(MOTIF_BY_CODE)
MOTIFS_BY_RANK: tuple[Motif, ...] = tuple(sorted(MOTIFS, key=lambda m: m.rank))


def keys_of(*kinds: Kind) -> frozenset[str]:
    return frozenset(f.key for f in FIELDS if f.kind in kinds)


def fields_in(section: Section) -> tuple[Field, ...]:
    return tuple(f for f in FIELDS if f.section == section.key)


def missing_from(fields: Mapping[str, Any]) -> list[str]:
    """What a request still lacks, read or typed: the required fields without a value,
    the detail of an "autre" motif, the reason of an urgent request."""
    missing = [key for key in REQUIRED if fields.get(key) in (None, [], "")]
    if "autre" in (fields.get("motifs") or []) and not fields.get("motif_autre"):
        missing.append("motif_autre")
    if fields.get("urgence") and not fields.get("urgence_motif"):
        missing.append("urgence_motif")
    return missing


def motif_label(code: str) -> str:
    motif = MOTIF_BY_CODE.get(code)
    return motif.label if motif else code
