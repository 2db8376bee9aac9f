"""/openapi.json describes the API, and the API keeps to it whatever it is sent: schemathesis
generates requests from the description (valid ones and invalid ones) and checks that no answer
is a 5xx and every answer, status, header and body, is one the description allows."""

import schemathesis
from fuzzing import CHECKS, DOCUMENT, FUZZ{% if cookiecutter.use_compression %}, IDENTITY{% endif %}
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


def test_the_description_is_served_and_is_openapi_3_1(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json == DOCUMENT
    assert response.json["openapi"] == "3.1.0"


def test_request_bodies_are_described_by_the_schemas_that_validate_them():
    components = DOCUMENT["components"]["schemas"]
    assert components["UserCreate"]["required"] == ["name", "email"]
    assert components["UserCreate"]["additionalProperties"] is False
    assert components["UserCreate"]["properties"]["name"]["maxLength"] == 100
    body = DOCUMENT["paths"]["/api/users"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UserCreate"
    }


def test_every_operation_on_the_database_declares_a_503_with_retry_after():
    for path, item in DOCUMENT["paths"].items():
        if path.startswith("/api/"):
            for method in item.keys() - {"parameters"}:
                retry_after = item[method]["responses"]["503"]["headers"]["Retry-After"]
                assert retry_after["required"] is True, (method, path)


@quick.parametrize()
@settings(max_examples=1, **FUZZ)
def test_every_operation_answers_generated_requests_as_described(case, app):
    case.call_and_validate(app=app{% if cookiecutter.use_compression %}, headers=IDENTITY{% endif %}, **CHECKS)
