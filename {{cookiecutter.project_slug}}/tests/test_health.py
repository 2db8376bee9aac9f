"""Liveness and readiness probes, and what the API answers while the database is not ready."""

from typing import Any

import pytest
from conftest import MakeApp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy import text

from {{ cookiecutter.project_slug }} import db

RUN_INIT_DB = "run `flask --app {{ cookiecutter.project_slug }} init-db`"


@pytest.fixture
def uninitialised_app(uninitialised_database: tuple[str, str], make_app: MakeApp) -> Flask:
    """An app on a database where no migration has run."""
    return make_app(DATABASE_URL=uninitialised_database[0])


def readiness(database: str) -> dict[str, Any]:
    """The /readyz body expected when the database's check is `database`."""
    status = "ok" if database == "ok" else "unavailable"
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "redis" %}
    return {"status": status, "checks": {"database": database, "redis": "ok"}}  # Redis answers
{%- else %}
    return {"status": status, "checks": {"database": database}}
{%- endif %}


def test_healthz_answers_ok_without_touching_the_database(
    make_app: MakeApp, unreachable_database: tuple[str, str]
) -> None:
    app = make_app(DATABASE_URL=unreachable_database[0])
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_ok_when_the_database_answers_at_the_migration_head(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == readiness("ok")


def test_readyz_is_503_when_the_database_is_unreachable_and_logs_the_drivers_reason(
    make_app: MakeApp, unreachable_database: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    url, reason = unreachable_database
    app = make_app(DATABASE_URL=url)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == readiness("unavailable")
    # The driver's exception and its message, so that an operator can tell why.
    assert "the database does not answer: OperationalError: " in caplog.text
    assert reason in caplog.text


def test_readyz_is_503_naming_init_db_until_the_database_is_initialised(
    uninitialised_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = uninitialised_app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == readiness("not initialised")
    assert RUN_INIT_DB in caplog.text

    with uninitialised_app.app_context():
        db.upgrade()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == readiness("ok")


def test_readyz_is_503_after_the_schema_is_downgraded_to_base(uninitialised_app: Flask) -> None:
    client = uninitialised_app.test_client()
    with uninitialised_app.app_context():
        db.upgrade()
    assert client.get("/readyz").status_code == 200
    with uninitialised_app.app_context():
        db.downgrade("base")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == readiness("not initialised")


def test_readyz_is_503_with_migrations_pending_when_the_code_ships_a_newer_one(
    uninitialised_app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with uninitialised_app.app_context():
        db.upgrade()
    # This release's migrations end at a revision after the one the database is at.
    _, known = db._shipped_revisions()
    shipped = (frozenset({"a-later-one"}), known | {"a-later-one"})
    monkeypatch.setattr(db, "_shipped_revisions", lambda: shipped)
    response = uninitialised_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == readiness("migrations pending")
    assert f"migrations pending; {RUN_INIT_DB}" in caplog.text


def test_readyz_stays_ok_when_a_newer_release_has_migrated_the_schema(
    uninitialised_app: Flask,
) -> None:
    """During a rolling deployment the database is migrated first; the previous release keeps
    serving until it is replaced, instead of every one of its workers leaving at once."""
    with uninitialised_app.app_context():
        db.upgrade()
        with db.get_engine().begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'a-later-one'"))
    response = uninitialised_app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == readiness("ok")


def test_readyz_reads_only_the_migration_version(app: Flask, client: FlaskClient) -> None:
    """Readiness is probed every few seconds: the version table's existence and its rows, no
    more."""
    statements: list[str] = []
    with app.app_context():
        engine = db.get_engine()

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/readyz").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 2
    assert "alembic_version" in statements[-1]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/users", None),
        ("get", "/api/users/1", None),
        ("post", "/api/users", {"name": "Ada", "email": "ada@example.com"}),
    ],
)
def test_the_api_on_an_uninitialised_database_is_a_json_503_saying_so(
    uninitialised_database: tuple[str, str],
    uninitialised_app: Flask,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    _, missing_table = uninitialised_database
    response = getattr(uninitialised_app.test_client(), method)(path, json=body)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json == {
        "error": "service-unavailable",
        "message": "The database is not initialised yet; try again later.",
    }
    # The operator's log names the fix and the driver's reason, not the statement.
    (warning,) = [record for record in caplog.records if record.levelname == "WARNING"]
    message = warning.getMessage()
    assert "not initialised" in message
    assert RUN_INIT_DB in message
    assert missing_table in message
    for statement in ("SELECT", "INSERT", "FROM"):
        assert statement not in message
