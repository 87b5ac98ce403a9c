"""Hand-made fiches in layouts that build.py's generator does not produce.

Each one was first written to probe how Saisine reads a layout it had never
seen (merged section rows, marks after options, leaders as separators,
labels above fields, column heads, untagged content controls, a PDF drawn
without tables). They stay here so those layouts never regress. All names
and places are invented. build.py calls `build`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
from docx.oxml import parse_xml
from odf.opendocument import OpenDocumentText
from odf.text import P
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

W = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
     'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"')
Fiche = tuple[bytes, dict[str, Any]]


def _docx_bytes(document: Any) -> bytes:
    document.add_paragraph("")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def merged_table() -> Fiche:
    """One four-column table, section rows merged across it, labels in capitals with
    their colon, options followed by their mark, an urgent box above the form."""
    d = docx.Document()
    d.add_paragraph("■ DEMANDE URGENTE (cocher si la situation l'exige)")
    table = d.add_table(rows=0, cols=4)
    table.style = "Table Grid"

    def section(title: str) -> None:
        cells = table.add_row().cells
        cells[0].merge(cells[3]).text = title

    def row(*values: str) -> None:
        for cell, value in zip(table.add_row().cells, values):
            cell.text = value

    section("IDENTIFICATION DE L'ÉCOLE")
    row("ÉCOLE :", "École maternelle Les Lilas", "COMMUNE :", "Tullins")
    row("RNE :", "0382345F", "TÉL. :", "04 76 07 11 22")
    section("ENSEIGNANT(E) À L'ORIGINE DE LA DEMANDE")
    row("NOM :", "Mme Agnès PERRIN", "FONCTION :", "Enseignante de GS")
    section("ÉLÈVE CONCERNÉ(E)")
    row("NOM :", "FAURE", "PRÉNOM :", "Elsa")
    row("NÉ(E) LE :", "17/06/2020", "CLASSE :", "GS")
    section("OBJET DE LA DEMANDE")
    section("Troubles du comportement ■     Harcèlement □     Crise □     Conflit avec les "
            "parents □     PAP □     SEGPA / maintien □     Autre □")
    section("SITUATION")
    section("Elsa mord et griffe ses camarades plusieurs fois par jour. "
            "Elle ne supporte pas la frustration.")
    row("AIDES DÉJÀ APPORTÉES :", "Tutorat, retour au calme", "PARTENAIRES :", "CAMSP")
    row("FAMILLE INFORMÉE :", "OUI ■ NON □", "", "")
    row("SI URGENCE, POURQUOI :", "Une camarade a été blessée.", "", "")
    section("VISA DE LA DIRECTION")
    row("DATE :", "le 3 novembre 2026", "SIGNATURE :", "R. Chevalier")
    return _docx_bytes(d), dict(
        ecole_nom="École maternelle Les Lilas", ecole_commune="Tullins", ecole_uai="0382345F",
        ecole_telephone="04 76 07 11 22", demandeur_nom="Mme Agnès PERRIN",
        demandeur_fonction="Enseignante de GS", eleve_nom="FAURE", eleve_prenom="Elsa",
        eleve_date_naissance="2020-06-17", classe="GS", motifs=["comportement"],
        situation="Elsa mord et griffe ses camarades plusieurs fois par jour. "
                  "Elle ne supporte pas la frustration.",
        actions_menees="Tutorat, retour au calme", partenaires="CAMSP", famille_informee=True,
        urgence=True, urgence_motif="Une camarade a été blessée.", date_demande="2026-11-03",
        signataire="R. Chevalier")


def letterhead_and_leaders() -> Fiche:
    """The school only in a letterhead, leaders between label and value, and answers
    crossed out ("rayer la mention inutile")."""
    d = docx.Document()
    for line in ("École primaire Pasteur", "12, rue des Alpes", "38430 Moirans",
                 "Tél. 04 76 35 00 00 – ce.0381111a@ac-grenoble.fr",
                 "DEMANDE D'AIDE AU PÔLE RESSOURCE", "Demandeur ………… Paul ROCHE, directeur",
                 "Élève ………… MASSON Théo",
                 "Date de naissance ………… 02.02.2017        Classe ………… CM1"):
        d.add_paragraph(line)
    p = d.add_paragraph("Motif : ")
    p.add_run("comportement").font.strike = True
    p.add_run(" – harcèlement – ")
    p.add_run("crise").font.strike = True
    d.add_paragraph("Exposé de la situation")
    d.add_paragraph("Théo est victime de moqueries répétées ; il ne veut plus aller en récréation.")
    d.add_paragraph("Ce qui a déjà été fait ………… médiation entre élèves")
    p = d.add_paragraph("La famille est informée : oui / ")
    p.add_run("non").font.strike = True
    p = d.add_paragraph("Demande urgente : ")
    p.add_run("oui").font.strike = True
    p.add_run(" / non")
    d.add_paragraph("Moirans, le 14/10/2026")
    return _docx_bytes(d), dict(
        ecole_nom="École primaire Pasteur", ecole_commune="Moirans",
        ecole_email="ce.0381111a@ac-grenoble.fr", ecole_telephone="04 76 35 00 00",
        demandeur_nom="Paul ROCHE, directeur", eleve_nom="MASSON", eleve_prenom="Théo",
        eleve_date_naissance="2017-02-02", classe="CM1", motifs=["harcelement"],
        situation="Théo est victime de moqueries répétées ; il ne veut plus aller en récréation.",
        actions_menees="médiation entre élèves", famille_informee=True, urgence=False,
        date_demande="2026-10-14")


def label_above_odt() -> Fiche:
    """Each label on its own line with the value under it; one option ticked with an X;
    questions answered in capitals."""
    o = OpenDocumentText()
    for line in ("Fiche de saisine du pôle ressource", "Établissement",
                 "École élémentaire Jean Moulin", "Commune", "Pontcharra", "Demande présentée par",
                 "Sophie BLANC", "Qualité", "Directrice", "Nom et prénom de l'élève",
                 "Louis GAUTHIER", "Date de naissance", "08/09/2018", "Niveau", "CE2",
                 "Nature de la demande", "   Troubles du comportement",
                 "X  Aide à la décision d'élaboration d'un PAP", "   Orientation SEGPA",
                 "Difficultés rencontrées",
                 "Louis ne parvient pas à lire les consignes ; il copie très lentement.",
                 "Aménagements mis en place", "Lecture des consignes par l'enseignante.",
                 "Les parents ont-ils été informés ? OUI", "Y a-t-il urgence ? NON", "Date",
                 "09/11/2026", "Signature", "S. Blanc"):
        o.text.addElement(P(text=line))
    out = io.BytesIO()
    o.write(out)
    return out.getvalue(), dict(
        ecole_nom="École élémentaire Jean Moulin", ecole_commune="Pontcharra",
        demandeur_nom="Sophie BLANC", demandeur_fonction="Directrice", eleve_nom="GAUTHIER",
        eleve_prenom="Louis", eleve_date_naissance="2018-09-08", eleve_niveau="CE2", motifs=["pap"],
        situation="Louis ne parvient pas à lire les consignes ; il copie très lentement.",
        actions_menees="Lecture des consignes par l'enseignante.", famille_informee=True,
        urgence=False, date_demande="2026-11-09", signataire="S. Blanc")


def pdf_labels_above() -> Fiche:
    """A fillable PDF whose fields are named Champ1, Case2... under their printed labels."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    form = c.acroForm
    state = {"y": 800.0, "n": 0}

    def field(label: str, value: str, height: float = 16) -> None:
        c.setFont("Helvetica", 9)
        c.drawString(50, state["y"], label)
        state["n"] += 1
        form.textfield(name=f"Champ{state['n']}", value=value, x=50,
                       y=state["y"] - height - 4, width=480, height=height, fontSize=9,
                       borderWidth=0.5)
        state["y"] -= height + 22

    def box(label: str, checked: bool) -> None:
        state["n"] += 1
        form.checkbox(name=f"Case{state['n']}", x=50, y=state["y"] - 2, size=10, checked=checked)
        c.drawString(65, state["y"], label)
        state["y"] -= 16

    def text(label: str) -> None:
        c.drawString(50, state["y"], label)
        state["y"] -= 16

    field("Nom de l'école", "École primaire La Fontaine")
    field("Commune", "Voreppe")
    field("Nom du demandeur", "Marc DUVAL")
    field("Nom de l'élève", "LEMAIRE")
    field("Prénom de l'élève", "Jules")
    text("Motif(s) de la demande")
    box("Troubles du comportement", False)
    box("Conflit avec des parents d'élèves", True)
    box("Autre", False)
    field("Description de la situation",
          "Le père de Jules menace l'enseignante devant les élèves.", 30)
    text("Demande urgente")
    box("Oui", True)
    box("Non", False)
    field("Si oui, pourquoi", "Menaces répétées.")
    field("Date de la demande", "20/10/2026")
    c.save()
    return out.getvalue(), dict(
        ecole_nom="École primaire La Fontaine", ecole_commune="Voreppe", demandeur_nom="Marc DUVAL",
        eleve_nom="LEMAIRE", eleve_prenom="Jules", motifs=["conflit_parents"],
        situation="Le père de Jules menace l'enseignante devant les élèves.", urgence=True,
        urgence_motif="Menaces répétées.", date_demande="2026-10-20")


def column_heads() -> Fiche:
    """Tables with a row of labels over a row of values, and Oui/Non answer columns."""
    d = docx.Document()

    def grid(rows: list[list[str]]) -> None:
        table = d.add_table(rows=len(rows), cols=len(rows[0]))
        table.style = "Table Grid"
        for r, values in enumerate(rows):
            for col, value in enumerate(values):
                table.cell(r, col).text = value
        d.add_paragraph("")

    grid([["École", "Commune", "N° UAI"], ["École élémentaire Bayard", "Grenoble", "0381836U"]])
    grid([["Nom", "Prénom", "Date de naissance", "Classe"], ["ROBIN", "Anaïs", "21/01/2016", "CM2"]])
    d.add_paragraph("Demande formulée par : Mme Claire GIRAUD (enseignante)")
    d.add_paragraph("Motif de la demande : Aide à la décision d'orientation en SEGPA")
    d.add_paragraph("Situation : Anaïs a deux ans de retard en lecture et en mathématiques.")
    grid([["", "Oui", "Non"], ["La famille a été informée", "X", ""], ["Demande urgente", "", "X"]])
    d.add_paragraph("Fait à Grenoble, le 2 décembre 2026")
    return _docx_bytes(d), dict(
        ecole_nom="École élémentaire Bayard", ecole_commune="Grenoble", ecole_uai="0381836U",
        eleve_nom="ROBIN", eleve_prenom="Anaïs", eleve_date_naissance="2016-01-21", classe="CM2",
        demandeur_nom="Mme Claire GIRAUD (enseignante)", motifs=["segpa_maintien"],
        situation="Anaïs a deux ans de retard en lecture et en mathématiques.",
        famille_informee=True, urgence=False, date_demande="2026-12-02")


def untagged_controls() -> Fiche:
    """Content controls whose tags mean nothing ("Texte22"), so their labels must be read."""
    d = docx.Document()

    def control(paragraph: Any, value: str, tag: str) -> None:
        paragraph._p.append(parse_xml(
            f'<w:sdt {W}><w:sdtPr><w:tag w:val="{tag}"/><w:text/></w:sdtPr><w:sdtContent><w:r>'
            f'<w:t xml:space="preserve">{value}</w:t></w:r></w:sdtContent></w:sdt>'))

    def box(paragraph: Any, checked: bool) -> None:
        paragraph._p.append(parse_xml(
            f'<w:sdt {W}><w:sdtPr><w14:checkbox><w14:checked w14:val="{int(checked)}"/>'
            f'</w14:checkbox></w:sdtPr><w:sdtContent><w:r><w:t>{"☒" if checked else "☐"}</w:t>'
            '</w:r></w:sdtContent></w:sdt>'))

    d.add_heading("Demande d'intervention – Pôle ressource de la circonscription de Vienne", 1)
    d.add_heading("Renseignements administratifs", 2)
    fields = [("Nom de l'établissement", "École primaire Victor Hugo"), ("Ville", "Vienne"),
              ("Numéro UAI", "0380890Z"), ("Adresse mail de l'école", "ce.0380890z@ac-grenoble.fr"),
              ("Nom de l'enseignant(e)", "Thomas GIRARD"), ("Classe fréquentée", "CE1")]
    for n, (label, value) in enumerate(fields):
        control(d.add_paragraph(label + " : "), value, f"Texte{n + 20}")
    d.add_heading("Concernant l'élève", 2)
    for n, (label, value) in enumerate([("Nom", "BONNET"), ("Prénom", "Lucie"),
                                        ("Date de naissance", "11 janvier 2019")]):
        control(d.add_paragraph(label + " : "), value, f"Texte{n + 30}")
    d.add_heading("Motif de la saisine", 2)
    for checked, label in [(False, "Comportement"), (False, "Harcèlement"),
                           (True, "Élève à besoin éducatif particulier"),
                           (True, "Aide à l'élaboration d'un PAP")]:
        p = d.add_paragraph()
        box(p, checked)
        p.add_run(" " + label)
    d.add_paragraph("Présentation de la situation :")
    d.add_paragraph("Lucie a un diagnostic de dyslexie ; elle se décourage vite et pleure en classe.")
    d.add_paragraph("Intervenants extérieurs : orthophoniste")
    for label, answer in [("Information des parents : ", True), ("Caractère urgent : ", False)]:
        p = d.add_paragraph(label)
        box(p, answer)
        p.add_run(" oui  ")
        box(p, not answer)
        p.add_run(" non")
    d.add_paragraph("À Vienne, le 28/11/2026")
    d.add_paragraph("Le directeur : M. Antoine ROUSSEL")
    return _docx_bytes(d), dict(
        ecole_nom="École primaire Victor Hugo", ecole_commune="Vienne", ecole_uai="0380890Z",
        ecole_email="ce.0380890z@ac-grenoble.fr", demandeur_nom="Thomas GIRARD", classe="CE1",
        eleve_nom="BONNET", eleve_prenom="Lucie", eleve_date_naissance="2019-01-11",
        motifs=["bep", "pap"],
        situation="Lucie a un diagnostic de dyslexie ; elle se décourage vite et pleure en classe.",
        partenaires="orthophoniste", famille_informee=True, urgence=False,
        date_demande="2026-11-28", signataire="M. Antoine ROUSSEL")


def drawn_pdf() -> Fiche:
    """A PDF drawn line by line: "Label: value" without spaces, two columns, a situation
    wrapped over two lines, [x] marks, a dashed date."""
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.setFont("Helvetica", 10)
    y = 800
    layout = [
        (25, ["Circonscription de Bourgoin-Jallieu"]),
        (15, ["Ecole: Ecole maternelle Les Tulipes", "Commune: Bourgoin-Jallieu"]),
        (25, ["Enseignante: Mme Julie MOREAU", "Tel: 04.74.93.00.11"]),
        (15, ["ELEVE"]), (15, ["Nom: CARON", "Prenom: Ethan"]),
        (25, ["Ne le: 30/03/2021", "Niveau: MS"]), (15, ["Motif(s):"]),
        (25, ["[ ] Troubles du comportement   [x] Gestion de crise (deces, accident)   [ ] Autre"]),
        (15, ["Situation:"]),
        (12, ["Le papa d'Ethan est decede dans un accident de la route. Ethan ne parle plus et reste"]),
        (25, ["seul dans la cour. Ses camarades posent beaucoup de questions."]),
        (15, ["Urgence: [x] oui [ ] non"]), (25, ["Pourquoi: la classe est tres choquee"]),
        (15, ["Date: 05-11-2026", "Signature: J. Moreau"]),
    ]
    for step, texts in layout:
        for x, text in zip((50, 330), texts):
            c.drawString(x, y, text)
        y -= step
    c.save()
    return out.getvalue(), dict(
        ecole_nom="Ecole maternelle Les Tulipes", ecole_commune="Bourgoin-Jallieu",
        demandeur_nom="Mme Julie MOREAU", ecole_telephone="04 74 93 00 11", eleve_nom="CARON",
        eleve_prenom="Ethan", eleve_date_naissance="2021-03-30", eleve_niveau="MS",
        motifs=["crise"],
        situation="Le papa d'Ethan est decede dans un accident de la route. Ethan ne parle plus "
                  "et reste seul dans la cour. Ses camarades posent beaucoup de questions.",
        urgence=True, urgence_motif="la classe est tres choquee", date_demande="2026-11-05",
        signataire="J. Moreau")


def tick_column() -> Fiche:
    """Motifs in a table with a "Cocher" column, an X in the chosen row."""
    d = docx.Document()
    d.add_paragraph("FICHE DE LIAISON ÉCOLE – PÔLE RESSOURCE")
    for rows in ([("École", "École primaire Les Marronniers"), ("Commune", "Seyssinet-Pariset"),
                  ("Personne à contacter", "Mme Nadia BENALI"), ("Fonction", "Directrice"),
                  ("Téléphone", "0476498213")],
                 [("Motif de la demande", "Cocher"), ("Troubles du comportement", ""),
                  ("Harcèlement", ""), ("Situation de crise", ""), ("Conflit avec une famille", "X"),
                  ("Autre", "")]):
        table = d.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for label, value in rows:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = label, value
        d.add_paragraph("")
    for line in ("Description de la situation : Les parents de deux élèves s'affrontent devant "
                 "l'école chaque soir.", "Attentes : une médiation avec les familles.",
                 "Urgence : non", "Date : 01/12/2026"):
        d.add_paragraph(line)
    return _docx_bytes(d), dict(
        ecole_nom="École primaire Les Marronniers", ecole_commune="Seyssinet-Pariset",
        demandeur_nom="Mme Nadia BENALI", demandeur_fonction="Directrice",
        ecole_telephone="04 76 49 82 13", motifs=["conflit_parents"],
        situation="Les parents de deux élèves s'affrontent devant l'école chaque soir.",
        attentes="une médiation avec les familles.", urgence=False, date_demande="2026-12-01")


def checkbox_grid_pdf() -> Fiche:
    """Motif boxes drawn in two columns; the pupil and the class on one line."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont("DejaVu", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.setFont("DejaVu", 10)
    rows = [("Nom de l'école : École élémentaire du Lac", ""), ("Commune : Paladru", ""),
            ("Enseignant(e) : M. Hugo VIDAL", ""), ("Élève : PERRET Noah        Classe : CE2", ""),
            ("", ""), ("Motif(s) :", ""),
            ("☐ Troubles du comportement", "☒ Élève à besoins éducatifs particuliers"),
            ("☐ Harcèlement", "☐ PAP"), ("☐ Situation de crise", "☐ SEGPA / maintien"), ("", ""),
            ("Situation : Noah lit couramment depuis la GS et s'ennuie ; il refuse désormais", ""),
            ("de faire les exercices et dérange ses voisins.", ""),
            ("Famille informée : ☒ oui ☐ non", ""), ("Demande urgente : ☐ oui ☒ non", ""),
            ("Fait à Paladru, le 16 novembre 2026", "")]
    for n, (left, right) in enumerate(rows):
        c.drawString(50, 800 - 16 * n, left)
        c.drawString(300, 800 - 16 * n, right)
    c.save()
    return out.getvalue(), dict(
        ecole_nom="École élémentaire du Lac", ecole_commune="Paladru", demandeur_nom="M. Hugo VIDAL",
        eleve_nom="PERRET", eleve_prenom="Noah", classe="CE2", motifs=["bep"],
        situation="Noah lit couramment depuis la GS et s'ennuie ; il refuse désormais de faire les "
                  "exercices et dérange ses voisins.",
        famille_informee=True, urgence=False, date_demande="2026-11-16")


FICHES: tuple[tuple[str, str, Callable[[], Fiche]], ...] = (
    ("hand-merged-table", "docx", merged_table),
    ("hand-letterhead-leaders", "docx", letterhead_and_leaders),
    ("hand-label-above", "odt", label_above_odt),
    ("hand-pdf-labels-above", "pdf", pdf_labels_above),
    ("hand-column-heads", "docx", column_heads),
    ("hand-untagged-controls", "docx", untagged_controls),
    ("hand-drawn-pdf", "pdf", drawn_pdf),
    ("hand-tick-column", "docx", tick_column),
    ("hand-checkbox-grid", "pdf", checkbox_grid_pdf),
)


def build(first_index: int, write: Callable[[str, bytes, dict[str, Any]], Path]) -> list[Path]:
    """Write each fiche through `write(stem, data, fields)`; returns what was written."""
    written = []
    for offset, (name, ext, make) in enumerate(FICHES):
        data, fields = make()
        written.append(write(f"{first_index + offset:02d}-{name}.{ext}", data, fields))
    return written
