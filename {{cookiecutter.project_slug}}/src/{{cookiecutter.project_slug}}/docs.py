"""Interactive documentation at /docs: Swagger UI for this service's /openapi.json, whose "Try
it out" sends real requests to this service and shows the answers.

Swagger UI's files come from the flask-swagger-ui package (its version is the Swagger UI
release it ships) and the app serves them itself, never a CDN: the page works offline and under
a content security policy that allows this origin's scripts, styles, images and requests only
(no inline script, no eval). Every other answer keeps the strict policy of security.py.

On when API_DOCS says so. Unset, it is on in development only: an app built by the `flask`
command (`flask run`), in debug mode or under test; off under gunicorn, since "Try it out"
sends real writes from any visitor's browser. Off, /docs is the JSON 404 of any unknown path."""

import os
from importlib.resources import files
from pathlib import Path

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import abort
from flask import send_from_directory

PAGE = Path(__file__).parent / "docs_page"  # docs.html and docs.js, which starts Swagger UI
SWAGGER_UI = Path(str(files("flask_swagger_ui") / "dist"))  # the package's Swagger UI build
ASSETS = {
    "docs.js": PAGE,
    "swagger-ui-bundle.js": SWAGGER_UI,
    "swagger-ui.css": SWAGGER_UI,
    "favicon-32x32.png": SWAGGER_UI,
}
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

bp = Blueprint("docs", __name__, url_prefix="/docs")


def init_app(app: Flask) -> None:
    enabled = app.config["API_DOCS"]
    if enabled is None:  # Flask's own command line sets FLASK_RUN_FROM_CLI
        enabled = app.debug or app.testing or os.environ.get("FLASK_RUN_FROM_CLI") == "true"
    if enabled:
        app.register_blueprint(bp)


@bp.get("")
def page() -> Response:
    response = send_from_directory(PAGE, "docs.html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@bp.get("/<name>")
def asset(name: str) -> Response:
    if name not in ASSETS:
        abort(404)
    return send_from_directory(ASSETS[name], name)
