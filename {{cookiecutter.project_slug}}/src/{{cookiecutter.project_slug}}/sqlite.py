"""SQLite: a default database file in the instance folder, foreign keys enforced, a WAL journal,
and what SQLite's errors mean."""

import os

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

# A table or column the code uses does not exist: the migrations have not (all) run. SQLite
# reports it as an OperationalError, like a database it cannot open; these are its words.
SCHEMA_BEHIND = ("no such table:", "no such column:")


def default_database_url(instance_path: str) -> str:
    """A file in the app's instance folder."""
    return f"sqlite:///{os.path.join(instance_path, '{{ cookiecutter.project_slug }}.sqlite3')}"


def session_factory(app: Flask, engine: Engine) -> sessionmaker[Session]:
    """Set `engine` up for SQLite; every request gets a session of the returned factory."""
    database = engine.url.database or ""
    if os.path.dirname(database) == app.instance_path:
        os.makedirs(app.instance_path, exist_ok=True)  # home of the default database file
    event.listen(engine, "connect", _on_connect)
    return sessionmaker(engine, expire_on_commit=False)


def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    """Enforce foreign keys; WAL lets readers run while a writer commits."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def database_error_reason(error: Exception) -> str:
    """The driver's own words (unable to open the file, no such table), never the statement or
    its values."""
    reason = getattr(error, "orig", None) or error
    return f"{type(reason).__name__}: {reason}"


def schema_is_behind(error: Exception) -> bool:
    """The statement needs a table or a column that the database lacks: `init-db` has not run,
    or not since the migrations that add it shipped."""
    return isinstance(error, OperationalError) and str(error.orig).startswith(SCHEMA_BEHIND)
