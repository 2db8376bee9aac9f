"""The application factory."""

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask import Request
from flask import Response
from flask import typing as ft
{%- if not cookiecutter.use_fast_json %}
from flask.json.provider import DefaultJSONProvider
{%- endif %}
from flask.sessions import SecureCookieSessionInterface
{% if cookiecutter.use_async_logging %}
from . import async_logging
{%- endif %}
{%- if cookiecutter.use_caching %}
from . import caching
{%- endif %}
from . import commands
{%- if cookiecutter.use_compression %}
from . import compression
{%- endif %}
from . import conditional
from . import cors
from . import db
from . import docs
from . import errors
{%- if cookiecutter.use_fast_json %}
from . import fast_json
{%- endif %}
from . import health
from . import logs
from . import openapi
from . import security
from . import server_timing
from . import users
from .config import from_env


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: settings from the environment (`config` overrides them), the
    database, one init_app per performance technique, routes, JSON errors, CLI commands."""
    app = JSONAPIFlask(__name__)
    app.config.from_mapping(from_env(app.instance_path))
    app.config.from_mapping(config or {})
    app.url_map.merge_slashes = False  # /api//users is a JSON 404, not an HTML redirect

    logs.init_app(app)
    security.init_app(app)
    cors.init_app(app)
    conditional.init_app(app)  # 304s: its handler runs after those of the techniques below
{%- if cookiecutter.use_async_logging %}
    async_logging.init_app(app)
{%- endif %}
    db.init_app(app)
    server_timing.init_app(app)  # when SERVER_TIMING is true
{%- if cookiecutter.use_fast_json %}
    fast_json.init_app(app)
{%- endif %}
{%- if cookiecutter.use_caching %}
    caching.init_app(app)
{%- endif %}
{%- if cookiecutter.use_compression %}
    compression.init_app(app)
{%- endif %}

    app.register_blueprint(health.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(openapi.bp)
    docs.init_app(app)  # /docs, where API_DOCS allows it
    errors.init_app(app)
    commands.init_app(app)
    return app


class NoCookieSession(SecureCookieSessionInterface):
    """A JSON API keeps no cookie session: every request gets Flask's null session, so no
    cookie is parsed and no signer is built from SECRET_KEY on each request."""

    def open_session(self, app: Flask, request: Request) -> None:
        return None
{%- if not cookiecutter.use_fast_json %}


class StandardJSONProvider(DefaultJSONProvider):
    """The standard library's JSON, with fields in the order the code builds them and
    non-ASCII text as UTF-8, not \\u escapes."""

    sort_keys = False
    ensure_ascii = False
{%- endif %}


class JSONAPIFlask(Flask):
    """Flask for a JSON API: no cookie session, answers tagged with their ETag as soon as they
    are made (conditional.py), and OPTIONS answers 204 with `Allow` and no body (Flask's own
    answer is an empty text/html 200)."""

    session_interface = NoCookieSession()
{%- if not cookiecutter.use_fast_json %}
    json_provider_class = StandardJSONProvider
{%- endif %}

    def make_response(self, rv: ft.ResponseReturnValue) -> Response:
        return conditional.tag(super().make_response(rv))

    def make_default_options_response(self) -> Response:
        response = super().make_default_options_response()
        response.status_code = 204
        del response.headers["Content-Type"]
        return response
