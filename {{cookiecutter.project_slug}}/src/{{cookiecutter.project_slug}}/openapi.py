"""The API's OpenAPI 3.1 description, at /openapi.json.

Request bodies and responses are the msgspec Structs of `schemas.py`, the very types that
validate requests, so the description cannot drift from the code. Every status an operation
can answer is listed, with its JSON error shape."""

from typing import Any

import msgspec
from flask import Blueprint
from flask import current_app

from . import schemas
from .models import MAX_ID
{%- if cookiecutter.use_pagination %}
from .pagination import per_page_parameter
from .pagination_{{ cookiecutter.pagination_style }} import PAGE_PARAMETER
{%- endif %}

bp = Blueprint("openapi", __name__)
REF = "#/components/schemas/{name}"

DESCRIPTION = """\
Errors are JSON: `{"error": "<short-name>", "message": "<sentence>"}`, plus `details` naming
each field on a 422. Every answer carries `X-Request-ID`: the request's own when it sent a
short plain one, else a new one; quote it when reporting a problem. A method a path does not
list is a 405 with `Allow`; `OPTIONS` on any path is a 204 with `Allow`."""
# JSON strings, with backslashes and quotes spelled as \u escapes: valid Python whatever was typed.
INFO = {
    "title": {{ cookiecutter.project_name | tojson | replace('\\\\', '\\u005c') | replace('\\"', '\\u0022') }},
    "version": {{ cookiecutter.version | tojson }},
    "summary": {{ cookiecutter.description | tojson | replace('\\\\', '\\u005c') | replace('\\"', '\\u0022') }},
    "description": DESCRIPTION,
    "contact": {
        "name": {{ cookiecutter.author_name | tojson | replace('\\\\', '\\u005c') | replace('\\"', '\\u0022') }},
        "email": {{ cookiecutter.email | tojson | replace('\\\\', '\\u005c') | replace('\\"', '\\u0022') }},
    },
{%- if cookiecutter.open_source_license != "Not open source" %}
    "license": {"name": "{{ cookiecutter.open_source_license }}", "identifier": "{{ cookiecutter.open_source_license }}"},
{%- endif %}
}
SCHEMAS = [
    schemas.UserCreate,
    schemas.UserUpdate,
    schemas.AddressCreate,
    schemas.User,
{%- if cookiecutter.use_pagination %}
    schemas.UserPage,
{%- else %}
    schemas.UserList,
{%- endif %}
    schemas.Address,
    schemas.AddressList,
    schemas.Error,
    schemas.Health,
    schemas.Readiness,
]
TAGS = [
    {"name": "users", "description": "Users and their addresses"},
    {"name": "health", "description": "Probes for load balancers and orchestrators"},
    {"name": "meta", "description": "This description of the API"},
]
ERRORS = {
    400: "Malformed request: a body that is not JSON, or a query parameter out of range",
    404: "No such user",
    409: "The email belongs to another user, or the user already has the most addresses allowed",
    413: "The body is larger than MAX_CONTENT_LENGTH",
{%- if cookiecutter.use_compression %}
    406: "Accept-Encoding excludes every coding this service sends (br, zstd, gzip, identity)",
{%- endif %}
    415: "The body is not application/json",
    422: "Invalid fields; `details` names each one",
    503: "The database does not answer or is not initialised; retry after Retry-After seconds",
}
SUCCESS = {200: "Success", 201: "Created", 204: "Deleted"}
WRITE_ERRORS = dict.fromkeys((400, 413, 415, 422), "Error")  # any body the API decodes
HEADERS = {
    "X-Request-ID": {
        "description": "The request's id, as sent (when short and plain) or made by the server",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    },
    "Location": {
        "description": "The new resource's URL",
        "required": True,
        "schema": {"type": "string", "format": "uri-reference"},
    },
}


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
        "description": "A user's id",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "servers": [{"url": "/", "description": "The server that serves this description"}],
        "security": [],  # no authentication: add a scheme here when the API gets one
        "tags": TAGS,
        "paths": {
            "/healthz": {
                "get": _operation(
                    "getHealth",
                    "health",
                    "Liveness: the process answers",
                    {200: "Health"},
                    database=False,
                )
            },
            "/readyz": {
                "get": _operation(
                    "getReadiness",
                    "health",
                    "Readiness: the database answers and its schema is up to date",
                    {200: "Readiness", 503: "Readiness"},
                    database=False,
                )
            },
            "/api/users": {
                "get": _operation(
                    "listUsers",
                    "users",
{%- if cookiecutter.use_pagination and cookiecutter.pagination_style == "cursor" %}
                    "A page of users in id order, with their addresses; follow `next_cursor`",
                    {200: "UserPage", 400: "Error"},
                    parameters=[per_page_parameter(config), PAGE_PARAMETER],
{%- elif cookiecutter.use_pagination %}
                    "A page of users in id order, with their addresses",
                    {200: "UserPage", 400: "Error"},
                    parameters=[per_page_parameter(config), PAGE_PARAMETER],
{%- else %}
                    "Every user in id order, with their addresses",
                    {200: "UserList"},
{%- endif %}
                ),
                "post": _operation(
                    "createUser",
                    "users",
                    "Create a user",
                    {201: "User", 409: "Error", **WRITE_ERRORS},
                    body="UserCreate",
                    location=True,
                ),
            },
            "/api/users/{user_id}": {
                "parameters": [user_id],
                "get": _operation(
                    "getUser", "users", "A user with its addresses", {200: "User", 404: "Error"}
                ),
                "patch": _operation(
                    "updateUser",
                    "users",
                    "Change a user's name and/or email",
                    {200: "User", 404: "Error", 409: "Error", **WRITE_ERRORS},
                    body="UserUpdate",
                ),
                "delete": _operation(
                    "deleteUser",
                    "users",
                    "Delete a user and its addresses",
                    {204: None, 404: "Error"},
                ),
            },
            "/api/users/{user_id}/addresses": {
                "parameters": [user_id],
                "get": _operation(
                    "listAddresses",
                    "users",
                    "A user's addresses",
                    {200: "AddressList", 404: "Error"},
                ),
                "post": _operation(
                    "createAddress",
                    "users",
                    "Add an address to a user",
                    {201: "Address", 404: "Error", 409: "Error", **WRITE_ERRORS},
                    body="AddressCreate",
                ),
            },
            "/openapi.json": {
                "get": _operation(
                    "getOpenAPI",
                    "meta",
                    "This description (OpenAPI 3.1)",
                    {200: "OpenAPI"},
                    database=False,
                )
            },
        },
        "components": {"schemas": _ecma_patterns(components), "headers": HEADERS},
    }


def _content(name: str) -> dict[str, Any]:
    schema = {"type": "object"} if name == "OpenAPI" else {"$ref": REF.format(name=name)}
    return {"application/json": {"schema": schema}}


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _operation(
    operation_id: str,
    tag: str,
    summary: str,
    responses: dict[int, str | None],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: str | None = None,
    database: bool = True,
    location: bool = False,
) -> dict[str, Any]:
    """An operation with these responses (status -> schema name); one that reads or writes the
    database may also answer 503. Every response carries X-Request-ID; a 201 its Location when
    the created resource has a URL of its own (`location`)."""
    if database:
        responses = {**responses, 503: "Error"}
{%- if cookiecutter.use_compression %}
    responses = {**responses, 406: "Error"}  # any operation may be a 406 (compression.py)
{%- endif %}
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "tags": [tag],
        "summary": summary,
        "responses": {},
    }
    for status, schema in sorted(responses.items()):
        description = ERRORS[status] if schema == "Error" else SUCCESS.get(status, "Not ready")
        response: dict[str, Any] = {
            "description": description,
            "headers": {"X-Request-ID": _header("X-Request-ID")},
        }
        if schema is not None:
            response["content"] = _content(schema)
        if status == 201 and location:
            response["headers"]["Location"] = _header("Location")
        if status == 503 and database:
            response["headers"]["Retry-After"] = _header("Retry-After")
        operation["responses"][str(status)] = response
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = {"required": True, "content": _content(body)}
    return operation


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
