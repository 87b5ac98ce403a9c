"""Shared fixtures: settings built the way the CLI builds them, and the corpus folder."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from config.settings import Circonscription, Settings

DATA = Path(__file__).parent / "data"
# The invented circonscription most tests work for.
VOIRON = Circonscription(name="Circonscription de Voiron", allowed_domains=["ac-grenoble.fr"],
                         alert_to=["ien.voiron@ac-grenoble.fr"],
                         sender="pole.ressource@circo-test.fr")


def fuzz_examples(in_ci: int) -> int:
    """Examples per fuzz test: bounded in CI, `SAISINE_FUZZ_SCALE` times more in the chaos
    run (bench/chaos.py --fuzz)."""
    import os

    return in_ci * int(os.environ.get("SAISINE_FUZZ_SCALE", "1"))


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def sandbox():
    """One warm parsing child for the whole run, as the worker keeps one."""
    from parsers.sandbox import Sandbox

    with Sandbox(Settings()) as box:
        yield box


# The PostgreSQL server that runs on this machine (trust auth on loopback). Each test
# session gets a database of its own, dropped at the end.
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def throwaway_postgres(prefix: str) -> Iterator[str]:
    """The URL of a new, empty database on that server, dropped afterwards (connections
    still open are closed by the drop)."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url():
    with throwaway_postgres("saisine_test") as url:
        yield url


@pytest.fixture
def fresh_postgres():
    """An empty PostgreSQL database of its own for one test, dropped after it."""
    with throwaway_postgres("saisine_one") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A migrated, empty database: SQLite in a temporary folder, then PostgreSQL."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    from storage.db import make_engine, migrate

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db' / 'saisine.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    migrate(engine)
    yield engine
    if request.param == "postgresql":
        # Empty the tables for the next test, keeping the schema, its migration mark and
        # the circonscription row the migrations create.
        with engine.begin() as connection:
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables
                              if t.name != "circonscription")
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            connection.execute(text("DELETE FROM circonscription WHERE id <> 1"))
    engine.dispose()


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (plain text: loopback only)."""
    from demo.smtp import MailSink

    with MailSink() as sink:
        yield sink


@pytest.fixture
def dovecot():
    """A private Dovecot on loopback, started for the test and stopped after it."""
    import shutil
    import tempfile

    from tests import dovecot as server

    # Not under pytest's tmp_path: that is root-only, and Dovecot's own users must read it.
    root = Path(tempfile.mkdtemp(prefix="saisine-dovecot-"))
    root.chmod(0o755)
    instance = server.start(root / "server")
    yield instance
    instance.stop()
    shutil.rmtree(root, ignore_errors=True)


# --- no pupil data in the logs ------------------------------------------------------------
# Every record Saisine logs during the whole run is kept, and at the end searched for the
# invented pupils' names, birth dates and situations of the test data: one found fails
# the run. (Worker processes started by the tests have their own output checked there.)

_RECORDS: list[str] = []


class _Keep(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        _RECORDS.append(f"{record.name}: {record.getMessage()}")


def pytest_configure(config) -> None:
    saisine = logging.getLogger("saisine")
    saisine.addHandler(_Keep(logging.DEBUG))
    saisine.setLevel(logging.DEBUG)


def personal_data() -> set[str]:
    import json

    from tests.mail import FICHE, URGENT

    found: set[str] = set()
    fiches = [FICHE, URGENT] + [json.loads(p.read_text())["fields"]
                                for p in DATA.glob("*.expected.json")]
    for fields in fiches:
        for key in ("eleve_nom", "eleve_prenom", "eleve_date_naissance"):
            if fields.get(key) and len(fields[key]) >= 4:
                found.add(fields[key])
        if fields.get("situation"):
            found.add(fields["situation"][:24])
    return found


def pytest_sessionfinish(session, exitstatus) -> None:
    import re

    leaks = sorted({(name, line) for name in personal_data() for line in _RECORDS
                    if re.search(rf"\b{re.escape(name)}\b", line)})
    if leaks:
        print("\npupil data found in the logs:")
        for name, line in leaks[:20]:
            print(f"  {name!r} in {line!r}")
        session.exitstatus = 1
