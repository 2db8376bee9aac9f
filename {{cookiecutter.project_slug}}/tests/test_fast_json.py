"""The fast JSON provider: {{ cookiecutter.json_library }} encodes responses, with a fixed output."""

import datetime
import decimal
import uuid

from flask.json.provider import DefaultJSONProvider

from {{ cookiecutter.project_slug }}.fast_json import FastJSONProvider

REPRESENTATIVE = {
    "name": "Zo\u00eb \u6771\u4eac",
    "path": "a/b",
    "created_at": datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=datetime.UTC),
    "day": datetime.date(2026, 1, 2),
    "id": uuid.UUID(int=1),
    "nested": [{"b": 1, "a": [True, None, 1.5]}],
}
# The same bytes whichever library the template was generated with.
EXPECTED = (
    '{"name":"Zo\u00eb \u6771\u4eac","path":"a/b","created_at":"2026-01-02T03:04:05.000006+00:00",'
    '"day":"2026-01-02","id":"00000000-0000-0000-0000-000000000001",'
    '"nested":[{"b":1,"a":[true,null,1.5]}]}'
).encode()


def test_the_app_encodes_with_{{ cookiecutter.json_library }}(app):
    assert isinstance(app.json, FastJSONProvider)
    assert not isinstance(app.json, DefaultJSONProvider)


def test_a_representative_payload_has_the_documented_encoding(app):
    assert app.json.dumps_bytes(REPRESENTATIVE) == EXPECTED
    assert app.json.loads(EXPECTED)["nested"] == [{"b": 1, "a": [True, None, 1.5]}]


def test_responses_are_the_providers_bytes(app, client, make_user):
    user = make_user(name="Zo\u00eb")
    response = client.get(f"/api/users/{user['id']}")
    assert response.data == app.json.dumps_bytes(user)
    assert response.mimetype == "application/json"
{%- if cookiecutter.json_library == "orjson" %}


def test_decimals_are_exact_strings(app):
    assert app.json.dumps_bytes({"price": decimal.Decimal("1.10")}) == b'{"price":"1.10"}'
{%- else %}


def test_decimals_are_numbers_as_ujson_writes_them(app):
    assert app.json.dumps_bytes({"price": decimal.Decimal("1.10")}) == b'{"price":1.1}'
{%- endif %}


def test_errors_are_encoded_by_the_provider_too(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.data.startswith(b'{"error":"not-found","message":')
