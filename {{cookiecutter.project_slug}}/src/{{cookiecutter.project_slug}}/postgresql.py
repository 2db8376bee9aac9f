"""PostgreSQL (psycopg 3): a request that only reads runs outside a transaction, and what the
server's errors mean."""

from collections.abc import Callable

from flask import Flask
from flask import has_request_context
from flask import request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

# A table or column the code uses does not exist: the migrations have not (all) run. PostgreSQL's
# codes for undefined_table and undefined_column; any other ProgrammingError is a bug, a 500.
SCHEMA_BEHIND = frozenset({"42P01", "42703"})


def default_database_url(instance_path: str) -> str:
    """A database named after the project on the local server; `instance_path` plays no part."""
    return "postgresql+psycopg://localhost/{{ cookiecutter.project_slug }}"


def session_factory(app: Flask, engine: Engine) -> Callable[[], Session]:
    """What opens the session of a request on `engine` (`app` plays no part).

    A GET or HEAD only reads, so its statements run in autocommit mode, outside a transaction:
    no BEGIN and no ROLLBACK round trips, and no ROLLBACK to discard the statements psycopg
    has prepared on the connection. Under PostgreSQL's READ COMMITTED each statement sees a
    snapshot of its own either way, so the answers are the same."""
    sessions = sessionmaker(engine, expire_on_commit=False)
    reads = engine.execution_options(isolation_level="AUTOCOMMIT")  # the same pool
    read_sessions = sessionmaker(reads)

    def open_session() -> Session:
        reads_only = has_request_context() and request.method in ("GET", "HEAD")
        return (read_sessions if reads_only else sessions)()

    return open_session


def database_error_reason(error: Exception) -> str:
    """The driver's own words (refused, timed out, no such database), never the statement or its
    values."""
    reason = getattr(error, "orig", None) or error
    # After an error of the server, psycopg quotes the statement around its position ("LINE 2:
    # FROM users"): the server's primary message alone says what went wrong.
    message = getattr(getattr(reason, "diag", None), "message_primary", None) or reason
    return f"{type(reason).__name__}: {message}"


def schema_is_behind(error: Exception) -> bool:
    """The statement needs a table or a column that the database lacks: `init-db` has not run,
    or not since the migrations that add it shipped."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in SCHEMA_BEHIND
