"""The API's OpenAPI 3.1 description, at /openapi.json.

Request bodies and responses are the msgspec Structs of `schemas.py`, the very types that
validate requests, so the description cannot drift from the code. Every status an operation
can answer is listed, with its JSON error shape."""

from typing import Any

import msgspec
from flask import Blueprint, current_app

from . import schemas
from .models import MAX_ID
{%- if cookiecutter.use_pagination and cookiecutter.pagination_style == "offset" %}
from .pagination_offset import MAX_PAGE
{%- endif %}

bp = Blueprint("openapi", __name__)
REF = "#/components/schemas/{name}"

TITLE = {{ cookiecutter.project_name | tojson | replace('\\\\', '\\u005c') | replace('\\"', '\\u0022') }}
VERSION = {{ cookiecutter.version | tojson }}
SCHEMAS = [
    schemas.UserCreate,
    schemas.UserUpdate,
    schemas.AddressCreate,
    schemas.User,
    schemas.{% if cookiecutter.use_pagination %}UserPage{% else %}UserList{% endif %},
    schemas.Address,
    schemas.AddressList,
    schemas.Error,
    schemas.Health,
    schemas.Readiness,
]
ERRORS = {
    400: "Malformed request: a body that is not JSON, or a query parameter out of range",
    404: "No such user",
    409: "The email belongs to another user, or the user already has the most addresses allowed",
    413: "The body is larger than MAX_CONTENT_LENGTH",
    415: "The body is not application/json",
    422: "Invalid fields; `details` names each one",
    503: "The database does not answer; retry after Retry-After seconds",
}
WRITE_ERRORS = dict.fromkeys((400, 413, 415, 422), "Error")  # any body the API decodes


@bp.get("/openapi.json")
def openapi_json() -> dict[str, Any]:
    document = current_app.extensions.get("openapi")
    if document is None:
        document = current_app.extensions["openapi"] = build(current_app.config)
    return document


def build(config: dict[str, Any]) -> dict[str, Any]:
    """The description of this app, with its configured limits."""
    _, components = msgspec.json.schema_components(SCHEMAS, ref_template=REF)
    user_id = {
        "name": "user_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION},
        "paths": {
            "/healthz": {
                "get": _operation("Liveness: the process answers", {200: "Health"}, database=False)
            },
            "/readyz": {
                "get": _operation(
                    "Readiness: the database answers",
                    {200: "Readiness", 503: "Readiness"},
                    database=False,
                )
            },
            "/api/users": {
                "get": _operation(
{%- if cookiecutter.use_pagination and cookiecutter.pagination_style == "cursor" %}
                    "A page of users in id order, with their addresses; follow `next_cursor`",
                    {200: "UserPage", 400: "Error"},
                    parameters=[_per_page(config), _query("cursor", {"type": "string"})],
{%- elif cookiecutter.use_pagination %}
                    "A page of users in id order, with their addresses",
                    {200: "UserPage", 400: "Error"},
                    parameters=[
                        _per_page(config),
                        _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
                    ],
{%- else %}
                    "Every user in id order, with their addresses",
                    {200: "UserList"},
{%- endif %}
                ),
                "post": _operation(
                    "Create a user",
                    {201: "User", 409: "Error", **WRITE_ERRORS},
                    body="UserCreate",
                    created=True,
                ),
            },
            "/api/users/{user_id}": {
                "parameters": [user_id],
                "get": _operation("A user with its addresses", {200: "User", 404: "Error"}),
                "patch": _operation(
                    "Change a user's name and/or email",
                    {200: "User", 404: "Error", 409: "Error", **WRITE_ERRORS},
                    body="UserUpdate",
                ),
                "delete": _operation("Delete a user and its addresses", {204: None, 404: "Error"}),
            },
            "/api/users/{user_id}/addresses": {
                "parameters": [user_id],
                "get": _operation("A user's addresses", {200: "AddressList", 404: "Error"}),
                "post": _operation(
                    "Add an address to a user",
                    {201: "Address", 404: "Error", 409: "Error", **WRITE_ERRORS},
                    body="AddressCreate",
                ),
            },
            "/openapi.json": {
                "get": {
                    "summary": "This description",
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": _JSON_ANY}},
                }
            },
        },
        "components": {"schemas": _ecma_patterns(components)},
    }


_JSON_ANY = {"application/json": {"schema": {"type": "object"}}}


def _ref(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF.format(name=name)}}}


def _operation(
    summary: str,
    responses: dict[int, str | None],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: str | None = None,
    created: bool = False,
    database: bool = True,
) -> dict[str, Any]:
    """An operation with these responses (status -> schema name); one that reads or writes the
    database may also answer 503."""
    if database:
        responses = {**responses, 503: "Error"}
    operation: dict[str, Any] = {"summary": summary, "responses": {}}
    for status, schema in sorted(responses.items()):
        description = ERRORS.get(status, "Success") if schema == "Error" else "Success"
        response: dict[str, Any] = {"description": description}
        if schema is not None:
            response["content"] = _ref(schema)
        operation["responses"][str(status)] = response
    if created:
        operation["responses"]["201"]["headers"] = {
            "Location": {"description": "The new user's URL", "schema": {"type": "string"}}
        }
    if database:
        operation["responses"]["503"]["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before retrying",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = {"required": True, "content": _ref(body)}
    return operation
{%- if cookiecutter.use_pagination %}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _per_page(config: dict[str, Any]) -> dict[str, Any]:
    limits = {"maximum": config["PER_PAGE_MAX"], "default": config["PER_PAGE_DEFAULT"]}
    return _query("per_page", {"type": "integer", "minimum": 1, **limits})
{%- endif %}


def _ecma_patterns(schema: Any) -> Any:
    r"""JSON Schema patterns are ECMA-262 regexes: Python's end-of-text `\Z` is written `$`."""
    if isinstance(schema, dict):
        return {
            key: value.removesuffix(r"\Z") + "$" if key == "pattern" else _ecma_patterns(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_ecma_patterns(item) for item in schema]
    return schema
