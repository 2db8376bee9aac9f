"""The API's OpenAPI 3.1 description, at /openapi.json.

Each view describes itself with `@operation(...)`: its summary, and the msgspec Structs of
`schemas.py` it answers with and reads, the very types that validate requests, so the
description cannot drift from the code. The paths, their parameters and the tags (one per
blueprint, described by its module's docstring) come from the app's routes. Every status an
operation can answer is listed, with its JSON error shape."""

import re
import sys
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any
from typing import NamedTuple
from typing import TypeVar

import msgspec
from flask import Blueprint
from flask import Flask
from flask import current_app
from werkzeug.routing import IntegerConverter
from werkzeug.routing import Rule
from werkzeug.routing import parse_converter_args
{% if cookiecutter.use_pagination %}
from .pagination import per_page_parameter
from .pagination_{{ cookiecutter.pagination_style }} import PAGE_PARAMETER
{%- endif %}
from .schemas import Error

bp = Blueprint("meta", __name__)
REF = "#/components/schemas/{name}"
# A variable of a route, `<name>` or `<converter(arguments):name>`, as werkzeug parses it.
VARIABLE = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<arguments>.*?)\))?:)?"
    r"(?P<variable>[a-zA-Z_][a-zA-Z0-9_]*)>"
)

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
ERRORS = {
    400: "Malformed request: a body that is not JSON, or a query parameter out of range",
    413: "The body is larger than MAX_CONTENT_LENGTH",
{%- if cookiecutter.use_compression %}
    406: "Accept-Encoding excludes every coding this service sends (br, zstd, gzip, identity)",
{%- endif %}
    415: "The body is not application/json",
    422: "Invalid fields; `details` names each one",
    503: "The database does not answer or is not initialised; retry after Retry-After seconds",
}
SUCCESS = {200: "Success", 201: "Created", 204: "Deleted"}
WRITE_ERRORS = (400, 413, 415, 422)  # any body the API decodes
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
    "ETag": {
        "description": "The answer's version (strong); send it back in If-None-Match",
        "required": True,
        "schema": {"type": "string", "pattern": '^"[!#-~]*"$'},
    },
    "Cache-Control": {
        "description": "`no-cache`: keep the answer, but revalidate it before each use",
        "required": True,
        "schema": {"type": "string"},
    },
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETags of the answers held: a 304 without a body when one is current",
    "schema": {"type": "string"},
}
NOT_MODIFIED = "Not modified: the answer whose ETag was sent is current"
METHODS = ("get", "post", "put", "patch", "delete")  # in the order the document lists them
View = TypeVar("View", bound=Callable[..., Any])


class Operation(NamedTuple):
    """What `@operation` says of a view function or method."""

    operation_id: str
    summary: str
    # status -> the type of its body (None: no body), or, for an error, when it happens
    responses: Mapping[int, Any]
    body: type[msgspec.Struct] | None
    location: bool
    database: bool
    revalidated: bool
{%- if cookiecutter.use_pagination %}
    paginated: bool
{%- endif %}


OPERATIONS: dict[Callable[..., Any], Operation] = {}


def operation(
    operation_id: str,
    summary: str,
    responses: Mapping[int, Any],
    *,
    body: type[msgspec.Struct] | None = None,
    location: bool = False,
    database: bool = True,
    revalidated: bool = True,
{%- if cookiecutter.use_pagination %}
    paginated: bool = False,
{%- endif %}
) -> Callable[[View], View]:
    """Describe the view below in /openapi.json. `responses` maps each status to the type of its
    body (None: no body), or, for an error, to a sentence saying when it happens. Added for you:
    - the errors of decoding a `body`;
    - a 503 (with Retry-After) when the view uses the `database`;
{%- if cookiecutter.use_compression %}
    - a 406 (compression.py);
{%- endif %}
{%- if cookiecutter.use_pagination %}
    - the page's parameters, and their 400, when it is `paginated`;
{%- endif %}
    - `Location` on the 201 when it sends one (`location`);
    - on a GET, the `ETag` of its 200 and the 304 that answers a matching `If-None-Match`
      (conditional.py), unless it is not `revalidated` (the health probes)."""
    described = Operation(
        operation_id,
        summary,
        responses,
        body,
        location,
        database,
        revalidated,
{%- if cookiecutter.use_pagination %}
        paginated,
{%- endif %}
    )

    def describe(view: View) -> View:
        OPERATIONS[view] = described
        return view

    return describe


@bp.get("/openapi.json")
@operation("getOpenAPI", "This description (OpenAPI 3.1)", {200: dict[str, Any]}, database=False)
def openapi_json() -> dict[str, Any]:
    document = current_app.extensions.get("openapi")
    if document is None:
        document = current_app.extensions["openapi"] = build(current_app)
    return document


def build(app: Flask) -> dict[str, Any]:
    """The description of `app`'s described routes, with its configured limits."""
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, str] = {}
    types: set[Any] = {Error}
    for rule in app.url_map.iter_rules():
        tag = rule.endpoint.rpartition(".")[0]  # the blueprint's name
        item = _path_item(app, rule, tag, types)
        if item:
            tags[tag] = _first_line(sys.modules[app.blueprints[tag].import_name].__doc__)
            paths.setdefault(_openapi_path(rule), {}).update(item)
    structs = sorted((t for t in types if _is_struct(t)), key=lambda t: t.__name__)
    _, components = msgspec.json.schema_components(structs, ref_template=REF)
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "servers": [{"url": "/", "description": "The server that serves this description"}],
        "security": [],  # no authentication: add a scheme here when the API gets one
        "tags": [{"name": name, "description": text} for name, text in tags.items()],
        "paths": paths,
        "components": {"schemas": _ecma_patterns(components), "headers": HEADERS},
    }


def _path_item(app: Flask, rule: Rule, tag: str, types: set[Any]) -> dict[str, Any]:
    """The described operations of `rule` (and its path parameters), by method."""
    view = app.view_functions[rule.endpoint]
    view_class = getattr(view, "view_class", None)
    item: dict[str, Any] = {}
    for method in METHODS:
        if method.upper() not in (rule.methods or ()):
            continue
        function = getattr(view_class, method, None) if view_class else view
        described = OPERATIONS.get(function) if function else None
        if described is not None:
            item[method] = _operation(described, tag, app.config, types)
            if method == "get" and described.revalidated:
                _revalidated(item[method])
    if item and rule.arguments:
        item = {"parameters": _path_parameters(rule), **item}
    return item


def _openapi_path(rule: Rule) -> str:
    return VARIABLE.sub(r"{\g<variable>}", rule.rule)


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    """The path's variables; a number's bounds are its converter's, built again from the rule's
    text with werkzeug's public parse_converter_args and Rule.get_converter (the rule keeps its
    own converters in a private attribute)."""
    parameters = []
    for variable in VARIABLE.finditer(rule.rule):
        name, arguments = variable["variable"], parse_converter_args(variable["arguments"] or "")
        converter = rule.get_converter(name, variable["converter"] or "default", *arguments)
        schema: dict[str, Any] = {"type": "string"}
        if isinstance(converter, IntegerConverter):
            schema = {"type": "integer", "minimum": converter.min, "maximum": converter.max}
        described = name.removesuffix("_id").replace("_", " ")
        parameters.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": f"A {described}'s id" if name.endswith("_id") else described,
                "schema": {key: value for key, value in schema.items() if value is not None},
            }
        )
    return parameters


def _first_line(text: str | None) -> str:
    return (text or "").strip().partition("\n")[0].rstrip(".")


def _is_struct(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, msgspec.Struct)


def _content(kind: Any) -> dict[str, Any]:
    """A body of type `kind`: a Struct by reference, anything else inline."""
    if _is_struct(kind):
        return {"application/json": {"schema": {"$ref": REF.format(name=kind.__name__)}}}
    return {"application/json": {"schema": msgspec.json.schema(kind)}}


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _operation(
    described: Operation, tag: str, config: Mapping[str, Any], types: set[Any]
) -> dict[str, Any]:
    """The operation with every response it may give (see `operation`); the types of its bodies
    are added to `types`."""
    operation: dict[str, Any] = {
        "operationId": described.operation_id,
        "tags": [tag],
        "summary": described.summary,
        "responses": {},
    }
    for status, kind in sorted(_responses(described).items()):
        response: dict[str, Any] = {"headers": {"X-Request-ID": _header("X-Request-ID")}}
        if isinstance(kind, str):  # an error: when it happens
            response = {"description": kind, **response, "content": _content(Error)}
        else:
            response = {"description": SUCCESS.get(status, "Not ready"), **response}
            if kind is not None:
                response["content"] = _content(kind)
                types.add(kind)
        if status == 201 and described.location:
            response["headers"]["Location"] = _header("Location")
        if status == 503 and described.database:
            response["headers"]["Retry-After"] = _header("Retry-After")
        operation["responses"][str(status)] = response
{%- if cookiecutter.use_pagination %}
    if described.paginated:
        operation["parameters"] = [per_page_parameter(config), PAGE_PARAMETER]
{%- endif %}
    if described.body is not None:
        operation["requestBody"] = {"required": True, "content": _content(described.body)}
        types.add(described.body)
    return operation


def _revalidated(operation: dict[str, Any]) -> None:
    """A GET's ETag on its 200, and its 304 (conditional.py)."""
    validators = {name: _header(name) for name in ("ETag", "Cache-Control")}
    operation["responses"]["200"]["headers"].update(validators)
    not_modified = {"X-Request-ID": _header("X-Request-ID"), **validators}
    operation["responses"]["304"] = {"description": NOT_MODIFIED, "headers": not_modified}
    operation["responses"] = dict(sorted(operation["responses"].items()))
    operation["parameters"] = [*operation.get("parameters", ()), IF_NONE_MATCH]


def _responses(described: Operation) -> dict[int, Any]:
    """The view's own responses, and the ones every view of its kind may give."""
    added: list[int] = []
    if described.body is not None:
        added += WRITE_ERRORS
{%- if cookiecutter.use_pagination %}
    if described.paginated:
        added.append(400)
{%- endif %}
    if described.database:
        added.append(503)
{%- if cookiecutter.use_compression %}
    added.append(406)  # any operation may be a 406 (compression.py)
{%- endif %}
    return {**{status: ERRORS[status] for status in added}, **described.responses}


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
