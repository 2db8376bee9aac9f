"""The SQLAlchemy engine, the declarative base, and one session per request."""

from typing import NamedTuple

from flask import Flask, current_app, g
from sqlalchemy import Engine{% if not cookiecutter.use_connection_pooling %}, create_engine{% endif %}
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
{%- if not cookiecutter.use_connection_pooling %}
from sqlalchemy.pool import NullPool
{%- endif %}
{%- if cookiecutter.use_connection_pooling or cookiecutter.database == "sqlite" %}
{% endif %}
{%- if cookiecutter.use_connection_pooling %}
from .pooling import create_pooled_engine
{%- endif %}
{%- if cookiecutter.database == "sqlite" %}
from .sqlite import configure_sqlite
{%- endif %}


class Base(DeclarativeBase):
    """Base class of every model."""


def init_app(app: Flask) -> None:
{%- if cookiecutter.use_connection_pooling %}
    engine = create_pooled_engine(app.config["DATABASE_URL"], app.config)
{%- else %}
    engine = create_engine(app.config["DATABASE_URL"], poolclass=NullPool)  # a connection per use
{%- endif %}
{%- if cookiecutter.database == "sqlite" %}
    configure_sqlite(app, engine)
{%- endif %}
    app.extensions["db"] = Database(engine, sessionmaker(engine, expire_on_commit=False))
    app.teardown_appcontext(_close_session)


class Database(NamedTuple):
    engine: Engine
    sessions: sessionmaker[Session]


def get_engine() -> Engine:
    return current_app.extensions["db"].engine


def get_session() -> Session:
    """The session of the current request, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db"].sessions()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def create_all() -> None:
    Base.metadata.create_all(get_engine())


def drop_all() -> None:
    Base.metadata.drop_all(get_engine())
