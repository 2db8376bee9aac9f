"""/openapi.json describes the API, and the API keeps to it whatever it is sent: schemathesis
generates requests from the description (valid ones and invalid ones) and checks that no answer
is a 5xx and every answer, status, header and body, is one the description allows."""

import re
from collections.abc import Iterator
from typing import Any

import schemathesis
from conftest import MakeUser
from flask import Flask
from flask.testing import FlaskClient
from fuzzing import CALL_AND_VALIDATE
from fuzzing import DOCUMENT
from fuzzing import FUZZ
from hypothesis import settings
from schemathesis.config import SchemathesisConfig

# One request per operation, drawn from the description: a smoke test for every run. The slow
# test_openapi_thorough.py adds the boundary and negative cases of every parameter and field,
# and 50 draws per operation.
quick = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=SchemathesisConfig.from_dict(
        {"phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}}}
    ),
)


def test_the_description_is_served_and_is_openapi_3_1(client: FlaskClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json == DOCUMENT
    assert response.get_json()["openapi"] == "3.1.0"


def test_request_bodies_are_described_by_the_schemas_that_validate_them() -> None:
    components = DOCUMENT["components"]["schemas"]
    assert components["UserCreate"]["required"] == ["name", "email"]
    assert components["UserCreate"]["additionalProperties"] is False
    assert components["UserCreate"]["properties"]["name"]["maxLength"] == 100
    body = DOCUMENT["paths"]["/api/users"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UserCreate"
    }


def test_every_operation_on_the_database_declares_a_503_with_retry_after() -> None:
    for path, item in DOCUMENT["paths"].items():
        if path.startswith("/api/"):
            for method in item.keys() - {"parameters"}:
                retry_after = item[method]["responses"]["503"]["headers"]["Retry-After"]
                assert retry_after == {"$ref": "#/components/headers/Retry-After"}, (method, path)
    assert DOCUMENT["components"]["headers"]["Retry-After"]["required"] is True


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield method, path, operation


def test_every_operation_has_a_unique_operation_id_named_for_what_it_does() -> None:
    ids = {(method, path): operation["operationId"] for method, path, operation in operations()}
    assert len(set(ids.values())) == len(ids)
    sample = {
        ("get", "/healthz"): "getHealth",
        ("get", "/readyz"): "getReadiness",
        ("get", "/api/users"): "listUsers",
        ("post", "/api/users"): "createUser",
        ("get", "/api/users/{user_id}"): "getUser",
        ("patch", "/api/users/{user_id}"): "updateUser",
        ("delete", "/api/users/{user_id}"): "deleteUser",
        ("get", "/api/users/{user_id}/addresses"): "listAddresses",
        ("post", "/api/users/{user_id}/addresses"): "createAddress",
        ("get", "/openapi.json"): "getOpenAPI",
    }
    assert ids.items() >= sample.items()  # and those of the resources added since


def test_every_route_is_described_by_its_own_view(app: Flask) -> None:
    routes = {
        re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", r"{\1}", rule.rule): {
            method.lower() for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
        }
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"  # Flask's own, serving no file here
        and not rule.endpoint.startswith("docs.")  # /docs: a page for people, not an operation
    }
    described = {path: item.keys() - {"parameters"} for path, item in DOCUMENT["paths"].items()}
    assert described == routes


def test_every_operation_is_tagged_with_a_declared_tag_and_summarised() -> None:
    declared = {tag["name"] for tag in DOCUMENT["tags"]}
    for method, path, operation in operations():
        assert set(operation["tags"]) <= declared, (method, path)
        assert operation["summary"], (method, path)


def test_every_response_declares_the_request_id_header(client: FlaskClient) -> None:
    for method, path, operation in operations():
        for status, response in operation["responses"].items():
            header = response["headers"]["X-Request-ID"]
            assert header == {"$ref": "#/components/headers/X-Request-ID"}, (method, path, status)
    assert DOCUMENT["components"]["headers"]["X-Request-ID"]["required"] is True
    assert client.get("/healthz").headers["X-Request-ID"]


def test_location_is_declared_on_the_201_that_sends_it_and_only_there(
    client: FlaskClient, make_user: MakeUser
) -> None:
    created_user = DOCUMENT["paths"]["/api/users"]["post"]["responses"]["201"]["headers"]
    created_address = DOCUMENT["paths"]["/api/users/{user_id}/addresses"]["post"]["responses"]
    assert created_user["Location"] == {"$ref": "#/components/headers/Location"}
    assert "Location" not in created_address["201"]["headers"]
    user = make_user()
    response = client.post(
        f"/api/users/{user['id']}/addresses", json={"street": "1 Main St", "city": "Springfield"}
    )
    assert response.status_code == 201
    assert "Location" not in response.headers


def test_the_document_names_its_server_license_contact_and_that_no_authentication_is_needed() -> (
    None
):
    info = DOCUMENT["info"]
    assert DOCUMENT["servers"] == [
        {"url": "/", "description": "The server that serves this description"}
    ]
    assert DOCUMENT["security"] == []
{%- if cookiecutter.open_source_license == "Not open source" %}
    assert "license" not in info
{%- else %}
    assert info["license"] == {
        "name": "{{ cookiecutter.open_source_license }}",
        "identifier": "{{ cookiecutter.open_source_license }}",
    }
{%- endif %}
    assert info["contact"] == {
        "name": {{ cookiecutter.author_name | tojson | replace('\\', '\u005c') | replace('\"', '\u0022') }},
        "email": {{ cookiecutter.email | tojson | replace('\\', '\u005c') | replace('\"', '\u0022') }},
    }


def test_timestamps_and_emails_declare_their_formats() -> None:
    """Emails may be internationalized (RFC 6531), hence `idn-email`, not the ASCII `email`."""
    user = DOCUMENT["components"]["schemas"]["User"]["properties"]
    assert user["created_at"]["format"] == "date-time"
    assert user["email"]["format"] == "idn-email"
    create = DOCUMENT["components"]["schemas"]["UserCreate"]["properties"]
    assert create["email"]["format"] == "idn-email"


@quick.parametrize()
@settings(FUZZ, max_examples=1)
def test_every_operation_answers_generated_requests_as_described(
    case: schemathesis.Case[Any], app: Flask
) -> None:
    case.call_and_validate(app=app, **CALL_AND_VALIDATE)
