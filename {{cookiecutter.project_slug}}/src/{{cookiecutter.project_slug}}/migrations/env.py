"""Alembic's environment: the models' metadata, and the connection to migrate.

`flask --app {{ cookiecutter.project_slug }} init-db` and the tests hand over a connection of the
app's engine; the `alembic` command line connects to the database of this process's settings
(DATABASE_URL), or writes the SQL out with `--sql`."""

from typing import Any
from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection
from sqlalchemy import TypeDecorator

# The package imports every module that declares a model (models.py, a resource's own): their
# tables are on db.Base.metadata, which autogenerate compares.
from {{ cookiecutter.project_slug }} import create_app
from {{ cookiecutter.project_slug }} import db


def render_item(kind: str, item: Any, _autogen_context: AutogenContext) -> str | Literal[False]:
    """Autogenerate writes a model's own column type (UTCDateTime) as the SQLAlchemy type it
    stores, so that a revision never imports the application."""
    if kind == "type" and isinstance(item, TypeDecorator):
        return f"sa.{item.impl!r}"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=db.Base.metadata,
        render_item=render_item,
{%- if cookiecutter.database == "sqlite" %}
        # SQLite alters a table by copying it, and needs the names of its constraints for that
        # (db.Base names every one): autogenerate writes that.
        render_as_batch=True,
{%- endif %}
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=create_app().config["DATABASE_URL"], target_metadata=db.Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
elif (shared := context.config.attributes.get("connection")) is not None:
    run_migrations(shared)
else:
    with create_app().app_context(), db.get_engine().begin() as connection:
        run_migrations(connection)
