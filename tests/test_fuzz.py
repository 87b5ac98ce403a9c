"""Bounded fuzzing: whatever comes in, the output keeps the contract's types and shape,
and a damaged file gives a Saisine error, never a crash or a hang."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.errors import ExtractionError
from config.settings import ExtractionLimits, Settings
from parsers.fields import FIELD_KEYS, MOTIF_CODES, MOTIFS
from parsers.labels import FIELD_LABELS, GENERIC_LABELS
from parsers.mapper import map_document
from parsers.model import Document, Extraction, Line
from parsers.sandbox import Sandbox
from parsers.text import parse_bool, parse_date, parse_niveau, parse_options, parse_phone
from tests.conftest import DATA, fuzz_examples

LABELS = [s for synonyms in FIELD_LABELS.values() for s in synonyms] + list(GENERIC_LABELS)
WORDS = [w for motif in MOTIFS for w in motif.words] + ["Oui", "Non", "X", "DUPONT", "Léa"]
fragment = st.one_of(
    st.sampled_from(LABELS), st.sampled_from(WORDS), st.text(max_size=30),
    st.sampled_from(["☒", "☐", "[X]", "[ ]", " : ", "……", "\t", "\n", "?", "05/10/2026",
                     "Fait à Vif, le", "■", "✓", "0381234X", "04 76 00 00 00"]),
)
cell = st.lists(fragment, max_size=6).map("".join)
line = st.lists(cell, min_size=1, max_size=4).map(Line)

ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def assert_contract(result: Extraction) -> None:
    fields = result.to_json()["fields"]
    assert list(fields) == list(FIELD_KEYS)
    for key in ("eleve_date_naissance", "date_demande"):
        assert fields[key] is None or ISO.fullmatch(fields[key])
    for key in ("urgence", "famille_informee"):
        assert fields[key] in (None, True, False)
    assert isinstance(fields["motifs"], list) and set(fields["motifs"]) <= set(MOTIF_CODES)
    assert fields["eleve_niveau"] in (None, "TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1",
                                      "CM2")
    assert fields["motif_autre"] is None or "autre" in fields["motifs"]
    for key, value in fields.items():
        if isinstance(value, str):
            assert value == value.strip() and "  " not in value and value, key
    assert set(result.missing) <= set(FIELD_KEYS)
    if result.missing:
        assert result.needs_review


@settings(max_examples=fuzz_examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, max_size=25))
def test_mapper_keeps_the_contract_on_any_layout(lines):
    assert_contract(map_document(Document("fuzz", lines), "fuzz"))


@settings(max_examples=fuzz_examples(300), deadline=None)
@given(st.text(max_size=80))
def test_normalisers_never_raise(text):
    parse_date(text), parse_bool(text), parse_niveau(text), parse_phone(text)
    for mark, option in parse_options(text):
        assert mark in (None, True, False) and isinstance(option, str)


SAMPLES = [(DATA / name).read_bytes() for name in
           ("01-docx-table-glyph.docx", "25-odt-table-glyph.odt", "33-pdf-text-table.pdf",
            "40-pdf-form-own.pdf")]


@st.composite
def damaged(draw):
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 12))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(10, len(data)))]
    return bytes(data)


@pytest.fixture(scope="module")
def box():
    with Sandbox(Settings(limits=ExtractionLimits(timeout_seconds=10))) as sandbox:
        yield sandbox


@settings(max_examples=fuzz_examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=damaged())
def test_damaged_files_give_a_result_or_a_saisine_error(box, data):
    try:
        result = box.extract(data, "damaged")
    except ExtractionError as err:
        assert str(err).startswith("damaged:") and "\n" not in str(err)
    else:
        assert_contract(result)
