"""Cursor (keyset) pagination: `?cursor=<opaque>&per_page=50` -> items and `next_cursor`.

Each page continues after the last key of the previous one (`WHERE id > :after ORDER BY id
LIMIT n`), so the deepest page costs what the first does, and inserts while a client walks
the list cause no duplicates: every row that exists for the whole walk comes exactly once.
The cursor is signed with SECRET_KEY: a tampered, forged or stale-format cursor is a 400, and it
only ever becomes a bound integer.
"""

from collections.abc import Callable
from collections.abc import Sequence
from typing import Any
from typing import TypeVarTuple

import msgspec
from flask import current_app
from flask import request
from itsdangerous import BadData
from itsdangerous import URLSafeSerializer
from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute
from werkzeug.exceptions import BadRequest

from .db import get_session
from .models import MAX_ID
from .pagination import per_page_arg

CURSOR_VERSION = 1
# `cursor` as /openapi.json describes it.
PAGE_PARAMETER = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "description": (
        "Where the page starts: the `next_cursor` of the page before; absent or empty for the first"
    ),
    "schema": {"type": "string"},
}


class Cursor(msgspec.Struct, forbid_unknown_fields=True):
    v: int
    after: int


Columns = TypeVarTuple("Columns")  # those of the query, and so of its rows


def paginate(
    query: Select[*Columns],
    key: InstrumentedAttribute[int],
    serialize: Callable[[Sequence[Row[*Columns]]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """A page of `query`'s rows in `key` order; `serialize` makes the page's items, each of
    which holds its `key`."""
    per_page = per_page_arg()
    after = _read_cursor(request.args.get("cursor"))
    if after is not None:
        query = query.where(key > after)
    rows = get_session().execute(query.order_by(key).limit(per_page + 1)).all()
    items = serialize(rows[:per_page])
    has_more = len(rows) > per_page
    return {
        "items": items,
        "next_cursor": make_cursor(items[-1][key.key]) if has_more else None,
    }


def _serializer() -> URLSafeSerializer:
    # The last key signs; every key verifies: the cursors of a retired key stay valid while it
    # is listed in SECRET_KEY_FALLBACKS (a rolling deploy, pages cached under the old key).
    config = current_app.config
    return URLSafeSerializer([*config["SECRET_KEY_FALLBACKS"], config["SECRET_KEY"]], salt="cursor")


def make_cursor(after: int) -> str:
    return _serializer().dumps({"v": CURSOR_VERSION, "after": after})


def _read_cursor(raw: str | None) -> int | None:
    if not raw:  # absent or empty (`?cursor=`, a null next_cursor sent back): the first page
        return None
    try:
        cursor = msgspec.convert(_serializer().loads(raw), Cursor)
    except (BadData, msgspec.ValidationError):
        raise BadRequest("cursor was not issued by this API; start again without it.") from None
    if cursor.v != CURSOR_VERSION or not 0 <= cursor.after <= MAX_ID:
        raise BadRequest("cursor has an outdated format; start again without it.")
    return cursor.after
