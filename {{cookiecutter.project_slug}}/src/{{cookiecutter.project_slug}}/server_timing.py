"""Server-Timing (W3C): where a request's time went, shown by the browser's developer tools.

Off unless SERVER_TIMING is true: timings tell anyone who asks how the service is built and how
loaded it is. On, every answer carries, for example,
`Server-Timing: db;dur=1.92;desc="2 statements", {% if cookiecutter.use_caching %}cache;desc=miss, {% endif %}total;dur=3.41`:
- `db`: the time spent executing SQL statements, and how many (left out when none ran);
{%- if cookiecutter.use_caching %}
- `cache`: `hit` or `miss` for the answers the response cache serves (caching.py);
{%- endif %}
- `total`: from the request's start (logs.py) to this header, durations in milliseconds.
"""

import time
from typing import Any

from flask import Flask
from flask import Response
from flask import g
from flask import has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Connection

from . import db


def init_app(app: Flask) -> None:
    if not app.config["SERVER_TIMING"]:
        return
    with app.app_context():
        engine = db.get_engine()
    event.listen(engine, "before_cursor_execute", _statement_starts)
    event.listen(engine, "after_cursor_execute", _statement_ends)
    app.after_request(_add_header)


def _statement_starts(connection: Connection, *_args: Any) -> None:
    connection.info.setdefault("statement_started", []).append(time.perf_counter())


def _statement_ends(connection: Connection, *_args: Any) -> None:
    duration = time.perf_counter() - connection.info["statement_started"].pop()
    if has_request_context():  # not a `flask` command's statements
        g.db_statements = g.get("db_statements", 0) + 1
        g.db_seconds = g.get("db_seconds", 0.0) + duration


def _add_header(response: Response) -> Response:
    metrics = []
    if "db_statements" in g:
        count = g.db_statements
        noun = "statement" if count == 1 else "statements"
        metrics.append(f'db;dur={g.db_seconds * 1000:.2f};desc="{count} {noun}"')
{%- if cookiecutter.use_caching %}
    if "cache" in g:
        metrics.append(f"cache;desc={g.cache}")
{%- endif %}
    total = (time.perf_counter() - g.request_started) * 1000
    metrics.append(f"total;dur={total:.2f}")
    response.headers["Server-Timing"] = ", ".join(metrics)
    return response
