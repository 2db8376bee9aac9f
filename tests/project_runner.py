"""Run a generated project's own test suite in a process of its own, forked from a server that
has imported the heavy libraries once (multiprocessing's forkserver), instead of paying a cold
interpreter start and those imports for every one of hundreds of projects."""

import gc
import multiprocessing
import os
import sys
from pathlib import Path

from _pytest.config import default_plugins

PRELOAD = [
    *(f"_pytest.{plugin}" for plugin in default_plugins),
    "alembic.autogenerate",
    "alembic.command",
    "alembic.config",
    "alembic.runtime.migration",
    "alembic.script",
    "brotli",
    "click",
    "email_validator",
    "flask",
    "flask.testing",
    "flask_caching",
    "flask.views",
    "flask_caching.jinja2ext",
    "flask_compress",
    "flask_cors",
    "gunicorn.app.wsgiapp",
    "gunicorn.arbiter",
    "gunicorn.workers.gthread",
    "gunicorn.workers.sync",
    "hypothesis",
    "tests.hypothesis_tables",
    "itsdangerous",
    "jinja2.ext",
    "logging.handlers",
    "msgspec",
    "orjson",
    "psycopg",
    "pytest",
    "redis",
    "schemathesis",
    "schemathesis.pytest.plugin",
    "schemathesis.specs.openapi.schemas",
    "schemathesis.specs.openapi.checks",
    "sqlalchemy",
    "sqlalchemy.dialects.postgresql.psycopg",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.orm",
    "sqlite3",
    "statistics",
    "tomllib",
    "werkzeug",
]

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)


def _run(project: str, args: list[str], env: dict[str, str], log: str) -> None:
    import pytest

    # The preloaded libraries stay alive for the whole run: keep the collector from scanning
    # them again and again (pytest alone runs a full collection at the end of each session).
    gc.freeze()

    os.chdir(project)
    os.environ.clear()
    os.environ.update(env)
    output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(output, 1)
    os.dup2(output, 2)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    code = int(pytest.main(args))
    sys.stdout.flush()
    sys.stderr.flush()
    # The exit status travels back through the forkserver, which reports 255 when it loses
    # it (seen once in a few thousand runs); the file is the child's own word.
    with open(f"{log}.code", "w") as code_file:
        code_file.write(str(code))
    os._exit(code)


def run_project_tests(project: Path, args: list[str], env: dict[str, str], timeout: float):
    """Return (exit code, output) of `pytest args` run in `project` with environment `env`."""
    log = project.parent / f"{project.name}.pytest.log"
    process = _context.Process(target=_run, args=(str(project), args, env, str(log)))
    process.start()
    process.join(timeout)
    if process.is_alive():
        process.kill()
        process.join()
    output = log.read_text(errors="replace") if log.exists() else ""
    code_file = log.with_name(f"{log.name}.code")
    code = int(code_file.read_text()) if code_file.exists() else process.exitcode
    return code, output
