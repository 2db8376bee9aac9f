"""Cross-origin access: only the origins in CORS_ORIGINS get Access-Control-* headers, and with
none listed (the default) no answer carries any."""

import pytest
from conftest import MakeApp
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from {{ cookiecutter.project_slug }}.cors import PREFLIGHT_MAX_AGE

FRONT_END = "http://localhost:3000"
OTHER = "https://elsewhere.example"


@pytest.fixture
def cors_client(make_app: MakeApp) -> FlaskClient:
    """A client of an app that lets FRONT_END (and a second origin) call it."""
    return make_app(CORS_ORIGINS=[FRONT_END, "https://app.example.com"]).test_client()


def access_control(response: TestResponse) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.lower().startswith("access-control-")
    }


def listed(response: TestResponse, name: str) -> set[str]:
    """The comma-separated values of a response header, lowercased."""
    return {value.strip().lower() for value in response.headers.get(name, "").split(",")}


def preflight(client: FlaskClient, url: str, method: str, origin: str = FRONT_END) -> TestResponse:
    return client.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
    )


def test_an_allowed_origin_may_read_answers_and_their_request_id_and_location(
    cors_client: FlaskClient,
) -> None:
    body = {"name": "Ada", "email": "ada@example.com"}
    response = cors_client.post("/api/users", json=body, headers={"Origin": FRONT_END})
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == FRONT_END
    assert listed(response, "Access-Control-Expose-Headers") == {"x-request-id", "location"}
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Origin" in response.vary
    read = cors_client.get(response.headers["Location"], headers={"Origin": FRONT_END})
    assert read.headers["Access-Control-Allow-Origin"] == FRONT_END
    assert "Origin" in read.vary


def test_error_answers_are_readable_by_an_allowed_origin(cors_client: FlaskClient) -> None:
    response = cors_client.get("/api/users/999999", headers={"Origin": FRONT_END})
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == FRONT_END


def test_another_origin_gets_no_access_control_headers(cors_client: FlaskClient) -> None:
    response = cors_client.get("/api/users", headers={"Origin": OTHER})
    assert response.status_code == 200
    assert access_control(response) == {}
    assert "Origin" in response.vary  # a shared cache must not give it to FRONT_END
    assert access_control(preflight(cors_client, "/api/users", "POST", origin=OTHER)) == {}


def test_a_request_without_origin_gets_no_access_control_headers(cors_client: FlaskClient) -> None:
    response = cors_client.get("/api/users")
    assert access_control(response) == {}
    assert "Origin" in response.vary


@pytest.mark.parametrize(("url", "method"), [("/api/users", "POST"), ("/api/users/1", "PATCH")])
def test_a_preflight_is_a_204_allowing_the_methods_and_json_bodies(
    cors_client: FlaskClient, url: str, method: str
) -> None:
    response = preflight(cors_client, url, method)
    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert "Allow" in response.headers
    assert response.headers["Access-Control-Allow-Origin"] == FRONT_END
    methods = {"get", "head", "post", "patch", "delete", "options"}
    assert listed(response, "Access-Control-Allow-Methods") == methods
    assert listed(response, "Access-Control-Allow-Headers") == {"content-type"}
    assert response.headers["Access-Control-Max-Age"] == str(PREFLIGHT_MAX_AGE)
    assert "Origin" in response.vary


def test_a_preflight_may_ask_to_send_a_request_id(cors_client: FlaskClient) -> None:
    response = cors_client.options(
        "/api/users",
        headers={
            "Origin": FRONT_END,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-request-id",
        },
    )
    assert listed(response, "Access-Control-Allow-Headers") == {"content-type", "x-request-id"}


def test_the_openapi_description_is_readable_cross_origin(cors_client: FlaskClient) -> None:
    response = cors_client.get("/openapi.json", headers={"Origin": FRONT_END})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == FRONT_END


def test_a_single_allowed_origin_still_varies_on_origin(make_app: MakeApp) -> None:
    client = make_app(CORS_ORIGINS=[FRONT_END]).test_client()
    allowed = client.get("/healthz", headers={"Origin": FRONT_END})
    assert allowed.headers["Access-Control-Allow-Origin"] == FRONT_END
    for headers in ({"Origin": OTHER}, {}):
        response = client.get("/healthz", headers=headers)
        assert access_control(response) == {}
        assert "Origin" in response.vary


def test_without_cors_origins_no_answer_carries_access_control_headers(make_app: MakeApp) -> None:
    client = make_app(CORS_ORIGINS=[]).test_client()
    for response in (
        client.get("/api/users", headers={"Origin": FRONT_END}),
        client.get("/openapi.json", headers={"Origin": FRONT_END}),
        preflight(client, "/api/users", "POST"),
    ):
        assert access_control(response) == {}
        assert "Origin" not in response.vary
    assert preflight(client, "/api/users", "POST").status_code == 204
