"""Decode and validate JSON request bodies with msgspec Structs."""

from typing import TypeVar

import msgspec
from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from .errors import ValidationFailed

T = TypeVar("T")


def json_body(schema: type[T]) -> T:
    """The body as `schema`: 415 unless JSON, 400 if malformed, 422 naming each bad field."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the request body as application/json.")
    body = request.get_data(cache=False)  # 413 past MAX_CONTENT_LENGTH
    try:
        return msgspec.json.decode(body, type=schema)
    except msgspec.DecodeError:
        pass  # describe every problem, not only the first one msgspec met
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}.") from None
    raise ValidationFailed(field_errors(data, schema))


def field_errors(data: object, schema: type) -> dict[str, str]:
    """One message per offending field of `data` against the Struct `schema`."""
    if not isinstance(data, dict):
        return {"$": f"Expected a JSON object, got `{type(data).__name__}`"}
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
            errors[name] = str(exc)
    return errors
