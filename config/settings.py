"""Typed settings, built once at the entry point and passed down.

Values come from defaults, then a TOML file, then `SAISINE_*` environment
variables (nested with `__`, e.g. `SAISINE_LIMITS__MAX_FILE_BYTES`). Secrets
(passwords) are only ever read from the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from config.calendar import Meeting, Member


class Section(BaseModel):
    """A part of the settings: a key it does not know is a typo, refused with its name."""

    model_config = ConfigDict(extra="forbid")


class ExtractionLimits(Section):
    """Bounds around the parsing of one untrusted file."""

    max_file_bytes: int = Field(20 * 1024 * 1024, gt=0)
    # A real fiche is a few pages; a 500-page PDF is either a mistake or an attack.
    max_pages: int = Field(30, gt=0)
    max_zip_entries: int = Field(2000, gt=0)
    max_unzipped_bytes: int = Field(200 * 1024 * 1024, gt=0)
    # DOCX XML compresses ~10-30x; 200x only happens with padding built on purpose.
    max_compression_ratio: float = Field(200.0, gt=1)
    timeout_seconds: float = Field(30.0, gt=0)
    # LibreOffice (for .doc) starts slowly, so it gets its own, longer budget.
    convert_timeout_seconds: float = Field(60.0, gt=0)
    memory_bytes: int = Field(1536 * 1024 * 1024, gt=64 * 1024 * 1024)
    ocr: bool = True


class Circonscription(Section):
    """Who is who: where mail comes from and who is told."""

    name: str = "Circonscription"
    # Schools write from these domains (the académie's); anything else is quarantined.
    allowed_domains: list[str] = ["ac-grenoble.fr"]
    # Our own addresses: mail from them is never answered (no loops).
    own_addresses: list[str] = []
    alert_to: list[str] = []  # the IEN's addresses for urgent requests
    sender: str = "pole.ressource@circonscription.invalid"  # From of what we send


LOOPBACK = ("127.0.0.1", "::1", "localhost")


class Server(Section):
    """A mail server. TLS is the default; plain text only for a server on this machine."""

    host: str = ""
    port: int = 0
    security: Literal["tls", "starttls", "none"] = "starttls"
    username: str = ""
    # Only from the environment (SAISINE_SMTP__PASSWORD, SAISINE_IMAP__PASSWORD).
    password: SecretStr = SecretStr("")
    timeout: float = Field(30.0, gt=0)
    # A private CA for a test or internal server; certificates are always checked.
    ca_file: Path | None = None

    def missing_password(self, section: str) -> str | None:
        """The environment variable this account's password should come from, when unset."""
        if self.username and not self.password.get_secret_value():
            return f"SAISINE_{section.upper()}__PASSWORD"
        return None

    @model_validator(mode="after")
    def _tls_unless_loopback(self) -> Server:
        if self.security == "none" and self.host and self.host not in LOOPBACK:
            raise ValueError(f"security = none is only allowed for a server on this machine, "
                             f"not {self.host}")
        return self


class Folders(Section):
    """Mailbox folders (any language: IMAP's UTF-7 is handled)."""

    inbox: str = "INBOX"
    processed: str = "Saisine/Traités"
    quarantine: str = "Saisine/À vérifier"


class Storage(Section):
    data_dir: Path = Path("saisine-data")
    # Empty: an SQLite file in data_dir. PostgreSQL: postgresql+psycopg://user@host/db
    database_url: str = ""

    def url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'saisine.db').resolve()}"


class Retention(Section):
    """How long pupils' data is kept after the meeting that studied it."""

    # "school_year": until the end of that school year (31 August); "days": `days` after it.
    keep: Literal["school_year", "days"] = "school_year"
    days: int = Field(365, ge=1)


class OIDC(Section):
    """Signing in to the bureau through an OpenID Connect provider (ProConnect). The
    secret only from the environment: SAISINE_BUREAU__OIDC__CLIENT_SECRET."""

    issuer: str  # e.g. https://auth.agentconnect.gouv.fr/api/v2 (ProConnect's)
    client_id: str
    client_secret: SecretStr = SecretStr("")
    # The bureau's public address of /connexion/oidc/retour, as declared to the provider.
    redirect_url: str
    label: str = "ProConnect"  # on the sign-in button


class Bureau(Section):
    """The web bureau (`saisine web`): where it listens. Behind a reverse proxy, keep it on
    loopback and let the proxy speak TLS; cookies are marked Secure except on loopback."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    session_hours: int = Field(10, ge=1, le=24 * 7)
    oidc: OIDC | None = None


class Agenda(Section):
    """When and how the consolidated agenda goes out."""

    # Sent the morning after each deadline, at this hour, local time.
    send_hour: int = Field(7, ge=0, le=23)
    timezone: str = "Europe/Paris"
    # Pupils appear by initials; full names only if the circonscription decides so.
    full_names: bool = False
    # A call for requests to the schools, this many days before each deadline (0: none).
    reminder_days: int = Field(0, ge=0)
    reminder_to: list[str] = []


class Settings(BaseSettings):
    """Everything Saisine can be told. One instance per process."""

    model_config = SettingsConfigDict(
        env_prefix="SAISINE_", env_nested_delimiter="__", extra="forbid"
    )

    limits: ExtractionLimits = ExtractionLimits()
    circonscription: Circonscription = Circonscription()
    smtp: Server = Server(port=587)
    imap: Server = Server(port=993, security="tls")
    folders: Folders = Folders()
    storage: Storage = Storage()
    # The school year's meetings ([[meetings]] date = 2026-12-15, optional deadline).
    meetings: list[Meeting] = []
    meeting_deadline_days: int = Field(6, ge=0)  # fiches due this many days before
    pole: list[Member] = []  # [[pole]] name, role, email: who receives the agendas
    agenda: Agenda = Agenda()
    retention: Retention = Retention()
    bureau: Bureau = Bureau()
    # IDLE wakes the worker at once; this poll is the safety net when IDLE misses mail.
    poll_seconds: int = Field(180, ge=1)
    flush_seconds: int = Field(60, ge=1)  # how often the outbox is retried
    # A school (or a robot posing as one) sending a flood gets at most this many answers
    # an hour; its requests are all still recorded.
    max_replies_per_sender_hour: int = Field(10, ge=1)
    # Who is told that no fiche was found in their email: "attempts", only an email that
    # tries to send a request (an attachment, or words such as fiche, demande, pôle);
    # "always"; or "never". Other mail is left to the secretariat, unanswered.
    ask_for_fiche: Literal["attempts", "always", "never"] = "attempts"

    # Attached pictures smaller than this are logos and signatures, not scanned fiches.
    min_scan_bytes: int = 40_000
    libreoffice: str = "soffice"
    # The Python with LibreOffice's bridge (Debian: python3-uno), to keep one LibreOffice
    # warm for .doc and .rtf fiches; empty: start LibreOffice cold for each file.
    libreoffice_python: str = "/usr/bin/python3"
    tesseract: str = "tesseract"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # TOML is read only when `load_settings` names a file (model_config["toml_file"]).
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def is_staff(self, address: str) -> bool:
        """Whether `address` is the circonscription's own or one of its people's (they may
        add to any request)."""
        circo = self.circonscription
        staff = [circo.sender, *circo.own_addresses, *circo.alert_to,
                 *(member.email for member in self.pole)]
        return address.lower() in {a.lower() for a in staff}


# Where the settings are looked for when no --config names a file: here, then the system's.
DEFAULT_FILES = (Path("saisine.toml"), Path("/etc/saisine/saisine.toml"))


def default_settings_file() -> Path | None:
    """The first settings file found where Saisine looks by default, or None."""
    return next((path for path in DEFAULT_FILES if path.is_file()), None)


def load_settings(config_file: Path | None = None) -> Settings:
    """Build the settings: environment over the TOML file over defaults."""
    from pydantic import ValidationError

    from config.errors import ConfigError

    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"settings: {config_file} does not exist")
    if config_file is not None:
        import tomllib

        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ConfigError(f"settings: {config_file}: {err}") from err
        for section in ("smtp", "imap"):
            if "password" in data.get(section, {}):
                raise ConfigError(
                    f"settings: {config_file}: no password in the file; set "
                    f"SAISINE_{section.upper()}__PASSWORD in the environment instead")
    try:
        if config_file is None:
            return Settings()
        config = SettingsConfigDict(**{**Settings.model_config, "toml_file": config_file})
        return type("FileSettings", (Settings,), {"model_config": config})()
    except ValidationError as err:
        # A mistyped key also leaves its real one missing: the typo is what to say.
        first = next((e for e in err.errors() if e["type"] == "extra_forbidden"),
                     err.errors()[0])
        where = ".".join(str(p) for p in first["loc"])
        if first["type"] == "extra_forbidden":
            raise ConfigError(f"settings: {where}: unknown setting"
                              f"{_closest(first['loc'])}") from err
        raise ConfigError(f"settings: {where}: {first['msg']}") from err


def _closest(loc: tuple[int | str, ...]) -> str:
    """"; did you mean 'name'?" for a mistyped key, from the keys valid where it stands."""
    import difflib

    model: Any = Settings
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        annotation = getattr(field, "annotation", None)
        inner = getattr(annotation, "__args__", None)
        model = inner[0] if inner else annotation
    keys = list(getattr(model, "model_fields", {}))
    found = difflib.get_close_matches(str(loc[-1]), keys, n=1)
    return f"; did you mean '{found[0]}'?" if found else f" (known here: {', '.join(keys)})"
