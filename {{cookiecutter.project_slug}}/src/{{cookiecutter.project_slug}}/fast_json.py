"""A fast JSON serializer: orjson behind Flask's JSONProvider.

Every response Flask builds from a dict or list (`return {...}`, `jsonify`, the JSON errors)
is encoded by orjson instead of the standard library: UTF-8 text unescaped, keys in insertion
order, no spaces, datetimes and dates in ISO 8601, UUIDs as strings, and Decimals as exact
strings (a JSON number would reach most clients as a float and lose digits). Request bodies
are decoded by msgspec while they are validated (validation.py); `request.get_json()` goes
through this provider too.
"""

import datetime
import decimal
import uuid
from typing import Any

import orjson
from flask import Flask
from flask import Response
from flask.json.provider import JSONProvider


def _default(value: Any) -> Any:
    """What orjson cannot encode by itself."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class FastJSONProvider(JSONProvider):
    mimetype = "application/json"

    def dumps(self, obj: Any, **_kwargs: Any) -> str:
        return self.dumps_bytes(obj).decode()

    def dumps_bytes(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)

    def loads(self, s: str | bytes, **_kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        return Response(self.dumps_bytes(obj), mimetype=self.mimetype)


def init_app(app: Flask) -> None:
    app.json = FastJSONProvider(app)
