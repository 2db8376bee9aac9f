"""Settings read from the environment (12-factor); every one is listed in .env.example."""

import os
import re
import secrets
from collections.abc import Mapping
from math import inf
from typing import Any

from .{{ cookiecutter.database }} import default_database_url

MIB = 1024 * 1024
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")
# An origin as a browser sends it: scheme://host[:port], no path, no trailing slash, no wildcard.
ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[a-z0-9.-]+(:[0-9]{1,5})?", re.IGNORECASE)
{%- if cookiecutter.use_pagination %}
PER_PAGE_LIMIT = 1000  # the largest PER_PAGE_MAX allowed: a page stays a bounded answer
{%- endif %}


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot use."""


def from_env(instance_path: str, environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Return the Flask settings for this process; `instance_path` is the app's instance folder."""
    settings: dict[str, Any] = {
        "DATABASE_URL": environ.get("DATABASE_URL") or default_database_url(instance_path),
        "SECRET_KEY": environ.get("SECRET_KEY") or secrets.token_hex(32),
{%- if cookiecutter.use_pagination and cookiecutter.pagination_style == "cursor" %}
        "SECRET_KEY_FALLBACKS": [
            key for key in environ.get("SECRET_KEY_FALLBACKS", "").split(",") if key
        ],
{%- endif %}
        "LOG_LEVEL": _choice(environ, "LOG_LEVEL", "INFO", LOG_LEVELS),
        "LOG_FILE": environ.get("LOG_FILE") or None,
        "LOG_FORMAT": _choice(environ, "LOG_FORMAT", "text", LOG_FORMATS),
        "MAX_CONTENT_LENGTH": _int(environ, "MAX_CONTENT_LENGTH", MIB),
        "CORS_ORIGINS": _origins(environ, "CORS_ORIGINS"),
        "API_DOCS": _flag(environ, "API_DOCS"),  # None: docs.py decides by how the app runs
        "SERVER_TIMING": _flag(environ, "SERVER_TIMING") or False,
{%- if cookiecutter.use_connection_pooling %}
        "DB_POOL_SIZE": _int(environ, "DB_POOL_SIZE", 5),
        "DB_MAX_OVERFLOW": _int(environ, "DB_MAX_OVERFLOW", 10, minimum=0),
        "DB_POOL_TIMEOUT": _int(environ, "DB_POOL_TIMEOUT", 30),
        "DB_POOL_RECYCLE": _int(environ, "DB_POOL_RECYCLE", 1800),
        "DB_POOL_PING_AFTER": _int(environ, "DB_POOL_PING_AFTER", 10, minimum=0),
{%- endif %}
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "simple" %}
        "CACHE_DEFAULT_TIMEOUT": _int(environ, "CACHE_DEFAULT_TIMEOUT", 60),
        "CACHE_GENERATION_FILE": environ.get("CACHE_GENERATION_FILE") or None,
{%- elif cookiecutter.use_caching and cookiecutter.cache_backend == "redis" %}
        "CACHE_DEFAULT_TIMEOUT": _int(environ, "CACHE_DEFAULT_TIMEOUT", 60),
        "REDIS_URL": environ.get("REDIS_URL") or "redis://localhost:6379/0",
        "CACHE_KEY_PREFIX": environ.get("CACHE_KEY_PREFIX") or "{{ cookiecutter.project_slug }}:",
        "CACHE_RETRY_AFTER": _int(environ, "CACHE_RETRY_AFTER", 5),
{%- endif %}
{%- if cookiecutter.use_compression %}
        "COMPRESS_MIN_SIZE": _int(environ, "COMPRESS_MIN_SIZE", 500, minimum=0),
{%- endif %}
    }
{%- if cookiecutter.use_pagination %}
    settings["PER_PAGE_DEFAULT"] = _int(environ, "PER_PAGE_DEFAULT", 50)
    settings["PER_PAGE_MAX"] = _int(environ, "PER_PAGE_MAX", 100, maximum=PER_PAGE_LIMIT)
    if settings["PER_PAGE_DEFAULT"] > settings["PER_PAGE_MAX"]:
        raise ConfigError("PER_PAGE_DEFAULT must not exceed PER_PAGE_MAX")
{%- endif %}
    return settings


def _int(
    environ: Mapping[str, str], name: str, default: int, minimum: int = 1, maximum: float = inf
) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    if value > maximum:
        raise ConfigError(f"{name} must be at most {maximum}, got {value}")
    return value


def _flag(environ: Mapping[str, str], name: str) -> bool | None:
    """true/false (also 1/0, yes/no, on/off, any case); None when unset or empty."""
    value = environ.get(name, "").strip().lower()
    if not value:
        return None
    if value in TRUE or value in FALSE:
        return value in TRUE
    raise ConfigError(f"{name} must be true or false, got {environ[name]!r}")


def _origins(environ: Mapping[str, str], name: str) -> list[str]:
    origins = [origin.strip() for origin in environ.get(name, "").split(",") if origin.strip()]
    for origin in origins:
        if not ORIGIN.fullmatch(origin):
            raise ConfigError(
                f"{name} must list origins like https://app.example.com (scheme, host, optional "
                f"port; no path, trailing slash or wildcard), got {origin!r}"
            )
    return origins


def _choice(environ: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = environ.get(name) or default
    for choice in choices:
        if choice.lower() == value.lower():
            return choice
    raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
