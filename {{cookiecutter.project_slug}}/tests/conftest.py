{%- set uses_redis = cookiecutter.use_caching and cookiecutter.cache_backend == "redis" -%}
{%- set postgres = cookiecutter.database == "postgresql" -%}
{% if postgres or uses_redis %}import os
{% endif %}{% if uses_redis %}import uuid
{% endif %}{% if postgres or uses_redis %}
{% endif -%}
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, {% if postgres %}MetaData, {% endif %}create_engine, make_url, text

from {{ cookiecutter.project_slug }} import create_app, db
{%- if cookiecutter.use_caching %}
from {{ cookiecutter.project_slug }}.caching import cache
{%- endif %}
{%- if postgres %}


@pytest.fixture(scope="session")
def database_url() -> str:
    """The PostgreSQL database in TEST_DATABASE_URL; the tests empty its tables."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.exit(
            "Set TEST_DATABASE_URL to a PostgreSQL database the tests may wipe, "
            "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/{{ cookiecutter.project_slug }}_test",
            1,
        )
    return url
{%- else %}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A SQLite file for the session."""
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
{%- endif %}
{%- if uses_redis %}


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server in TEST_REDIS_URL; this session keeps its keys under a prefix of its own."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.exit("Set TEST_REDIS_URL to a Redis server, e.g. redis://127.0.0.1:6379/0", 1)
    return url


@pytest.fixture(scope="session")
def test_settings(database_url: str, redis_url: str) -> dict:
    prefix = f"test-{uuid.uuid4().hex}:"
    return {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "CACHE_KEY_PREFIX": prefix}
{%- else %}


@pytest.fixture(scope="session")
def test_settings(database_url: str) -> dict:
    return {"DATABASE_URL": database_url}
{%- endif %}


@pytest.fixture(scope="session")
def shared_app(test_settings: dict) -> Flask:
    """One app for the session (building one per test would open a new connection per test),
    on a database migrated from empty{% if postgres %}: whatever an earlier run left is dropped first{% endif %}."""
    app = create_app({"TESTING": True, **test_settings})
    with app.app_context():
{%- if postgres %}
        with db.get_engine().begin() as connection:
            leftovers = MetaData()
            leftovers.reflect(connection)
            leftovers.drop_all(connection)
{%- endif %}
        db.upgrade()
    yield app
    with app.app_context():
        db.get_engine().dispose()


@pytest.fixture(scope="session")
def cleaner(database_url: str) -> Engine:
    """Empties the tables between tests over a connection of its own, kept for the session
    whatever pool the app under test uses."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(shared_app: Flask, cleaner: Engine) -> Flask:
    """The shared app, on empty tables{% if cookiecutter.use_caching %} and an empty cache{% endif %}."""
    with cleaner.begin() as connection:
        connection.execute(text("DELETE FROM addresses"))
        connection.execute(text("DELETE FROM users"))
{%- if cookiecutter.use_caching %}
    with shared_app.app_context():
        cache.clear()
{%- endif %}
    return shared_app


@pytest.fixture
def unreachable_database(database_url: str, tmp_path) -> tuple[str, str]:
    """A URL of the test database's kind for a database that cannot be reached, and the words
    the driver gives for it."""
    missing = make_url(database_url).set(database=str(tmp_path / "missing" / "database"))
    reason = "{% if postgres %}does not exist{% else %}unable to open database file{% endif %}"
    return missing.render_as_string(hide_password=False), reason


@pytest.fixture
def make_app(test_settings: dict, app: Flask):
    """Build further apps on the same services (settings as keyword arguments); each one is
    disposed of after the test."""
    apps = []

    def make(**overrides) -> Flask:
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
def make_user(client: FlaskClient):
    """Create a user through the API and return its JSON."""
    counter = iter(range(1, 1_000_000))

    def make(**fields: str) -> dict:
        n = next(counter)
        body = {"name": f"Person {n}", "email": f"person{n}@example.com", **fields}
        response = client.post("/api/users", json=body)
        assert response.status_code == 201, response.json
        return response.json

    return make


@pytest.fixture
def seed(app: Flask):
    """Fill the tables through the `seed` command: seed(users, addresses_per_user=1)."""

    def run(users: int, addresses_per_user: int = 1) -> None:
        args = ["seed", "--users", str(users), "--addresses-per-user", str(addresses_per_user)]
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output

    return run
