"""Liveness and readiness probes."""

import logging
from typing import Any

from flask import Blueprint
from sqlalchemy.exc import SQLAlchemyError
{% if cookiecutter.use_caching and cookiecutter.cache_backend == "redis" %}
from . import caching_redis
{%- endif %}
from .db import get_engine
from .db import schema_state
from .errors import INIT_DB
from .openapi import operation
{%- if cookiecutter.database == "postgresql" %}
from .postgresql import database_error_reason
{%- endif %}
from .schemas import Health
from .schemas import Readiness
{%- if cookiecutter.database == "sqlite" %}
from .sqlite import database_error_reason
{%- endif %}

logger = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
NO_STORE = {"Cache-Control": "no-store"}  # a probe tells the state of now: no ETag, no 304


@bp.get("/healthz")
@operation(
    "getHealth", "Liveness: the process answers", {200: Health}, database=False, revalidated=False
)
def healthz() -> tuple[dict[str, str], int, dict[str, str]]:
    """The process is up; touches nothing else."""
    return {"status": "ok"}, 200, NO_STORE


@bp.get("/readyz")
@operation(
    "getReadiness",
    "Readiness: the database answers and its schema is up to date",
    {200: Readiness, 503: Readiness},
    database=False,
    revalidated=False,
)
def readyz() -> tuple[dict[str, Any], int, dict[str, str]]:
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "redis" %}
    """Ready when the database answers with its schema migrated. Redis is reported but not
    required: without it requests are served from the database, so its outage must not take
    every worker out of service."""
    checks = {"database": _check_database()}
    checks["redis"] = "ok" if caching_redis.ping() else "unavailable"
    if checks["database"] != "ok":
        return {"status": "unavailable", "checks": checks}, 503, NO_STORE
    status = "ok" if checks["redis"] == "ok" else "degraded"
    return {"status": status, "checks": checks}, 200, NO_STORE
{%- else %}
    """Ready when the database answers with its schema migrated."""
    checks = {"database": _check_database()}
    ready = checks["database"] == "ok"
    status = "ok" if ready else "unavailable"
    return {"status": status, "checks": checks}, 200 if ready else 503, NO_STORE
{%- endif %}


def _check_database() -> str:
    """The database's check: "ok", "unavailable", "not initialised" (no table yet) or
    "migrations pending". A schema ahead of this code is "ok": a newer release has migrated it,
    and this one serves until it is replaced (a deployment rolls out that way, its migrations
    keeping the previous release working); taking every old worker out of service would stop
    the whole service."""
    try:
        with get_engine().connect() as connection:
            state = schema_state(connection)
    except SQLAlchemyError as error:
        reason = database_error_reason(error)
        logger.warning("Readiness check: the database does not answer: %s", reason)
        return "unavailable"
    if state == "empty":
        logger.warning("Readiness check: the database is not initialised; run `%s`", INIT_DB)
        return "not initialised"
    if state == "behind":
        logger.warning("Readiness check: the database has migrations pending; run `%s`", INIT_DB)
        return "migrations pending"
    return "ok"
