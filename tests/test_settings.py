"""Settings: file and environment, secrets only from the environment, TLS by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.settings import load_settings


def test_file_then_environment(tmp_path, monkeypatch):
    config = tmp_path / "saisine.toml"
    config.write_text('[smtp]\nhost = "smtp.ac-grenoble.fr"\nusername = "pole"\n'
                      '[circonscription]\nalert_to = ["ien@ac-grenoble.fr"]\n')
    monkeypatch.setenv("SAISINE_SMTP__PASSWORD", "from-the-environment")
    settings = load_settings(config)
    assert settings.smtp.host == "smtp.ac-grenoble.fr" and settings.smtp.security == "starttls"
    assert settings.smtp.password.get_secret_value() == "from-the-environment"
    assert "from-the-environment" not in repr(settings)
    assert settings.circonscription.alert_to == ["ien@ac-grenoble.fr"]


def test_a_password_in_the_file_is_refused(tmp_path):
    config = tmp_path / "saisine.toml"
    config.write_text('[imap]\nhost = "imap.ac-grenoble.fr"\npassword = "secret"\n')
    with pytest.raises(ConfigError, match="SAISINE_IMAP__PASSWORD"):
        load_settings(config)


def test_plain_text_to_a_remote_server_is_refused(tmp_path):
    config = tmp_path / "saisine.toml"
    config.write_text('[imap]\nhost = "imap.ac-grenoble.fr"\nsecurity = "none"\n')
    with pytest.raises(ConfigError, match="imap: .*only allowed for a server on this machine"):
        load_settings(config)


def test_a_request_goes_to_the_first_meeting_whose_deadline_it_beat():
    from datetime import date

    from config.calendar import Meeting, meeting_for

    october = Meeting(date=date(2026, 10, 16), deadline=date(2026, 10, 10))
    december = Meeting(date=date(2026, 12, 15))  # deadline 6 days before: 9 December
    calendar = [december, october]  # any order
    assert meeting_for(calendar, date(2026, 10, 10), 6) == (october, False)  # on the day
    assert meeting_for(calendar, date(2026, 10, 11), 6) == (december, True)
    assert meeting_for(calendar, date(2026, 12, 9), 6) == (december, False)
    assert meeting_for(calendar, date(2026, 12, 10), 6) == (None, True)  # none left after
    assert meeting_for(calendar, date(2026, 12, 16), 6) == (None, False)
    assert meeting_for([], date(2026, 10, 1), 6) == (None, False)


@pytest.mark.parametrize("toml, said", [
    ('[circonscription]\nnmae = "Voiron"\n', "circonscription.nmae: unknown setting; did you mean 'name'?"),
    ('[imap]\nhots = "imap.example.org"\n', "imap.hots: unknown setting; did you mean 'host'?"),
    ('[[pole]]\nname = "A"\nrole = "IEN"\nemial = "a@ac-grenoble.fr"\n',
     "pole.0.emial: unknown setting; did you mean 'email'?"),
    ('pol_seconds = 60\n', "pol_seconds: unknown setting; did you mean 'poll_seconds'?"),
])
def test_a_mistyped_key_is_refused_with_its_closest_valid_one(tmp_path, toml, said):
    path = tmp_path / "saisine.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == f"settings: {said}"


def test_the_example_settings_file_is_valid():
    load_settings(Path(__file__).parents[1] / "config" / "saisine.example.toml")
