"""Count the SQL statements an engine executes, like Django's assertNumQueries."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy import event

from {{ cookiecutter.project_slug }} import db


class Statements(list[str]):
    """The statements executed inside a `count_statements` block, in order."""


@contextmanager
def count_statements(engine: Engine | Flask) -> Iterator[Statements]:
    """The statements executed by `engine` (or by an app's engine) inside the block."""
    if isinstance(engine, Flask):
        with engine.app_context():
            engine = db.get_engine()
    statements = Statements()

    def record(
        _conn: object,
        _cursor: object,
        statement: str,
        _parameters: object,
        _context: object,
        _executemany: object,
    ) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
