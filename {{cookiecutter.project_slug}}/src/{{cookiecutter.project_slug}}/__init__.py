"""The application factory."""

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import commands, db, errors, health, logs, users
from .config import from_env


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: settings from the environment (`config` overrides them), the
    database, one init_app per performance technique, routes, JSON errors, CLI commands."""
    app = Flask(__name__)
    app.config.from_mapping(from_env({% if cookiecutter.database == "sqlite" %}app.instance_path{% endif %}))
    app.config.from_mapping(config or {})
    app.json.sort_keys = False  # fields leave in the order the code builds them
    app.json.ensure_ascii = False  # non-ASCII text as UTF-8, not \u escapes
    app.url_map.merge_slashes = False  # /api//users is a JSON 404, not an HTML redirect

    logs.init_app(app)
    db.init_app(app)

    app.register_blueprint(health.bp)
    app.register_blueprint(users.bp)
    errors.init_app(app)
    commands.init_app(app)
    return app
