"""The application factory."""

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import commands, config, db, errors, health, logs, users


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: configuration, database, techniques, routes, errors, CLI."""
    app = Flask(__name__)
    app.config.from_mapping(config.from_env({% if cookiecutter.database == "sqlite" %}app.instance_path{% endif %}))
    app.config.from_mapping(overrides or {})
    app.json.sort_keys = False  # fields leave in the order the code builds them

    logs.init_app(app)
    db.init_app(app)

    app.register_blueprint(health.bp)
    app.register_blueprint(users.bp)
    errors.init_app(app)
    commands.init_app(app)
    return app
