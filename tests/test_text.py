"""Value normalisers: what people type, and what Saisine stores."""

from __future__ import annotations

import pytest

from parsers.text import (
    clean,
    parse_bool,
    parse_date,
    parse_email,
    parse_niveau,
    parse_phone,
    parse_uai,
    split_name,
)


@pytest.mark.parametrize("text,iso", [
    ("05/10/2026", "2026-10-05"), ("5.10.26", "2026-10-05"), ("5 octobre 2026", "2026-10-05"),
    ("le 5 oct. 2026", "2026-10-05"), ("Fait à Vif, le 1er déc. 2026", "2026-12-01"),
    ("2026-10-05", "2026-10-05"), ("05 - 10 - 2026", "2026-10-05"), ("14 février 2018", "2018-02-14"),
    ("31/02/2026", None), ("octobre 2026", None), ("12", None), ("", None),
])
def test_dates(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize("text,answer", [
    ("☒ Oui ☐ Non", True), ("☐ Oui ☒ Non", False), ("Oui ☒ Non ☐", True), ("[X] oui [ ] non", True),
    ("X Oui   Non", True), ("Oui   X Non", False), ("oui", True), ("NON", False),
    ("Oui / Non", None), ("☐ Oui ☐ Non", None), ("☒ Oui ☒ Non", None), ("peut-être", None),
])
def test_yes_no(text, answer):
    assert parse_bool(text) is answer


@pytest.mark.parametrize("text,code", [
    ("CE1", "CE1"), ("ce 1", "CE1"), ("Cours moyen 2e année", "CM2"), ("Grande section", "GS"),
    ("TPS", "TPS"), ("CE2/CM1", None), ("6e", None),
])
def test_levels(text, code):
    assert parse_niveau(text) == code


def test_phones_emails_uai_names():
    assert parse_phone("04.76.12.34.56") == parse_phone("+33 4 76 12 34 56") == "04 76 12 34 56"
    assert parse_phone("12 34") is None
    assert parse_email("Mail : CE.0381234X@ac-grenoble.fr.") == "ce.0381234x@ac-grenoble.fr"
    assert parse_uai("0380123X") == ("0380123X", "ecole_uai: check letter does not match")
    assert parse_uai("rne 0380123c") == ("0380123C", None)
    assert split_name("DUPONT Léa") == ("DUPONT", "Léa")
    assert split_name("Léa DE LA TOUR") == ("DE LA TOUR", "Léa")


def test_clean_drops_leaders_and_placeholders():
    assert clean("……………") is None and clean("____") is None and clean(" . . . . ") is None
    assert clean("Cliquez ou appuyez ici pour entrer du texte.") is None
    assert clean("  Il  a  frappé.  ") == "Il a frappé."
