from collections.abc import Iterator

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import MakeApp
from conftest import MakeUser
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select

from {{ cookiecutter.project_slug }} import db
from {{ cookiecutter.project_slug }}.models import Address
from {{ cookiecutter.project_slug }}.models import Base
from {{ cookiecutter.project_slug }}.models import User


def count(app: Flask, model: type[Base]) -> int:
    with app.app_context():
        return db.get_session().execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def empty_database(app: Flask) -> Iterator[Flask]:
    """The test database migrated down to nothing, and back up afterwards."""
    with app.app_context():
        db.downgrade()
        assert inspect(db.get_engine()).get_table_names() == ["alembic_version"]
    yield app
    with app.app_context():
        db.upgrade()


def test_init_db_migrates_an_empty_database_to_the_newest_revision(empty_database: Flask) -> None:
    result = empty_database.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with empty_database.app_context(), db.get_engine().connect() as connection:
        assert {"users", "addresses"} <= set(inspect(connection).get_table_names())
        newest = ScriptDirectory.from_config(db.alembic_config(connection)).get_current_head()
        assert MigrationContext.configure(connection).get_current_revision() == newest


@pytest.mark.parametrize("command", [["init-db"], ["seed", "--users", "1"]])
def test_a_database_that_does_not_answer_is_one_line_naming_why(
    make_app: MakeApp, unreachable_database: tuple[str, str], command: list[str]
) -> None:
    url, reason = unreachable_database
    result = make_app(DATABASE_URL=url).test_cli_runner().invoke(args=command)
    assert result.exit_code == 1
    assert result.output.startswith("Error: The database does not answer: OperationalError: ")
    assert reason in result.output
    assert "Traceback" not in result.output


def test_init_db_twice_changes_nothing(app: Flask, make_user: MakeUser) -> None:
    make_user()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert count(app, User) == 1


def test_seed_on_a_database_without_tables_asks_for_init_db(empty_database: Flask) -> None:
    result = empty_database.test_cli_runner().invoke(args=["seed", "--users", "1"])
    assert result.exit_code == 1
    assert "run `init-db` first" in result.output


def test_seed_inserts_users_with_addresses(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["seed", "--users", "25", "--addresses-per-user", "3"]
    )
    assert result.exit_code == 0, result.output
    assert count(app, User) == 25
    assert count(app, Address) == 75


def test_seed_twice_adds_more_users_without_conflicts(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed", "--users", "5"])
    result = runner.invoke(args=["seed", "--users", "5", "--addresses-per-user", "0"])
    assert result.exit_code == 0, result.output
    assert count(app, User) == 10
    users = client.get("/api/users").get_json()["items"]
    assert len({user["email"] for user in users}) == 10


def test_seed_rejects_a_negative_count(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["seed", "--users", "-1"])
    assert result.exit_code == 2
    assert "--users" in result.output
