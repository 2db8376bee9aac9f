"""/openapi.json describes the API, and the API keeps to it whatever it is sent: schemathesis
generates requests from the description (valid ones and invalid ones) and checks that no answer
is a 5xx and every answer, status, header and body, is one the description allows."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from {{ cookiecutter.project_slug }} import config, openapi

DOCUMENT = openapi.build(config.from_env({% if cookiecutter.database == "sqlite" %}"instance", {% endif %}{}))
# Every test: requests drawn at random from the description, a few per operation. CI (the slow
# tests): the boundary and negative cases of every parameter and field as well, and more draws.
quick = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=SchemathesisConfig.from_dict(
        {"phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}}}
    ),
)
thorough = schemathesis.openapi.from_dict(DOCUMENT)
# Not checked: that every schema-valid request succeeds. A cursor is a string to the schema, but
# only the ones this API signed are accepted, and an email can be taken by an earlier request.
CHECKS = {"excluded_checks": [positive_data_acceptance]}
{%- if cookiecutter.use_compression %}
IDENTITY = {"Accept-Encoding": "identity"}  # schemathesis reads bodies as sent
{%- endif %}
# The same requests on every run (derandomize): a failure is reproducible, never a flake; no
# example database is written next to the project.
FUZZ = {
    "deadline": None,
    "database": None,
    "derandomize": True,
    "suppress_health_check": list(HealthCheck),
}


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


@quick.parametrize()
@settings(max_examples=3, **FUZZ)
def test_every_operation_answers_generated_requests_as_described(case, app):
    case.call_and_validate(app=app{% if cookiecutter.use_compression %}, headers=IDENTITY{% endif %}, **CHECKS)


@pytest.mark.slow
@thorough.parametrize()
@settings(max_examples=50, **FUZZ)
def test_every_operation_answers_boundary_and_random_requests_as_described(case, app):
    case.call_and_validate(app=app{% if cookiecutter.use_compression %}, headers=IDENTITY{% endif %}, **CHECKS)
