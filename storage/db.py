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
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

from config.errors import StorageError

MIGRATIONS = Path(__file__).parent / "migrations"


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


def _describe(err: Exception) -> str:
    """One line: SQLAlchemy's messages run over several, with a link to its docs."""
    text = str(getattr(err, "orig", None) or err).strip().splitlines()
    return f"{type(err).__name__}: {text[0][:200] if text else ''}"


def _alembic(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision."""
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic(connection), "head")
    except SQLAlchemyError as err:
        raise StorageError(f"database: migration failed ({_describe(err)})") from err


def schema_status(url: str) -> tuple[str | None, str]:
    """(the database's revision, the code's latest); connects but changes nothing."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic()).get_current_head() or ""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision(), head
    except SQLAlchemyError as err:
        raise StorageError(f"database: {_describe(err)}") from err
    finally:
        engine.dispose()


def open_database(url: str) -> Engine:
    """The engine for `url`, its schema brought up to date: what every command starts with."""
    engine = make_engine(url)
    migrate(engine)
    return engine


@contextmanager
def rehearsal(url: str) -> Iterator[Connection]:
    """A connection on which everything is rolled back at the end (`run --dry-run`): the
    pipeline runs for real, its transactions become savepoints of one that never commits."""
    if url.startswith("sqlite") and not Path(url.split("///", 1)[-1]).exists():
        url = "sqlite://"  # no database yet: rehearse on an empty one, create nothing
    engine = create_engine(url)
    if url.startswith("sqlite"):
        # pysqlite opens transactions lazily and would let a RELEASE SAVEPOINT commit;
        # take over BEGIN so the outer transaction really holds everything (SQLAlchemy's
        # documented recipe for SQLite savepoints).
        event.listen(engine, "connect", _sqlite_explicit_begin)
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN"))
    try:
        with engine.connect() as connection:
            outer = connection.begin()
            try:
                command.upgrade(_alembic(connection), "head")
                yield connection
            finally:
                outer.rollback()
    except SQLAlchemyError as err:
        raise StorageError(f"database: {_describe(err)}") from err
    finally:
        engine.dispose()


def _sqlite_explicit_begin(dbapi_connection, _record) -> None:  # noqa: ANN001 (DB-API)
    dbapi_connection.isolation_level = None


@contextmanager
def session_scope(engine: Engine | Connection) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error. On a
    `rehearsal` connection it is a savepoint of the rehearsal's transaction."""
    with Session(engine, expire_on_commit=False,
                 join_transaction_mode="create_savepoint") as session:
        try:
            yield session
            session.commit()
        except SQLAlchemyError as err:
            session.rollback()
            raise StorageError(f"database: {_describe(err)}") from err
        except BaseException:
            session.rollback()
            raise
