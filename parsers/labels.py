"""Everything Saisine knows about how fiches word things, in one place.

Adding a synonym is a one-line change here: labels are written as a person
would type them; `text.norm` folds case, accents and punctuation on both sides
before comparing, so "N° RNE", "n°rne" and "N° R.N.E" all meet.

Targets are field keys (see `model.FIELD_KEYS`) or one of the virtual keys
below, which the mapper folds into real fields at the end.
"""

from __future__ import annotations

# Virtual targets: read, then combined or dropped by the mapper.
ELEVE_NOM_PRENOM = "_eleve_nom_prenom"  # "DUPONT Léa": split on the capitals
DEMANDEUR_PRENOM = "_demandeur_prenom"  # joined in front of demandeur_nom
ADRESSE = "_adresse"  # the school's address: its town stands in for a missing commune
IGNORED = "_ignored"  # a label we know and do not keep (address, sex...)

FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "ecole_nom": (
        "École", "Nom de l'école", "Établissement", "Nom de l'établissement", "École concernée",
        "École / établissement", "Dénomination de l'école", "Nom de l'établissement scolaire",
        "Établissement scolaire", "Ecole d'origine", "Nom et adresse de l'école",
        "École de scolarisation", "École fréquentée",
    ),
    "ecole_commune": ("Commune", "Ville", "Localité", "Commune de l'école", "Ville de l'école"),
    "ecole_uai": (
        "UAI", "RNE", "N° RNE", "Code UAI", "N° UAI", "Numéro UAI", "N° d'immatriculation",
        "Immatriculation", "Code RNE", "UAI / RNE", "RNE / UAI", "N° UAI / RNE", "Numéro RNE",
    ),
    "ecole_email": (
        "Courriel", "Mail", "Adresse électronique", "E-mail", "Email", "Adresse mail", "Mél",
        "Courriel de l'école", "Adresse courriel", "Messagerie", "Adresse électronique de l'école",
        "Adresse mail de l'école",
    ),
    "ecole_telephone": (
        "Téléphone", "Tél", "Tel", "Téléphone de l'école", "N° de téléphone", "Numéro de téléphone",
        "Tél. de l'école", "Tél. / Fax", "Téléphone / Fax",
    ),
    "demandeur_nom": (
        "Nom du demandeur", "Demandeur", "Enseignant(e)", "Enseignant", "Enseignante",
        "Demande formulée par", "Nom de l'enseignant(e)", "Demande faite par", "Demande présentée par",
        "Nom et prénom du demandeur", "Personne à l'origine de la demande", "Nom de l'enseignant",
        "Demandeur (nom, prénom)", "Nom du ou de la demandeur(se)", "Rédacteur de la demande",
        "Enseignant(e) de la classe", "Personne qui fait la demande", "Personne à contacter",
        "Personne référente", "Interlocuteur", "Interlocutrice", "Nom de la personne à contacter",
    ),
    "demandeur_fonction": ("Fonction", "Qualité", "Fonction du demandeur", "Qualité du demandeur"),
    "classe": (
        "Classe", "Classe / niveau", "Cours", "Classe de l'élève", "Classe fréquentée",
        "Classe concernée", "Classe / cours",
    ),
    "eleve_nom": ("Nom de l'élève", "Nom de famille de l'élève", "Nom de l'enfant"),
    "eleve_prenom": ("Prénom de l'élève", "Prénom de l'enfant"),
    "eleve_date_naissance": (
        "Date de naissance", "Né(e) le", "Né le", "Née le", "Date de naissance de l'élève",
        "Né(e) le :", "Date de naissance de l'enfant",
    ),
    "eleve_niveau": ("Niveau", "Niveau de l'élève", "Niveau scolaire", "Niveau de classe"),
    "motifs": (
        "Motif(s) de la demande", "Motif de la demande", "Motifs de la demande", "Motif", "Motifs",
        "Objet de la demande", "Nature de la demande", "Motif de la saisine", "Objet",
        "La demande concerne", "Type de demande",
    ),
    "motif_autre": ("Autre (préciser)", "Autre", "Si autre, préciser", "Autre motif", "Préciser"),
    "situation": (
        "Description de la situation", "Situation", "Difficultés observées", "Description",
        "Exposé de la situation", "Présentation de la situation", "Description des difficultés",
        "Difficultés rencontrées", "Observations", "Présentation de l'élève et des difficultés",
        "Situation actuelle", "Description de la situation et des difficultés observées",
        "Description de la problématique", "Problématique", "Constats", "Faits observés",
        "Éléments d'observation", "Description des faits", "Exposé des faits", "Faits",
        "Observations de l'enseignant", "Difficultés repérées", "Nature des difficultés",
    ),
    "actions_menees": (
        "Actions déjà mises en place", "Aides apportées", "Actions engagées", "Actions menées",
        "Actions déjà menées", "Aides déjà apportées", "Mesures déjà prises",
        "Dispositifs mis en place", "Aides mises en place", "Actions mises en place",
        "Ce qui a déjà été fait", "Aménagements mis en place", "Actions déjà engagées",
        "Qu'avez-vous déjà mis en place", "Qu'est-ce qui a déjà été mis en place",
        "Aides déjà mises en œuvre", "Actions déjà mises en œuvre", "Réponses déjà apportées",
        "Démarches déjà entreprises", "Dispositifs déjà mis en œuvre", "Mesures mises en place",
    ),
    "partenaires": (
        "Partenaires déjà sollicités", "Partenaires", "Suivis extérieurs", "Partenaires extérieurs",
        "Prises en charge extérieures", "Suivi extérieur", "Partenaires sollicités",
        "Prise en charge extérieure", "Autres partenaires", "Intervenants extérieurs",
        "Autres intervenants", "Soins extérieurs", "Suivi médical ou paramédical",
    ),
    "attentes": (
        "Attentes vis-à-vis du pôle ressource", "Aide souhaitée", "Aide attendue", "Attentes",
        "Nature de l'aide souhaitée", "Attentes de l'équipe", "Aide demandée",
        "Ce que vous attendez du pôle ressource", "Attentes de l'école", "Demande précise",
        "Quelle aide attendez-vous", "Type d'aide attendue", "Qu'attendez-vous du pôle ressource",
        "Quelles sont vos attentes", "Qu'attendez-vous", "Attentes de l'enseignant",
        "Aide sollicitée", "Demande adressée au pôle ressource", "Objectifs de la demande",
    ),
    "famille_informee": (
        "La famille a été informée", "Parents informés", "Famille informée",
        "Information de la famille", "Les parents ont été informés", "Famille informée de la demande",
        "La famille est informée de la demande", "Les parents sont informés",
        "Information des parents", "Parents informés de la demande",
        "La famille a été informée de la demande", "La famille a-t-elle été informée",
        "Les parents ont-ils été informés", "La famille est-elle informée",
        "Les parents sont-ils informés", "La famille a-t-elle été informée de la demande",
    ),
    "urgence": (
        "Demande urgente", "Urgence", "Caractère urgent", "Situation urgente", "Urgent",
        "Degré d'urgence", "Caractère d'urgence", "La demande est-elle urgente",
        "Est-ce urgent", "Demande à traiter en urgence", "Y a-t-il urgence",
        "S'agit-il d'une urgence", "Urgence de la situation", "La situation est-elle urgente",
    ),
    "urgence_motif": (
        "Si oui, pourquoi", "Motif de l'urgence", "Si urgence, pourquoi", "Justification de l'urgence",
        "Pourquoi", "Si oui, préciser", "Si urgent, pourquoi", "Raison de l'urgence",
        "Motif d'urgence", "Si oui, préciser pourquoi",
    ),
    "date_demande": ("Date de la demande", "Date", "Fait le", "Date de la saisine", "Daté du"),
    "signataire": (
        "Signature", "Nom et signature du directeur", "Visa", "Signature du directeur",
        "Nom et signature", "Visa du directeur", "Signature du directeur ou de la directrice",
        "Nom et signature du directeur / de la directrice", "Visa du directeur d'école",
        "Signature de la directrice", "Nom et signature de la directrice", "Visa de la direction",
        "Directeur / directrice", "Le directeur / la directrice", "Signature du directeur d'école",
        "Nom, qualité et signature", "Signature du demandeur", "Signature de l'enseignant",
        "Signature du directeur ou de la directrice d'école",
    ),
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

# Motif codes by meaning: the first code whose words appear in an option wins,
# so the specific ones come first ("maintien" before "comportement").
MOTIF_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("autre", ("autre",)),
    ("pap", ("pap", "plan d accompagnement personnalise", "plan d accompagnement")),
    ("segpa_maintien", ("segpa", "maintien", "orientation", "redoublement", "allongement de cycle",
                        "maintenir")),
    ("harcelement", ("harcelement", "cyberharcelement", "situations sensibles",
                     "situation sensible", "harcele", "harcelee")),
    ("crise", ("crise", "deces", "accident", "evenement grave", "evenements graves",
               "traumatisme", "traumatique", "drame")),
    ("conflit_parents", ("conflit", "conflits", "conflictuelle", "conflictuelles", "conflictuel",
                         "conflictuels", "relation avec les parents", "relations avec les familles",
                         "relations avec la famille", "mediation")),
    ("bep", ("besoin educatif particulier", "besoins educatifs particuliers", "bep",
             "besoin educatif", "besoins educatifs",
             "intellectuellement precoce", "intellectuellement precoces", "precoce", "precoces",
             "eip", "haut potentiel", "hpi", "handicap", "dys")),
    ("comportement", ("comportement", "comportements", "tsc", "troubles du comportement",
                      "troubles severes", "violence", "violent", "agressivite", "agressif")),
)  # fmt: skip

# "Autre" counts as a motif option only when the option starts with it, or it
# would fire on every "... ou autre".
MOTIF_ANCHORED = {"autre"}

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
