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
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "redis" %}
    """Ready when the database answers. Redis is reported but not required: without it requests
    are served from the database, so its outage must not take every worker out of service."""
    checks = {"database": _check_database()}
    checks["redis"] = "ok" if caching.ping() else "unavailable"
    if checks["database"] != "ok":
        return {"status": "unavailable", "checks": checks}, 503
    return {"status": "ok" if checks["redis"] == "ok" else "degraded", "checks": checks}, 200
{%- else %}
    """Ready when the database answers."""
    checks = {"database": _check_database()}
    ready = checks["database"] == "ok"
    return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503
{%- endif %}


def _check_database() -> str:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        reason = database_error_reason(error)
        logger.warning("Readiness check: the database does not answer: %s", reason)
        return "unavailable"
    return "ok"
