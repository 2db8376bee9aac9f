"""PostgreSQL: the default database, a request that only reads runs its statements outside a
transaction, and which of the server's errors mean the schema is behind."""

import pytest
from flask import Flask
from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy import text

from {{ cookiecutter.project_slug }} import config
from {{ cookiecutter.project_slug }} import db


def test_database_defaults_to_a_local_postgresql_database():
    expected = "postgresql+psycopg://localhost/{{ cookiecutter.project_slug }}"
    assert config.from_env("/srv/instance", {})["DATABASE_URL"] == expected


@pytest.fixture
def transaction_states(app: Flask) -> list[TransactionStatus]:
    """The driver's transaction status right after each statement the app runs."""
    states: list[TransactionStatus] = []

    def record(conn, _cursor, _statement, _parameters, _context, _executemany) -> None:
        states.append(conn.connection.driver_connection.info.transaction_status)

    with app.app_context():
        engine = db.get_engine()
    event.listen(engine, "after_cursor_execute", record)
    yield states
    event.remove(engine, "after_cursor_execute", record)


def test_reads_send_no_begin_and_no_rollback(client, make_user, transaction_states):
    user = make_user()
    client.post(f"/api/users/{user['id']}/addresses", json={"street": "1 Main St", "city": "Oslo"})
    transaction_states.clear()
    for path in ("/api/users", f"/api/users/{user['id']}", f"/api/users/{user['id']}/addresses"):
        assert client.get(path).status_code == 200
    assert transaction_states, "the reads ran no SQL"
    # IDLE after a statement: it ran in autocommit mode, so no transaction was opened (BEGIN)
    # and none is left to close (ROLLBACK) when the request ends.
    assert set(transaction_states) == {TransactionStatus.IDLE}


def test_writes_run_in_a_transaction(client, make_user, transaction_states):
    user = make_user()
    response = client.patch(f"/api/users/{user['id']}", json={"name": "Renamed"})
    assert response.status_code == 200
    assert transaction_states
    assert set(transaction_states) == {TransactionStatus.INTRANS}


def test_other_sql_errors_stay_500s_not_503s(make_app, caplog):
    """Only a missing table or column means the schema is behind; any other ProgrammingError
    (here a syntax error) is a bug that retrying cannot fix."""
    app = make_app()

    @app.get("/bad-sql")
    def bad_sql():
        return {"rows": db.get_session().execute(text("SELECT FROM WHERE")).all()}

    response = app.test_client().get("/bad-sql")
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert response.json["error"] == "internal-server-error"
    assert "Retry-After" not in response.headers
    assert "SyntaxError" in caplog.text
