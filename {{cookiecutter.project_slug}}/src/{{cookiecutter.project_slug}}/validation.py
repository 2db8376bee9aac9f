"""Decode and validate JSON request bodies with msgspec Structs."""

import contextlib
import json
from typing import Annotated
from typing import Any
from typing import TypeVar
from typing import get_args
from typing import get_origin

import msgspec
from flask import current_app
from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.exceptions import UnsupportedMediaType

from .errors import ValidationFailed

T = TypeVar("T")
BAD_JSON = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)
JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def json_body(schema: type[T]) -> T:
    """The body as `schema`: 415 unless JSON, 400 if malformed, 422 naming each bad field."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the request body as application/json.")
    body = request.get_data(cache=False)  # 413 past MAX_CONTENT_LENGTH
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and len(body) >= limit:
        raise RequestEntityTooLarge()  # a chunked body is cut at the limit, not refused
    try:
        value = msgspec.json.decode(body, type=schema)
    except BAD_JSON as error:  # msgspec.ValidationError is a DecodeError too
        problem = str(error)
    else:
        _reject_duplicate_fields(body)
        return value
    # Describe every problem, not only the first one msgspec met.
    try:
        data = msgspec.json.decode(body)
    except BAD_JSON as error:
        raise BadRequest(f"The request body is not valid UTF-8 JSON: {error}.") from None
    _reject_duplicate_fields(body)
    raise ValidationFailed(field_errors(data, schema) or {"$": problem})


def _reject_duplicate_fields(body: bytes) -> None:
    """A field given twice is refused: parsers disagree on which value wins (the first, the
    last), so a proxy and this API could each act on a different one."""
    # Nested deeper than Python's parser goes (msgspec goes further): not a body of fields.
    with contextlib.suppress(RecursionError):
        json.loads(body, object_pairs_hook=_unique_fields)


def _unique_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    fields = dict(pairs)
    if len(fields) < len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise ValidationFailed({name: "Duplicate field"})
            seen.add(name)
    return fields


def field_errors(data: object, schema: type) -> dict[str, str]:
    """One message per offending field of `data` against the Struct `schema`."""
    if not isinstance(data, dict):
        return {"$": f"Expected a JSON object, got {JSON_TYPES[type(data)]}"}
    fields = {field.encode_name: field for field in msgspec.structs.fields(schema)}
    errors = {name: "Unknown field" for name in data if name not in fields}
    for name, field in fields.items():
        if name not in data:
            if field.required:
                errors[name] = "Field required"
            continue
        try:
            msgspec.convert(data[name], field.type)
        except msgspec.ValidationError as exc:
            errors[name] = _readable(str(exc), field.type)
    return errors


def _readable(message: str, field_type: object) -> str:
    """Replace msgspec's "matching regex '...'" with the field's own `extra["error"]` text."""
    if "matching regex" not in message:
        return message
    if get_origin(field_type) is Annotated:
        for meta in get_args(field_type)[1:]:  # Annotated[type, *metadata]
            if isinstance(meta, msgspec.Meta) and meta.extra and "error" in meta.extra:
                error: str = meta.extra["error"]
                return error
    for arg in get_args(field_type):
        readable = _readable(message, arg)
        if readable != message:
            return readable
    return message
