"""A field or a motif is declared once (`parsers/fields.py`), and every consumer sees it.

The test makes exactly that one-entry change, in a copy of the source tree: one new
field and one new motif, nothing else edited. Then, in a fresh interpreter on that
copy, it checks each consumer: the JSON contract, the extraction engine (labels,
ticked options, named form fields), the blank fiche in its three formats read back,
the acknowledgement (repeated fields, what is missing), the urgent alert, the
agenda's sections, and routing's test of "is this a fiche".
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "ingest", "notify", "parsers", "storage", "worker")

NEW_FIELD = '''    Field("mediation", Kind.TEXT, "situation", "Médiation proposée", ("Médiateur",),
          required=True, ask="la médiation proposée", acknowledged=True, identifies=True),
'''
NEW_MOTIF = '''    Motif("phobie", "phobie scolaire", "Élève présentant une phobie scolaire",
          ("phobie scolaire", "refus scolaire anxieux"), rank=0),
'''

CHECKS = textwrap.dedent('''
    from datetime import UTC, date, datetime

    from config.settings import Circonscription, Settings
    from notify import agenda, mails
    from notify.fiche import write_fiche
    from parsers.fields import FIELD_KEYS, MOTIF_CODES
    from parsers.mapper import map_document
    from parsers.model import Document, FormField, Line
    from parsers.registry import ParseContext, extract_bytes
    from storage.models import Request
    from worker.routing import Read
    from ingest.message import Attachment

    assert "mediation" in FIELD_KEYS and "phobie" in MOTIF_CODES

    # The engine: the new label, the new motif's wording, a named form field.
    doc = Document(method="docx", lines=[
        Line(["Médiation proposée : rencontre avec la famille"]),
        Line(["☒ Refus scolaire anxieux depuis la rentrée"]), Line(["☐ Autre (préciser)"])])
    read = map_document(doc, "fiche.docx")
    assert read.fields["mediation"] == "rencontre avec la famille", read.fields
    assert read.fields["motifs"] == ["phobie"], read.fields["motifs"]
    assert "mediation" in read.to_json()["fields"]
    tagged = map_document(Document(method="pdf-form", fields=[
        FormField("mediation", "avec le RASED"), FormField("motifs.phobie", True)]), "f.pdf")
    assert tagged.fields["mediation"] == "avec le RASED" and tagged.fields["motifs"] == ["phobie"]
    assert "mediation" in map_document(Document(method="docx"), "vide.docx").missing

    # The blank fiche, filled in and read back, in each of its formats.
    values = {"ecole_nom": "École Les Tilleuls", "mediation": "avec le RASED",
              "motifs": ["phobie"], "urgence": False}
    settings = Settings()
    for fmt in ("docx", "odt", "pdf"):
        back = extract_bytes(write_fiche(fmt, values), ParseContext(f"fiche.{fmt}", settings))
        assert back.fields["mediation"] == "avec le RASED", (fmt, back.fields)
        assert back.fields["motifs"] == ["phobie"], (fmt, back.fields["motifs"])

    # The mail: repeated to the school, asked for when missing, in the alert.
    circo = Circonscription(name="Circonscription de test", sender="pole@ac-test.fr",
                            alert_to=["ien@ac-test.fr"])
    request = Request(reference="PR-2026-0001", sender="ce.0381234x@ac-test.fr",
                      fiche_hash="ab", method="docx", fields={**read.fields},
                      missing=[], urgent=True, created_at=datetime.now(UTC))
    ack = mails.acknowledgement([request], request.sender, None, circo)
    assert "Médiation proposée : rencontre avec la famille" in ack.text, ack.text
    assert "phobie scolaire" in ack.text and "phobie scolaire" in (ack.html or "")
    request.missing = ["mediation"]
    assert "la médiation proposée" in mails.acknowledgement([request], "x@ac-test.fr", None,
                                                             circo).text
    assert "phobie scolaire" in mails.alert(request, "ab", False, "x@ac-test.fr", circo).text

    # The agenda: the new motif has its section, in the fiche's order (it was put first).
    request.urgent = False
    other = Request(reference="PR-2026-0002", sender="x@ac-test.fr", fiche_hash="cd",
                    method="docx", fields={"motifs": ["comportement"]},
                    created_at=datetime.now(UTC))
    built = agenda.build([other, request], date(2026, 12, 18), date(2026, 12, 12), "Test")
    assert [s.title for s in built.sections] == [
        "Motif : phobie scolaire", "Motif : troubles du comportement"], built.sections

    # Routing: the new identifying field counts towards "this is a fiche".
    only = {key: None for key in FIELD_KEYS} | {"mediation": "x", "motifs": ["phobie"],
                                                "situation": "y"}
    extraction = type(read)("f.docx", "docx", only, [], [], False)
    assert Read(Attachment("f.docx", b"x"), extraction).is_fiche
    print("every consumer sees the new field and the new motif")
''')


def _insert_after(text: str, anchor: str, entry: str) -> str:
    assert text.count(anchor) == 1, anchor
    return text.replace(anchor, anchor + entry)


def test_one_entry_adds_a_field_and_a_motif_everywhere(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    table = tmp_path / "parsers" / "fields.py"
    source = table.read_text(encoding="utf-8")
    # The one change: an entry in each table, nothing else.
    source = _insert_after(source, "FIELDS: tuple[Field, ...] = (\n", NEW_FIELD)
    source = _insert_after(source, "MOTIFS: tuple[Motif, ...] = (\n", NEW_MOTIF)
    table.write_text(source, encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", CHECKS], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env={"PYTHONPATH": str(tmp_path),
                                                       "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "every consumer sees" in done.stdout


def test_the_blank_fiche_and_the_engine_agree_on_every_field():
    """Each field's own label (as the blank fiche prints it) is read as that field; a
    generic one ("Téléphone") as that field when no section says otherwise."""
    from parsers.fields import FIELDS
    from parsers.matching import GENERIC, GENERIC_BY_NORM, match_label

    def meaning(label: str) -> str | None:
        target = match_label(label)
        if target and target.startswith(GENERIC):
            return GENERIC_BY_NORM[target.removeprefix(GENERIC)].get(None)
        return target

    assert [f.key for f in FIELDS if meaning(f.label) != f.key] == []
