"""The fast JSON provider: orjson encodes responses, with a fixed output."""

import datetime
import decimal
import uuid

import pytest
from conftest import MakeUser
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask.testing import FlaskClient

from {{ cookiecutter.project_slug }}.fast_json import FastJSONProvider

REPRESENTATIVE = {
    "name": "Zo\u00eb \u6771\u4eac",
    "path": "a/b",
    "created_at": datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=datetime.UTC),
    "day": datetime.date(2026, 1, 2),
    "id": uuid.UUID(int=1),
    "nested": [{"b": 1, "a": [True, None, 1.5]}],
}
# The bytes the standard library's provider would send, compact.
EXPECTED = (
    '{"name":"Zo\u00eb \u6771\u4eac","path":"a/b","created_at":"2026-01-02T03:04:05.000006+00:00",'
    '"day":"2026-01-02","id":"00000000-0000-0000-0000-000000000001",'
    '"nested":[{"b":1,"a":[true,null,1.5]}]}'
).encode()


def test_the_app_encodes_with_orjson(app: Flask) -> None:
    assert isinstance(app.json, FastJSONProvider)
    assert not isinstance(app.json, DefaultJSONProvider)


def provider(app: Flask) -> FastJSONProvider:
    assert isinstance(app.json, FastJSONProvider)
    return app.json


def test_a_representative_payload_has_the_documented_encoding(app: Flask) -> None:
    assert provider(app).dumps_bytes(REPRESENTATIVE) == EXPECTED
    assert provider(app).loads(EXPECTED)["nested"] == [{"b": 1, "a": [True, None, 1.5]}]


def test_responses_are_the_providers_bytes(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user(name="Zo\u00eb")
    response = client.get(f"/api/users/{user['id']}")
    assert response.data == provider(app).dumps_bytes(user)
    assert response.mimetype == "application/json"


@pytest.mark.parametrize(
    "value", ["1.10", "12345678901234567890.123456789", "-0.000000000000000000001", "1E+30"]
)
def test_decimals_leave_as_exact_strings_never_as_lossy_numbers(app: Flask, value: str) -> None:
    encoded = provider(app).dumps_bytes({"price": decimal.Decimal(value)})
    assert encoded == b'{"price":"' + str(decimal.Decimal(value)).encode() + b'"}'
    assert decimal.Decimal(app.json.loads(encoded)["price"]) == decimal.Decimal(value)


def test_errors_are_encoded_by_the_provider_too(client: FlaskClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.data.startswith(b'{"error":"not-found","message":')
