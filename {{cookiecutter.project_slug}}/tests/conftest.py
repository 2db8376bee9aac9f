{%- if cookiecutter.database == "postgresql" or cookiecutter.use_caching and cookiecutter.cache_backend == "redis" -%}
import os
import uuid
{% endif -%}
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
{%- if cookiecutter.database == "postgresql" %}
from sqlalchemy import MetaData
{%- endif %}
from sqlalchemy import create_engine
from sqlalchemy import make_url
{%- if cookiecutter.database == "postgresql" %}
from sqlalchemy import text
{%- endif %}

from {{ cookiecutter.project_slug }} import create_app
from {{ cookiecutter.project_slug }} import db
{%- if cookiecutter.use_caching %}
from {{ cookiecutter.project_slug }}.caching import cache
{%- endif %}

# The fixtures that build things, as the tests call them.
MakeApp = Callable[..., Flask]  # make_app(**settings): another app on the test services
MakeUser = Callable[..., dict[str, Any]]  # make_user(**fields): a user created through the API
Seed = Callable[..., None]  # seed(users, addresses_per_user=1): rows inserted by the CLI
{%- if cookiecutter.database == "postgresql" %}


@pytest.fixture(scope="session")
def database_url() -> str:
    """The PostgreSQL database in TEST_DATABASE_URL, emptied of whatever an earlier run left; the
    tests empty its tables."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.exit(
            "Set TEST_DATABASE_URL to a PostgreSQL database the tests may wipe, "
            "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/{{ cookiecutter.project_slug }}_test",
            1,
        )
    engine = create_engine(url)
    with engine.begin() as connection:
        leftovers = MetaData()
        leftovers.reflect(connection)
        leftovers.drop_all(connection)
    engine.dispose()
    return url


@pytest.fixture
def unreachable_database(database_url: str, tmp_path: Path) -> tuple[str, str]:
    """A URL of the test database's kind for a database that cannot be reached, and the words
    the driver gives for it."""
    missing = make_url(database_url).set(database=str(tmp_path / "missing" / "database"))
    return missing.render_as_string(hide_password=False), "does not exist"


@pytest.fixture
def uninitialised_database(database_url: str, cleaner: Engine) -> Iterator[tuple[str, str]]:
    """A URL for a database where no migration has run (a schema of its own in the test
    database, empty and alone on the search path, dropped afterwards), and the words the driver
    gives for its missing users table."""
    schema = f"uninitialised_{uuid.uuid4().hex}"
    with cleaner.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False), 'relation "users" does not exist'
    with cleaner.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
{%- else %}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file for the session."""
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture
def unreachable_database(database_url: str, tmp_path: Path) -> tuple[str, str]:
    """A URL of the test database's kind for a database that cannot be reached, and the words
    the driver gives for it."""
    missing = make_url(database_url).set(database=str(tmp_path / "missing" / "database"))
    return missing.render_as_string(hide_password=False), "unable to open database file"


@pytest.fixture
def uninitialised_database(tmp_path: Path) -> tuple[str, str]:
    """A URL for a database where no migration has run (a new, empty SQLite file), and the words
    the driver gives for its missing users table."""
    return f"sqlite:///{tmp_path / 'uninitialised.sqlite3'}", "no such table: users"
{%- endif %}
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "redis" %}


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server in TEST_REDIS_URL; this session keeps its keys under a prefix of its own."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.exit("Set TEST_REDIS_URL to a Redis server, e.g. redis://127.0.0.1:6379/0", 1)
    return url


@pytest.fixture(scope="session")
def test_settings(database_url: str, redis_url: str) -> dict[str, Any]:
    prefix = f"test-{uuid.uuid4().hex}:"
    return {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "CACHE_KEY_PREFIX": prefix}
{%- else %}


@pytest.fixture(scope="session")
def test_settings(database_url: str) -> dict[str, Any]:
    return {"DATABASE_URL": database_url}
{%- endif %}


@pytest.fixture(scope="session")
def shared_app(test_settings: dict[str, Any]) -> Iterator[Flask]:
    """One app for the session (building one per test would open a new connection per test),
    on a database migrated from empty."""
    app = create_app({"TESTING": True, **test_settings})
    with app.app_context():
        db.upgrade()
    yield app
    with app.app_context():
        db.get_engine().dispose()


@pytest.fixture(scope="session")
def cleaner(database_url: str) -> Iterator[Engine]:
    """Empties the tables between tests over a connection of its own, kept for the session
    whatever pool the app under test uses."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(shared_app: Flask, cleaner: Engine) -> Flask:
    """The shared app, on empty tables (every model's, those that refer to others first)."""
    with cleaner.begin() as connection:
        for table in reversed(db.Base.metadata.sorted_tables):
            connection.execute(table.delete())
{%- if cookiecutter.use_caching %}
    with shared_app.app_context():
        cache.clear()  # and an empty cache
{%- endif %}
    return shared_app


@pytest.fixture
def make_app(test_settings: dict[str, Any], app: Flask) -> Iterator[MakeApp]:
    """Build further apps on the same services (settings as keyword arguments); each one is
    disposed of after the test."""
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = create_app({"TESTING": True, **test_settings, **overrides})
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.get_engine().dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(client: FlaskClient) -> MakeUser:
    """Create a user through the API and return its JSON."""
    counter = iter(range(1, 1_000_000))

    def make(**fields: str) -> dict[str, Any]:
        n = next(counter)
        body = {"name": f"Person {n}", "email": f"person{n}@example.com", **fields}
        response = client.post("/api/users", json=body)
        assert response.status_code == 201, response.json
        user: dict[str, Any] = response.get_json()
        return user

    return make


@pytest.fixture
def seed(app: Flask) -> Seed:
    """Fill the tables through the `seed` command: seed(users, addresses_per_user=1)."""

    def run(users: int, addresses_per_user: int = 1) -> None:
        args = ["seed", "--users", str(users), "--addresses-per-user", str(addresses_per_user)]
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output

    return run
