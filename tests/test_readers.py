"""Format readers on details a corpus fiche rarely shows: struck-through answers in Word,
LibreOffice form controls, nested tables, text boxes."""

from __future__ import annotations

import io

import docx
from docx.oxml import parse_xml

from config.settings import Settings
from parsers.registry import ParseContext, extract_bytes

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def extract(data: bytes):
    return extract_bytes(data, ParseContext("t", Settings()))


def save(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_struck_through_answer_is_crossed_out():
    document = docx.Document()
    p = document.add_paragraph("Demande urgente : ")
    struck = p.add_run("Oui")
    struck.font.strike = True
    p.add_run(" / Non (rayer la mention inutile)")
    p = document.add_paragraph("La famille a été informée : Oui / ")
    p.add_run("Non").font.strike = True
    fields = extract(save(document)).fields
    assert fields["urgence"] is False and fields["famille_informee"] is True


def test_nested_table_inside_a_cell():
    document = docx.Document()
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "Élève"
    inner = outer.cell(0, 1).add_table(rows=2, cols=2)
    for row, (label, value) in zip(inner.rows, [("Nom", "MOREL"), ("Prénom", "Jade")]):
        row.cells[0].text, row.cells[1].text = label, value
    fields = extract(save(document)).fields
    assert (fields["eleve_nom"], fields["eleve_prenom"]) == ("MOREL", "Jade")


def test_text_box_content_is_read():
    document = docx.Document()
    p = document.add_paragraph()
    p._p.append(parse_xml(
        f'<w:r {W} xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape><v:textbox>'
        '<w:txbxContent><w:p><w:r><w:t>Commune : Domène</w:t></w:r></w:p></w:txbxContent>'
        '</v:textbox></v:shape></w:pict></w:r>'))
    assert extract(save(document)).fields["ecole_commune"] == "Domène"


def test_symbol_font_boxes():
    document = docx.Document()
    p = document.add_paragraph()
    p._p.append(parse_xml(f'<w:r {W}><w:sym w:font="Wingdings" w:char="F0FE"/></w:r>'))
    p.add_run(" Harcèlement ")
    p._p.append(parse_xml(f'<w:r {W}><w:sym w:font="Wingdings" w:char="F0A8"/></w:r>'))
    p.add_run(" Troubles du comportement")
    assert extract(save(document)).fields["motifs"] == ["harcelement"]


def test_libreoffice_form_controls():
    from odf import draw, form, office
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    doc = OpenDocumentText()
    forms = office.Forms()
    standard = form.Form(name="Standard")
    standard.addElement(form.Checkbox(id="c1", name="CheckBox1", currentstate="checked"))
    standard.addElement(form.Text(id="c2", name="TextBox1", currentvalue="Sassenage"))
    forms.addElement(standard)
    doc.text.addElement(forms)
    p = P(text="Commune : ")
    p.addElement(draw.Control(control="c2"))
    doc.text.addElement(p)
    p = P()
    p.addElement(draw.Control(control="c1"))
    p.addText(" Demande urgente")
    doc.text.addElement(p)
    out = io.BytesIO()
    doc.write(out)
    result = extract(out.getvalue())
    assert result.method == "odt-form"
    assert result.fields["ecole_commune"] == "Sassenage" and result.fields["urgence"] is True


def test_struck_through_answer_in_odt():
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.text import P, Span

    doc = OpenDocumentText()
    struck = Style(name="Barre", family="text")
    struck.addElement(TextProperties(textlinethroughstyle="solid"))
    doc.automaticstyles.addElement(struck)
    p = P(text="Demande urgente : ")
    p.addElement(Span(stylename=struck, text="Oui"))
    p.addText(" / Non")
    doc.text.addElement(p)
    out = io.BytesIO()
    doc.write(out)
    assert extract(out.getvalue()).fields["urgence"] is False
