{%- if cookiecutter.database == "postgresql" -%}
import os

{% endif -%}
import pytest
from flask import Flask
from flask.testing import FlaskClient

from {{ cookiecutter.project_slug }} import create_app, db
{%- if cookiecutter.database == "sqlite" %}


@pytest.fixture
def database_url(tmp_path) -> str:
    """A fresh SQLite file for every test."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"
{%- else %}


@pytest.fixture(scope="session")
def database_url() -> str:
    """The PostgreSQL database in TEST_DATABASE_URL; every test drops and recreates its tables."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.fail(
            "Set TEST_DATABASE_URL to a PostgreSQL database the tests may wipe, "
            "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/{{ cookiecutter.project_slug }}_test",
            pytrace=False,
        )
    return url
{%- endif %}


@pytest.fixture
def make_app(database_url: str):
    """Build apps on the test database (overrides as keyword arguments); dispose of their pools."""
    apps = []

    def make(**overrides) -> Flask:
        app = create_app({"TESTING": True, "DATABASE_URL": database_url, **overrides})
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.get_engine().dispose()


@pytest.fixture
def app(make_app) -> Flask:
    app = make_app()
    with app.app_context():
{%- if cookiecutter.database == "postgresql" %}
        db.drop_all()
{%- endif %}
        db.create_all()
    return app


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
