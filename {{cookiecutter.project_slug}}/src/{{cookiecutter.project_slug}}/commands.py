"""CLI: `flask --app {{ cookiecutter.project_slug }} init-db` and `... seed`."""

import functools
from collections.abc import Callable
from typing import ParamSpec
from typing import TypeVar

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import db
{%- if cookiecutter.use_caching %}
from .caching_{{ cookiecutter.cache_backend }} import invalidate_after_command
{%- endif %}
from .errors import DATABASE_UNAVAILABLE
from .models import ADDRESSES_MAX
from .models import Address
from .models import User
from .{{ cookiecutter.database }} import database_error_reason


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(seed)


Params = ParamSpec("Params")
Result = TypeVar("Result")


def _database_answers(command: Callable[Params, Result]) -> Callable[Params, Result]:
    """A database that does not answer is one line naming why, and exit status 1, not a
    traceback."""

    @functools.wraps(command)
    def run(*args: Params.args, **kwargs: Params.kwargs) -> Result:
        try:
            return command(*args, **kwargs)
        except DATABASE_UNAVAILABLE as error:
            reason = database_error_reason(error)
            raise click.ClickException(f"The database does not answer: {reason}") from None

    return run


@click.command("init-db")
@with_appcontext
@_database_answers
def init_db() -> None:
    """Apply the migrations the database lacks (on a new database: create every table)."""
    db.upgrade()
    click.echo("Database ready.")


@click.command("seed")
@with_appcontext
@click.option("--users", "user_count", type=click.IntRange(min=0), default=100, show_default=True)
@click.option(
    "--addresses-per-user", type=click.IntRange(0, ADDRESSES_MAX), default=2, show_default=True
)
@_database_answers
def seed(user_count: int, addresses_per_user: int) -> None:
{%- if cookiecutter.use_caching %}
    """Insert demo users with addresses, in bulk, in one transaction, then invalidate the cache."""
{%- else %}
    """Insert demo users with addresses, in bulk, in one transaction."""
{%- endif %}
    if not inspect(db.get_engine()).has_table(User.__tablename__):
        raise click.ClickException("The database has no tables yet: run `init-db` first.")
    session = db.get_session()
    start = session.execute(select(func.coalesce(func.max(User.id), 0))).scalar_one() + 1
    users = [
        {"name": f"User {n}", "email": f"user{n}@example.com"}
        for n in range(start, start + user_count)
    ]
    try:
        user_ids = _insert_users(session, users)
        addresses = [
            {"user_id": user_id, "street": f"{n} Main Street", "city": "Springfield"}
            for user_id in user_ids
            for n in range(1, addresses_per_user + 1)
        ]
        if addresses:
            session.execute(insert(Address), addresses)
        session.commit()
    except IntegrityError:
        raise click.ClickException("A seeded email is taken already; nothing was added.") from None
    click.echo(f"Seeded {len(user_ids)} users with {addresses_per_user} addresses each.")
{%- if cookiecutter.use_caching %}
    invalidate_after_command("the new users")
{%- endif %}


def _insert_users(session: Session, users: list[dict[str, str]]) -> list[int]:
    if not users:
        return []
    statement = insert(User).returning(User.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, users))
