"""The general rules that read fiches worded as none before: labels found by their layout
and matched by their meaning, unknown labels as boundaries, ticks drawn as graphics,
choices never guessed, and the verdict that says which fields a person must check.

Every label here is invented for the test, and none is in `parsers/labels.py`.
"""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from config.settings import Settings
from parsers.mapper import map_document
from parsers.matching import by_meaning
from parsers.model import Document, Extraction, Line
from parsers.pdf import read_pdf


def extract(*rows: str | list[str] | Line) -> Extraction:
    lines = [
        r if isinstance(r, Line) else Line([r]) if isinstance(r, str) else Line(list(r))
        for r in rows
    ]
    return map_document(Document("test", lines), "t")


def test_labels_matched_by_their_words():
    assert by_meaning("Actions engagées jusqu'ici par l'équipe") == "actions_menees"
    assert by_meaning("Description détaillée des faits observés") == "situation"
    assert by_meaning("Le caractère urgent est-il avéré ?") == "urgence"
    assert by_meaning("Numéro d'immatriculation de l'établissement (RNE)") == "ecole_uai"
    # A first word that is a label by itself names the kind of value.
    assert by_meaning("Classe suivie cette année") == "generic:classe"
    assert by_meaning("Date de transmission") == "generic:date"
    # Words that mean no field, or a value with names in it, are not a label.
    assert by_meaning("Langue parlée à la maison") is None
    assert by_meaning("Loisirs et passions") is None
    assert by_meaning("École élémentaire Les Tilleuls") is None


def test_an_unknown_label_ends_the_value_above_and_is_reported():
    e = extract(
        "Nom de l'école : École primaire Les Saules",
        "Commune : Seyssins",
        "Description de la situation :",
        "Théo frappe ses camarades depuis la rentrée.",
        "Activités préférées de l'enfant :",
        "Le football et le dessin.",
        "Demande urgente : non",
        "Date : 02/12/2026",
    )
    assert e.fields["situation"] == "Théo frappe ses camarades depuis la rentrée."
    assert "football" not in str(e.fields)
    assert e.needs_review
    assert any("Activités préférées" in w for w in e.warnings)


def test_a_sentence_with_a_colon_stays_in_the_text():
    e = extract(
        "Description de la situation :",
        "Il a dit : « je ne reviendrai plus ».",
        "Demande urgente : non",
    )
    assert e.fields["situation"] == "Il a dit : « je ne reviendrai plus »."


def test_a_question_and_a_bold_line_are_labels_by_their_layout():
    e = extract(
        "Nom de l'école : École primaire Les Saules",
        "Comment se présente la situation aujourd'hui ?",
        "Il ne parle plus en classe.",
        Line(["Démarches entreprises par l'équipe"], emphasis=True),
        "Rencontre avec la mère.",
        Line(["Loisirs et passions"], emphasis=True),
        "Le judo.",
    )
    assert e.fields["situation"] == "Il ne parle plus en classe."
    assert e.fields["actions_menees"] == "Rencontre avec la mère."
    assert "judo" not in str(e.fields)


def test_a_yes_no_pair_with_nothing_marked_is_unknown():
    e = extract(
        ["Nom de l'école", "École primaire Les Saules"],
        ["Demande urgente", "☐ Oui   ☐ Non"],
        ["La famille a été informée", "☐ oui ☐ non"],
    )
    assert e.fields["urgence"] is None and e.fields["famille_informee"] is None
    assert e.needs_review and "urgence" in e.to_check


def test_a_list_of_motifs_with_no_mark_chooses_none():
    e = extract(
        "Motif de la demande :",
        "Troubles du comportement",
        "Harcèlement",
        "Situation de crise",
        "Conflit avec les parents",
        "PAP",
    )
    assert e.fields["motifs"] == []
    assert any(w.startswith("motifs:") for w in e.warnings)
    # A school that deleted the others keeps what it chose.
    assert extract("Motif de la demande :", "Harcèlement").fields["motifs"] == ["harcelement"]


def test_confidence_says_how_each_field_was_found():
    e = extract(
        ["Nom de l'école", "École primaire Les Saules"], ["Ville d'implantation", "Seyssins"]
    )
    assert e.confidence["ecole_nom"] == "label"
    assert e.fields["ecole_commune"] == "Seyssins"
    assert e.confidence["ecole_commune"] == "meaning"


def _pdf_with_drawn_boxes() -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setFont("Helvetica", 10)
    c.drawString(50, 800, "Nom de l'école : École primaire Les Saules")
    c.drawString(50, 780, "Motif de la demande :")
    for n, (label, ticked) in enumerate(
        [("Harcèlement", False), ("Situation de crise", True), ("PAP", False)]
    ):
        y = 760 - 18 * n
        c.rect(50, y - 2, 10, 10)
        if ticked:  # Word's ticked box, exported: two strokes crossing in the square
            c.line(50, y - 2, 60, y + 8)
            c.line(50, y + 8, 60, y - 2)
        c.drawString(66, y, label)
    c.drawString(50, 690, "Demande urgente :")
    for x, label, ticked in ((160, "oui", False), (210, "non", True)):
        c.rect(x, 688, 10, 10, fill=int(ticked))
        c.drawString(x + 14, 690, label)
    c.drawString(50, 670, "La famille a été informée :")
    c.drawString(200, 670, "OUI / NON")
    width = c.stringWidth("OUI / ", "Helvetica", 10)
    c.line(200 + width - 1, 673.5, 200 + width + c.stringWidth("NON", "Helvetica", 10) + 1, 673.5)
    c.save()
    return out.getvalue()


def test_ticks_drawn_as_graphics_and_struck_answers_in_a_pdf():
    doc = read_pdf(_pdf_with_drawn_boxes(), Settings().limits)
    e = map_document(doc, "t")
    assert e.fields["motifs"] == ["crise"]
    assert e.fields["urgence"] is False
    assert e.fields["famille_informee"] is True  # "NON" struck through


def test_a_column_of_marks_is_the_options_boxes():
    e = extract(["Motif de la demande", "Cocher"], ["Comportement violent", ""],
                ["Élève victime de harcèlement", "X"], ["Situation de crise", ""],
                ["Demande de PAP", ""])
    assert e.fields["motifs"] == ["harcelement"]
    assert e.fields["eleve_nom"] is None  # "Élève victime…" is an option, not a label


def test_a_topic_label_whose_other_words_mean_another_field():
    e = extract(["", "Oui", "Non"], ["Situation nécessitant une réponse urgente", "X", ""])
    assert e.fields["urgence"] is True and e.fields["situation"] is None


def test_whose_then_a_generic_label_in_one_cell():
    e = extract(["Élève : NOM", "ROUX"], ["Élève : prénom", "Zoé"], ["Demandeur : NOM", ""])
    assert (e.fields["eleve_nom"], e.fields["eleve_prenom"]) == ("ROUX", "Zoé")
    assert e.fields["demandeur_nom"] is None


def test_motif_boxes_under_a_label_read_as_another_field_are_the_motifs():
    e = extract("Genre de sollicitation attendue :", "[ ] Harcèlement", "[X] PAP",
                Line(["Difficultés rencontrées au quotidien"], emphasis=True), "Il ne lit pas encore.")
    assert e.fields["motifs"] == ["pap"]
    assert e.fields["situation"] == "Il ne lit pas encore."


def test_a_label_over_motif_boxes_is_the_motifs_label_and_an_empty_cell_answers_nothing():
    e = extract(["Son niveau", ""],
                ["Pour quelle raison nous saisir", "☐ Harcèlement\n☒ Conflit avec des parents"])
    assert e.fields["motifs"] == ["conflit_parents"]
    assert e.fields["eleve_niveau"] is None and not any("niveau" in w for w in e.warnings)


def test_heads_ending_on_an_abbreviation():
    e = extract(["Adulte référent de la demande", "Statut", "N° de tél.", "Contact mail"],
                ["Mme Lina ROCHE", "Directrice", "04 76 11 22 33", "ce.0381234x@ac-grenoble.fr"])
    assert e.fields["demandeur_nom"] == "Mme Lina ROCHE"
    assert e.fields["ecole_telephone"] == "04 76 11 22 33"


def test_word_checkboxes_kept_in_an_odt():
    import zipfile

    field = "urn:openoffice:names:experimental:ooo-ms-interop:xmlns:field:1.0"
    box = ('<field:fieldmark text:name="b{n}" field:type="vnd.oasis.opendocument.field.'
           'FORMCHECKBOX">{param}</field:fieldmark>')
    ticked = '<field:param field:name="Checkbox_Checked" field:value="true"/>'
    body = "".join(
        f'<text:p>{box.format(n=n, param=ticked if on else "")} {label}</text:p>'
        for n, (label, on) in enumerate([("Harcèlement", False), ("Demande de PAP", True)]))
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        f'xmlns:field="{field}"><office:body><office:text><text:p>Motif de la demande :</text:p>'
        f"{body}</office:text></office:body></office:document-content>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", content)
    from parsers.odt import read_odt

    e = map_document(read_odt(out.getvalue(), Settings().limits), "t")
    assert e.fields["motifs"] == ["pap"]


def test_a_date_line_and_the_signature_label_run_together_in_one_cell():
    for cell in ("Le 12/11/2026 Nom et signature du directeur",
                 "Date : 12/11/2026\nNom et signature du directeur :"):
        e = extract([cell, "Mme Alice VIDAL"])
        assert (e.fields["date_demande"], e.fields["signataire"]) == \
            ("2026-11-12", "Mme Alice VIDAL"), cell


def test_a_page_of_many_little_squares_is_a_pattern_read_quickly():
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.drawString(50, 800, "Demande urgente : oui non")
    for n in range(3000):  # a hostile or decorative grid: no box is read from it
        x, y = 40 + (n % 60) * 9, 80 + (n // 60) * 9
        c.rect(x, y, 7, 7)
        c.line(x, y, x + 7, y + 7)
    c.save()
    doc = read_pdf(out.getvalue(), Settings().limits)
    assert not any("☐" in cell or "☒" in cell for line in doc.lines for cell in line.cells)
    assert map_document(doc, "t").fields["urgence"] is None
