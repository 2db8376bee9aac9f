"""The SQLAlchemy engine, the declarative base, and one session per request."""
{%- if cookiecutter.database == "sqlite" %}

import os
{%- endif %}

from flask import Flask, current_app, g
{%- if cookiecutter.database == "sqlite" %}
from sqlalchemy import Engine, create_engine, event
{%- else %}
from sqlalchemy import Engine, create_engine
{%- endif %}
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """Base class of every model."""


def init_app(app: Flask) -> None:
    engine = create_engine(app.config["DATABASE_URL"])
{%- if cookiecutter.database == "sqlite" %}
    os.makedirs(app.instance_path, exist_ok=True)  # where the default SQLite file lives
    event.listen(engine, "connect", _configure_sqlite)
{%- endif %}
    app.extensions["db"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)
{%- if cookiecutter.database == "sqlite" %}


def _configure_sqlite(dbapi_connection, _record) -> None:
    """Enforce foreign keys; WAL lets readers run while a writer commits."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
{%- endif %}


def get_engine() -> Engine:
    return current_app.extensions["db"].kw["bind"]


def get_session() -> Session:
    """The session of the current request, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def create_all() -> None:
    Base.metadata.create_all(get_engine())


def drop_all() -> None:
    Base.metadata.drop_all(get_engine())
