"""The SQLAlchemy engine, the declarative base, one session per request, and the schema's
migrations (Alembic, in `migrations/`)."""

import functools
import logging
from collections.abc import Callable
from typing import Literal
from typing import NamedTuple

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask import current_app
from flask import g
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import MetaData
{%- if not cookiecutter.use_connection_pooling %}
from sqlalchemy import create_engine
{%- endif %}
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Session
{%- if not cookiecutter.use_connection_pooling %}
from sqlalchemy.pool import NullPool
{%- endif %}
{% if cookiecutter.use_connection_pooling %}
from .pooling import create_pooled_engine
{%- endif %}
from .{{ cookiecutter.database }} import session_factory

logger = logging.getLogger(__name__)


class Base(DeclarativeBase):
    """Base class of every model. Constraints and indexes get predictable names, so that a
    migration can refer to them."""

    metadata = MetaData(
        naming_convention={
            "pk": "pk_%(table_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
        }
    )


def init_app(app: Flask) -> None:
{%- if cookiecutter.use_connection_pooling %}
    engine = create_pooled_engine(app.config["DATABASE_URL"], app.config)
{%- else %}
    engine = create_engine(app.config["DATABASE_URL"], poolclass=NullPool)  # a connection per use
{%- endif %}
    app.extensions["db"] = Database(engine, session_factory(app, engine))
    app.teardown_appcontext(_close_session)


class Database(NamedTuple):
    engine: Engine
    sessions: Callable[[], Session]  # opens the session of a request: see {{ cookiecutter.database }}.py


def get_engine() -> Engine:
    database: Database = current_app.extensions["db"]
    return database.engine


def get_session() -> Session:
    """The session of the current request, opened on first use."""
    if "db_session" not in g:
        database: Database = current_app.extensions["db"]
        g.db_session = database.sessions()
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()  # rolls back what is left: a round trip that a dead connection fails
    except SQLAlchemyError as error:  # the answer is built already: it must still leave
        logger.warning("Closing the database session failed: %s", type(error).__name__)


def upgrade(revision: str = "head") -> None:
    """Migrate the schema up to `revision`, the newest by default: on an empty database this
    creates every table."""
    with get_engine().begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(revision: str = "base") -> None:
    """Migrate the schema down to `revision`; "base" drops every table."""
    with get_engine().begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's settings for the migrations shipped in this package, run over `connection`
    (the `alembic` command line reads `[tool.alembic]` in pyproject.toml instead)."""
    config = Config()
    config.set_main_option("script_location", f"{__package__}:migrations")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


SchemaState = Literal["current", "empty", "behind", "ahead"]


def schema_state(connection: Connection) -> SchemaState:
    """Where the database's schema stands against the migrations shipped with this code:
    "current" (at their head), "empty" (no migration has run: `init-db` creates the tables),
    "behind" (some are pending: `init-db` applies them), or "ahead" (at a revision this code
    does not know: a newer release has migrated it). Two small queries: the version table's
    existence, then its rows."""
    revisions = set(MigrationContext.configure(connection).get_current_heads())
    heads, known = _shipped_revisions()
    if revisions == heads:
        return "current"
    if not revisions:
        return "empty"
    return "behind" if revisions <= known else "ahead"


@functools.cache
def _shipped_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """The head revisions of the shipped migrations, and every revision they name; read once
    per process, since they cannot change while it runs."""
    scripts = ScriptDirectory.from_config(alembic_config())
    heads = frozenset(scripts.get_heads())
    return heads, frozenset(script.revision for script in scripts.walk_revisions())
