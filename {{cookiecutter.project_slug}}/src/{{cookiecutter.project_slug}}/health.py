"""Liveness and readiness probes."""

import logging
from typing import Any

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
{% if cookiecutter.use_caching and cookiecutter.cache_backend == "redis" %}
from . import caching
{%- endif %}
from .db import get_engine
from .errors import database_error_reason

logger = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up; touches nothing else."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    """Ready when every backing service answers."""
    checks = {"database": _check_database()}
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "redis" %}
    checks["redis"] = "ok" if caching.ping() else "unavailable"
{%- endif %}
    ready = all(state == "ok" for state in checks.values())
    return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503


def _check_database() -> str:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        reason = database_error_reason(error)
        logger.warning("Readiness check: the database does not answer: %s", reason)
        return "unavailable"
    return "ok"
