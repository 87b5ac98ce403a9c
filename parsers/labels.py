"""Everything Saisine knows about how fiches word things, in one place.

Adding a synonym is a one-line change: a field's labels and a motif's words are
declared with it in `fields`, the rest of the wording is here. Labels are written as
a person would type them; `text.norm` folds case, accents and punctuation on both sides
before comparing, so "N° RNE", "n°rne" and "N° R.N.E" all meet.

Targets are field keys (see `fields.FIELDS`) or one of the virtual keys
below, which the mapper folds into real fields at the end.
"""

from __future__ import annotations

from parsers.fields import FIELDS

# Virtual targets: read, then combined or dropped by the mapper.
ELEVE_NOM_PRENOM = "_eleve_nom_prenom"  # "DUPONT Léa": split on the capitals
DEMANDEUR_PRENOM = "_demandeur_prenom"  # joined in front of demandeur_nom
ADRESSE = "_adresse"  # the school's address: its town stands in for a missing commune
IGNORED = "_ignored"  # a label we know and do not keep (address, sex...)

# Each field's own labels are declared with the field (`fields.FIELDS`); here, the labels
# of the virtual targets, then both together, as the engine looks them up.
VIRTUAL_LABELS: dict[str, tuple[str, ...]] = {
    ELEVE_NOM_PRENOM: (
        "Nom et prénom de l'élève", "Élève", "Prénom et nom de l'élève", "Élève concerné",
        "Nom, prénom de l'élève", "Nom prénom de l'élève", "Élève concerné(e)", "Enfant",
        "Identité de l'élève", "Nom et prénom de l'enfant",
    ),
    ADRESSE: ("Adresse", "Adresse de l'école", "Adresse postale", "Coordonnées de l'école"),
    IGNORED: (
        "Sexe", "Circonscription", "Code postal", "Fille / garçon",
        "Effectif", "Effectif de la classe", "Nombre d'élèves", "Responsables légaux",
        "Représentants légaux", "Adresse des parents", "Téléphone des parents", "Scolarité antérieure",
        "Cadre réservé à la circonscription", "Réservé à la circonscription", "Reçu le",
        "Date de réception", "N° de dossier", "Suite donnée", "Décision",
        "Nom du directeur", "Nom de la directrice", "Cachet de l'école",
        "Cachet", "Nombre de classes", "Cycle", "Sexe de l'élève", "Genre",
        "Visa de l'IEN", "Avis de l'IEN", "Avis de l'inspecteur", "Visa de l'inspecteur",
        "Avis du conseiller pédagogique", "Suite à donner", "Réponse apportée", "Date de la réunion",
        "Date d'examen", "Réservé à l'administration",
    ),
}  # fmt: skip

FIELD_LABELS: dict[str, tuple[str, ...]] = {
    **{f.key: f.labels for f in FIELDS}, **VIRTUAL_LABELS}

# Labels whose meaning depends on the heading above them ("Nom" under "L'élève"
# is the pupil's name, under "Visa" the signatory's). `None` is the default
# when no heading says otherwise.
GENERIC_LABELS: dict[str, dict[str | None, str]] = {
    "Nom": {"eleve": "eleve_nom", "demandeur": "demandeur_nom", "ecole": "ecole_nom",
            "visa": "signataire", None: "eleve_nom"},
    "Nom de famille": {"eleve": "eleve_nom", "demandeur": "demandeur_nom", None: "eleve_nom"},
    "Prénom": {"eleve": "eleve_prenom", "demandeur": DEMANDEUR_PRENOM, "visa": IGNORED,
               None: "eleve_prenom"},
    "Prénom(s)": {"eleve": "eleve_prenom", "demandeur": DEMANDEUR_PRENOM, None: "eleve_prenom"},
    "Nom et prénom": {"eleve": ELEVE_NOM_PRENOM, "demandeur": "demandeur_nom",
                      "visa": "signataire", None: ELEVE_NOM_PRENOM},
    "Prénom et nom": {"eleve": ELEVE_NOM_PRENOM, "demandeur": "demandeur_nom",
                      "visa": "signataire", None: ELEVE_NOM_PRENOM},
    "Nom, prénom": {"eleve": ELEVE_NOM_PRENOM, "demandeur": "demandeur_nom",
                    "visa": "signataire", None: ELEVE_NOM_PRENOM},
    "Nom - prénom": {"eleve": ELEVE_NOM_PRENOM, "demandeur": "demandeur_nom",
                     "visa": "signataire", None: ELEVE_NOM_PRENOM},
    "Date": {None: "date_demande"},
    "Fonction": {"visa": IGNORED, None: "demandeur_fonction"},
    "Qualité": {"visa": IGNORED, None: "demandeur_fonction"},
    # A teacher's phone at school is the school's; a pupil's is the family's.
    "Téléphone": {"eleve": IGNORED, None: "ecole_telephone"},
    "Tél": {"eleve": IGNORED, None: "ecole_telephone"},
    "Courriel": {"demandeur": IGNORED, "eleve": IGNORED, None: "ecole_email"},
    "Mail": {"demandeur": IGNORED, "eleve": IGNORED, None: "ecole_email"},
    "E-mail": {"demandeur": IGNORED, "eleve": IGNORED, None: "ecole_email"},
    "Adresse électronique": {"demandeur": IGNORED, "eleve": IGNORED, None: "ecole_email"},
    "Classe": {None: "classe"},
}  # fmt: skip

# Labels that count only with their value after them on the same line: alone on a line,
# "Directrice" is far more often someone's function than a label.
PAIR_ONLY_LABELS: dict[str, tuple[str, ...]] = {
    "signataire": ("Le directeur", "La directrice", "Le directeur / la directrice",
                   "Le directeur d'école", "La directrice d'école", "Le directeur ou la directrice"),
}

# Section headings: a short line with no value that contains one of these words
# (after `norm`) opens that section. Checked in this order.
SECTION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # The circonscription's own box: nothing under it is the school's answer.
    ("reserve", ("reserve a la circonscription", "cadre reserve", "reserve a l administration",
                 "partie reservee", "reserve au pole", "reserve a l ien")),
    ("visa", ("visa", "signature", "signatures")),
    ("demandeur", ("demandeur", "demandeuse", "auteur de la demande", "redacteur", "enseignant",
                   "enseignante", "origine de la demande", "enseignants",
                   "personne qui fait la demande", "personne a l origine", "enseignant referent",
                   "demande formulee par", "identification du demandeur")),
    ("eleve", ("eleve", "enfant", "l eleve")),
    ("ecole", ("ecole", "etablissement")),
    ("motifs", ("motif", "motifs", "objet de la demande", "nature de la demande")),
    ("urgence", ("urgence", "urgent")),
    ("famille", ("famille", "parents")),
    ("situation", ("situation", "difficultes")),
    ("actions", ("actions", "aides")),
)  # fmt: skip


NIVEAUX: dict[str, tuple[str, ...]] = {
    "TPS": ("tps", "toute petite section", "tps maternelle"),
    "PS": ("ps", "petite section", "petite section de maternelle"),
    "MS": ("ms", "moyenne section", "moyenne section de maternelle"),
    "GS": ("gs", "grande section", "grande section de maternelle"),
    "CP": ("cp", "cours preparatoire"),
    "CE1": ("ce1", "ce 1", "cours elementaire 1", "cours elementaire 1re annee",
            "cours elementaire premiere annee", "cours elementaire 1ere annee"),
    "CE2": ("ce2", "ce 2", "cours elementaire 2", "cours elementaire 2e annee",
            "cours elementaire deuxieme annee", "cours elementaire 2eme annee"),
    "CM1": ("cm1", "cm 1", "cours moyen 1", "cours moyen 1re annee", "cours moyen premiere annee",
            "cours moyen 1ere annee"),
    "CM2": ("cm2", "cm 2", "cours moyen 2", "cours moyen 2e annee", "cours moyen deuxieme annee",
            "cours moyen 2eme annee"),
}  # fmt: skip

YES = ("oui", "o", "yes", "vrai", "fait", "informee", "informes", "informe", "urgent", "urgente")
NO = ("non", "n", "no", "faux", "pas encore", "non informee", "non urgent", "non urgente")

# Text that form software leaves in empty fields.
PLACEHOLDERS: tuple[str, ...] = (
    "Cliquez ou appuyez ici pour entrer du texte.",
    "Cliquez ici pour taper du texte.",
    "Cliquez ici pour entrer du texte.",
    "Cliquez ou appuyez pour entrer une date.",
    "Cliquez ici pour entrer une date.",
    "Choisissez un élément.",
    "Click or tap here to enter text.",
    "Click here to enter text.",
    "Click or tap to enter a date.",
    "Choose an item.",
    "Saisir le texte ici",
    "Texte à compléter",
    "À compléter",
    "A compléter",
)

CHECKED_GLYPHS = "☒☑■✓✔✗✘⊠⊗▣◼☛⬛✅❎◉"
UNCHECKED_GLYPHS = "☐□❑❏◻▢○◯❒⬜"

# Symbol-font checkboxes in Word (<w:sym w:font=... w:char=...>): char codes.
SYMBOL_CHECKED = {"F0FE", "F078", "F0FD", "F0FB", "F054", "F053", "F050", "F0FC", "F06E"}
SYMBOL_UNCHECKED = {"F0A8", "F06F", "F071", "F0A3", "F02A", "F0A1", "F072", "F0A2"}
