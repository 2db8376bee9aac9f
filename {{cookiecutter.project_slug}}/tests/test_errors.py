"""Every error is JSON: {"error", "message"[, "details"]}, never HTML, never a stack trace."""

from typing import Any
from typing import NoReturn

import pytest
from conftest import MakeApp
from conftest import MakeUser
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from {{ cookiecutter.project_slug }} import db
from {{ cookiecutter.project_slug }} import errors


def assert_json_error(response: TestResponse, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == error
    assert isinstance(response.get_json()["message"], str) and response.get_json()["message"]
    body: dict[str, Any] = response.get_json()
    return body


def test_unknown_route_is_a_json_404(client: FlaskClient) -> None:
    assert_json_error(client.get("/nowhere"), 404, "not-found")


def test_unknown_user_is_a_json_404_naming_the_id(client: FlaskClient) -> None:
    body = assert_json_error(client.get("/api/users/42"), 404, "not-found")
    assert "42" in body["message"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "user_id", ["0", "01", "-1", "abc", "1.5", "\uff11", str(2**31), str(2**63), "9" * 40]
)
def test_ids_that_are_not_positive_32_bit_integers_are_404(
    client: FlaskClient, make_user: MakeUser, user_id: str
) -> None:
    make_user()
    assert_json_error(client.get(f"/api/users/{user_id}"), 404, "not-found")
    assert_json_error(client.patch(f"/api/users/{user_id}", json={}), 404, "not-found")
    assert_json_error(client.delete(f"/api/users/{user_id}"), 404, "not-found")
    assert_json_error(client.get(f"/api/users/{user_id}/addresses"), 404, "not-found")


def test_an_id_past_the_32_bit_range_is_404_not_500(client: FlaskClient) -> None:
    assert_json_error(client.get(f"/api/users/{2**31}"), 404, "not-found")


def test_unknown_user_is_404_on_every_method(client: FlaskClient) -> None:
    assert_json_error(client.patch("/api/users/7", json={"name": "x"}), 404, "not-found")
    assert_json_error(client.delete("/api/users/7"), 404, "not-found")


def test_doubled_slashes_are_a_json_404_not_a_redirect(client: FlaskClient) -> None:
    assert_json_error(client.get("/api//users"), 404, "not-found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/api/users", {"GET", "POST"}),
        ("delete", "/api/users", {"GET", "POST"}),
        ("put", "/api/users/1", {"GET", "PATCH", "DELETE"}),
        ("post", "/api/users/1", {"GET", "PATCH", "DELETE"}),
        ("delete", "/api/users/1/addresses", {"GET", "POST"}),
    ],
)
def test_unsupported_method_is_a_json_405_with_allow(
    client: FlaskClient, method: str, path: str, allowed: set[str]
) -> None:
    response = getattr(client, method)(path)
    assert_json_error(response, 405, "method-not-allowed")
    assert set(response.headers["Allow"].split(", ")) >= allowed


def test_options_answers_204_with_allow_and_no_body(client: FlaskClient) -> None:
    response = client.options("/api/users")
    assert response.status_code == 204
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert "Content-Type" not in response.headers
    assert response.data == b""


def test_body_that_is_not_json_is_415(client: FlaskClient) -> None:
    response = client.post("/api/users", data="name=Ada", content_type="text/plain")
    assert_json_error(response, 415, "unsupported-media-type")


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    [
        pytest.param("caf\u00e9".encode("latin-1"), id="not-utf-8"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested-too-deeply"),
        pytest.param(b"", id="empty"),
    ],
)
def test_bodies_that_are_not_utf8_json_are_400(client: FlaskClient, body: bytes) -> None:
    response = client.post("/api/users", data=body, content_type="application/json")
    assert_json_error(response, 400, "bad-request")


def test_json_with_a_charset_parameter_is_accepted(client: FlaskClient) -> None:
    body = b'{"name": "Ada", "email": "ada@example.com"}'
    response = client.post("/api/users", data=body, content_type="application/json; charset=utf-8")
    assert response.status_code == 201


def test_patch_and_address_bodies_must_be_json_too(
    client: FlaskClient, make_user: MakeUser
) -> None:
    user_id = make_user()["id"]
    response = client.patch(f"/api/users/{user_id}", data="x", content_type="text/plain")
    assert_json_error(response, 415, "unsupported-media-type")
    response = client.post(
        f"/api/users/{user_id}/addresses", data="{", content_type="application/json"
    )
    assert_json_error(response, 400, "bad-request")


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "Ada", "email": "ada@example.com", "name": "Bob"}',
        b'{"name": 5, "name": "Ada", "email": "ada@example.com"}',
    ],
)
def test_a_field_given_twice_is_422_naming_it_and_creates_nothing(
    client: FlaskClient, body: bytes
) -> None:
    response = client.post("/api/users", data=body, content_type="application/json")
    assert assert_json_error(response, 422, "validation-failed")["details"] == {
        "name": "Duplicate field"
    }
    assert client.get("/api/users").get_json()["items"] == []


def test_deeply_nested_values_are_a_4xx_at_every_depth_never_a_500(client: FlaskClient) -> None:
    # Around Python's recursion limit, where msgspec still decodes and the json module stops.
    for depth in range(900, 1010, 5):
        body = b'{"name": ' + b"[" * depth + b"]" * depth + b', "email": "a@example.com"}'
        response = client.post("/api/users", data=body, content_type="application/json")
        assert response.status_code in (400, 422), depth


def test_malformed_json_is_400(client: FlaskClient) -> None:
    response = client.post("/api/users", data='{"name": "Ada",', content_type="application/json")
    body = assert_json_error(response, 400, "bad-request")
    assert "not valid UTF-8 JSON" in body["message"]


def test_body_over_max_content_length_is_413(make_app: MakeApp) -> None:
    app = make_app(MAX_CONTENT_LENGTH=100)
    body = '{"name": "' + "x" * 200 + '", "email": "a@example.com"}'
    response = app.test_client().post("/api/users", data=body, content_type="application/json")
    assert_json_error(response, 413, "request-entity-too-large")


def test_body_that_is_not_an_object_is_422(client: FlaskClient) -> None:
    body = assert_json_error(client.post("/api/users", json=[1, 2]), 422, "validation-failed")
    assert body["details"] == {"$": "Expected a JSON object, got an array"}


def test_every_bad_field_is_named_in_details(client: FlaskClient) -> None:
    response = client.post("/api/users", json={"email": "not-an-email", "age": 3})
    body = assert_json_error(response, 422, "validation-failed")
    assert body["details"].keys() == {"name", "email", "age"}
    assert body["details"]["name"] == "Field required"
    assert body["details"]["age"] == "Unknown field"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 5),
        ("name", ""),
        ("name", "   "),
        ("name", "x" * 101),
        ("name", "nul\x00byte"),
        ("name", "line\nbreak"),
        ("name", "next\x85line"),
        ("name", "line\u2028separator"),
        ("name", "trailing newline\n"),
        ("email", "a@b"),
        ("email", "two@@example.com"),
        ("email", "x" * 250 + "@example.com"),
        ("email", "\u0130" * 240 + "@example.com"),
        ("email", "nul\x00@example.com"),
        ("email", None),
    ],
)
def test_invalid_field_values_are_422(client: FlaskClient, field: str, value: object) -> None:
    body = {"name": "Ada", "email": "ada@example.com", field: value}
    response = client.post("/api/users", json=body)
    details = assert_json_error(response, 422, "validation-failed")["details"]
    assert list(details) == [field]
    assert client.get("/api/users").get_json()["items"] == []


def test_patch_validates_like_create(client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user()
    response = client.patch(f"/api/users/{user['id']}", json={"email": "nope", "id": 7})
    details = assert_json_error(response, 422, "validation-failed")["details"]
    assert details.keys() == {"email", "id"}
    assert client.get(f"/api/users/{user['id']}").json == user


def test_address_fields_are_validated(client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user()
    response = client.post(f"/api/users/{user['id']}/addresses", json={"street": ""})
    details = assert_json_error(response, 422, "validation-failed")["details"]
    assert details.keys() == {"street", "city"}


def test_unexpected_exception_is_a_json_500_without_internals(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()

    @app.get("/boom")
    def boom() -> NoReturn:
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/boom")
    body = assert_json_error(response, 500, "internal-server-error")
    assert "secret" not in response.get_data(as_text=True)
    assert body.keys() == {"error", "message"}
    assert "secret internal detail" in caplog.text


def test_a_column_the_database_lacks_is_a_503_saying_it_is_not_initialised(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    """The code is newer than the schema: a migration adding the column has not run yet."""
    app = make_app()

    @app.get("/newer-code")
    def newer_code() -> dict[str, Any]:
        return {"nicknames": db.get_session().scalars(text("SELECT nickname FROM users")).all()}

    response = app.test_client().get("/newer-code")
    body = assert_json_error(response, 503, "service-unavailable")
    assert body["message"] == "The database is not initialised yet; try again later."
    assert response.headers["Retry-After"] == "1"
    assert f"run `{errors.INIT_DB}`" in caplog.text
    assert "nickname" in caplog.text
