"""The database: SQLModel tables, engine and sessions, alembic migrations.

Only this package talks SQL. SQLite is the default (one file, WAL, synchronous=FULL);
PostgreSQL is used when the settings give its URL.
"""
