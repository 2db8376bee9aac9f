"""PostgreSQL: the default database, a request that only reads runs its statements outside a
transaction, and which of the server's errors mean the schema is behind."""

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import MakeApp
from conftest import MakeUser
from flask import Flask
from flask.testing import FlaskClient
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection
from sqlalchemy import event
from sqlalchemy import text

from {{ cookiecutter.project_slug }} import config
from {{ cookiecutter.project_slug }} import db


def test_database_defaults_to_a_local_postgresql_database() -> None:
    expected = "postgresql+psycopg://localhost/{{ cookiecutter.project_slug }}"
    assert config.from_env("/srv/instance", {})["DATABASE_URL"] == expected


@pytest.fixture
def transaction_states(app: Flask) -> Iterator[list[TransactionStatus]]:
    """The driver's transaction status right after each statement the app runs."""
    states: list[TransactionStatus] = []

    def record(
        conn: Connection,
        _cursor: object,
        _statement: object,
        _parameters: object,
        _context: object,
        _executemany: object,
    ) -> None:
        driver = conn.connection.driver_connection  # psycopg's own connection
        assert driver is not None
        states.append(driver.info.transaction_status)

    with app.app_context():
        engine = db.get_engine()
    event.listen(engine, "after_cursor_execute", record)
    yield states
    event.remove(engine, "after_cursor_execute", record)


def test_reads_send_no_begin_and_no_rollback(
    client: FlaskClient, make_user: MakeUser, transaction_states: list[TransactionStatus]
) -> None:
    user = make_user()
    client.post(f"/api/users/{user['id']}/addresses", json={"street": "1 Main St", "city": "Oslo"})
    transaction_states.clear()
    for path in ("/api/users", f"/api/users/{user['id']}", f"/api/users/{user['id']}/addresses"):
        assert client.get(path).status_code == 200
    assert transaction_states, "the reads ran no SQL"
    # IDLE after a statement: it ran in autocommit mode, so no transaction was opened (BEGIN)
    # and none is left to close (ROLLBACK) when the request ends.
    assert set(transaction_states) == {TransactionStatus.IDLE}


def test_writes_run_in_a_transaction(
    client: FlaskClient, make_user: MakeUser, transaction_states: list[TransactionStatus]
) -> None:
    user = make_user()
    response = client.patch(f"/api/users/{user['id']}", json={"name": "Renamed"})
    assert response.status_code == 200
    assert transaction_states
    assert set(transaction_states) == {TransactionStatus.INTRANS}


def test_other_sql_errors_stay_500s_not_503s(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Only a missing table or column means the schema is behind; any other ProgrammingError
    (here a syntax error) is a bug that retrying cannot fix."""
    app = make_app()

    @app.get("/bad-sql")
    def bad_sql() -> dict[str, Any]:
        return {"rows": db.get_session().execute(text("SELECT FROM WHERE")).all()}

    response = app.test_client().get("/bad-sql")
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == "internal-server-error"
    assert "Retry-After" not in response.headers
    assert "SyntaxError" in caplog.text
