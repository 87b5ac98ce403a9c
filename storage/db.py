"""Engine, sessions and migrations.

SQLite gets WAL (readers never block the worker), synchronous=FULL (a commit is on
disk before we touch the mail server) and foreign keys. The schema is always built
by alembic, also for a new database, so every installation runs the same migrations.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

from config.errors import SaisineError

MIGRATIONS = Path(__file__).parent / "migrations"


class StorageError(SaisineError):
    """The database cannot be reached or refused an operation."""


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            # Pupils' data: the database file is readable by its owner only.
            Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            Path(path).touch(mode=0o600, exist_ok=True)
            os.chmod(path, 0o600)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 (DB-API objects)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as err:
        raise StorageError(f"database: migration failed ({type(err).__name__}: {err})") from err


def schema_status(url: str) -> tuple[str | None, str]:
    """(the database's revision, the code's latest); connects but changes nothing."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head() or ""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision(), head
    except SQLAlchemyError as err:
        raise StorageError(f"database: {type(err).__name__}: {str(err)[:200]}") from err
    finally:
        engine.dispose()


def open_database(url: str) -> Engine:
    """The engine for `url`, its schema brought up to date: what every command starts with."""
    engine = make_engine(url)
    migrate(engine)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except SQLAlchemyError as err:
            session.rollback()
            raise StorageError(f"database: {type(err).__name__}: {str(err)[:200]}") from err
        except BaseException:
            session.rollback()
            raise
