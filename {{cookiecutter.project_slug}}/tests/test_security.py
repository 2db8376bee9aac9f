"""Secure defaults: headers for a JSON API, errors never stored by caches, debug off, a bounded
request body, and no internals (traceback, SQL) in any answer."""

from pathlib import Path
from typing import Any

import pytest
from conftest import MakeApp
from conftest import MakeUser
from flask.testing import FlaskClient

from {{ cookiecutter.project_slug }} import create_app
from {{ cookiecutter.project_slug }}.security import HEADERS


def test_every_answer_forbids_sniffing_framing_and_referrers(
    client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user()
    for response in (
        client.get("/healthz"),
        client.get(f"/api/users/{user['id']}"),
        client.get("/api/users/999999"),
        client.post("/api/users", data="x", content_type="text/plain"),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_error_answers_are_never_stored_by_caches(client: FlaskClient) -> None:
    assert client.get("/api/users/999999").headers["Cache-Control"] == "no-store"
    assert client.delete("/healthz").headers["Cache-Control"] == "no-store"
    assert client.get("/api/users").headers["Cache-Control"] == "no-cache"  # conditional.py


def test_debug_is_off_and_bodies_are_bounded_by_default(
    monkeypatch: pytest.MonkeyPatch, test_settings: dict[str, Any]
) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("MAX_CONTENT_LENGTH", raising=False)
    app = create_app(test_settings)
    assert app.debug is False
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_an_unreachable_database_is_a_json_503_without_internals(
    make_app: MakeApp,
    unreachable_database: tuple[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, reason = unreachable_database
    app = make_app(DATABASE_URL=url)
    response = app.test_client().get("/api/users/1")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json == {
        "error": "service-unavailable",
        "message": "The database does not answer; try again in a moment.",
    }
    text = response.get_data(as_text=True)
    for internal in ("SELECT", "users", "sqlalchemy", "Traceback", str(tmp_path)):
        assert internal not in text
    # The log says why, in the driver's words, and shows no SQL.
    (warning,) = [record for record in caplog.records if record.levelname == "WARNING"]
    assert reason in warning.getMessage()
    assert "SELECT" not in warning.getMessage()
