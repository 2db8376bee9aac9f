"""Offset pagination: `?page=1&per_page=50` -> items, `page`, `per_page`, `total`, `pages`.
A page past the last is empty, with the current `total` and `pages`.

Simple and random-access, but the database still walks every skipped row: a deep page costs
more than the first one. Choose the cursor style for large tables.
"""

from collections.abc import Callable
from collections.abc import Sequence
from typing import Any
from typing import TypeVarTuple

from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from .db import get_session
from .pagination import int_arg
from .pagination import per_page_arg

MAX_PAGE = 10**9
# `page` as /openapi.json describes it.
PAGE_PARAMETER = {
    "name": "page",
    "in": "query",
    "required": False,
    "description": (
        "The page, from 1; a page past the last is empty, with the current `total` and `pages`"
    ),
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
}

Columns = TypeVarTuple("Columns")  # those of the query, and so of its rows


def paginate(
    query: Select[*Columns],
    key: InstrumentedAttribute[int],
    serialize: Callable[[Sequence[Row[*Columns]]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """A page of `query`'s rows in `key` order; `serialize` makes the page's items."""
    per_page = per_page_arg()
    page = int_arg("page", 1, MAX_PAGE)
    session = get_session()
    total = session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    pages = -(-total // per_page)
    # A page past the last is empty, with the current totals: a client paging while rows are
    # deleted reads where the list ends instead of an error.
    rows: Sequence[Row[*Columns]] = []
    if page <= pages:
        query = query.order_by(key).offset((page - 1) * per_page).limit(per_page)
        rows = session.execute(query).all()
    return {
        "items": serialize(rows),
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": pages,
    }
