"""SQLite: foreign keys enforced, a WAL journal, and a folder for the default database file."""

import os

from flask import Flask
from sqlalchemy import Engine, event


def configure_sqlite(app: Flask, engine: Engine) -> None:
    database = engine.url.database or ""
    if os.path.dirname(database) == app.instance_path:
        os.makedirs(app.instance_path, exist_ok=True)  # home of the default database file
    event.listen(engine, "connect", _on_connect)


def _on_connect(dbapi_connection, _record) -> None:
    """Enforce foreign keys; WAL lets readers run while a writer commits."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
