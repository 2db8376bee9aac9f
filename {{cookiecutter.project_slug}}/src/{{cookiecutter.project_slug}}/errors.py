"""Every error leaves as JSON: {"error": <short-name>, "message": <sentence>[, "details"]}."""

import logging

from flask import Flask
from flask import jsonify
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError
{%- if cookiecutter.database == "postgresql" %}
from sqlalchemy.exc import ProgrammingError
{%- endif %}
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.wrappers import Response

from .{{ cookiecutter.database }} import database_error_reason
from .{{ cookiecutter.database }} import schema_is_behind

logger = logging.getLogger(__name__)
# The database is down, restarting, unreachable or out of connections: the request may succeed
# if retried, so it is a 503, not a 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 1
INIT_DB = "flask --app {{ cookiecutter.project_slug }} init-db"


class ValidationFailed(HTTPException):
    """422: the body is well-formed JSON but some fields are wrong; `details` names each one."""

    code = 422
    name = "Validation Failed"
    description = "The request body has invalid fields."

    def __init__(self, details: dict[str, str]) -> None:
        super().__init__()
        self.details = details


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http_error)
    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, _handle_database_unavailable)
{%- if cookiecutter.database == "postgresql" %}
    app.register_error_handler(ProgrammingError, _handle_programming_error)
{%- endif %}
    app.register_error_handler(Exception, _handle_unexpected_error)


def _handle_http_error(error: HTTPException) -> Response:
    body: dict[str, object] = {
        "error": error.name.lower().replace(" ", "-"),
        "message": error.description,
    }
    if isinstance(error, ValidationFailed):
        body["details"] = error.details
    response = error.get_response()  # keeps headers such as Allow on a 405
    response.set_data(jsonify(body).get_data())
    response.content_type = "application/json"
    return response


def _handle_database_unavailable(error: Exception) -> Response:
{%- if cookiecutter.database == "sqlite" %}
    if schema_is_behind(error):
        return _handle_schema_behind(error)
{%- endif %}
    logger.warning("The database does not answer: %s", database_error_reason(error))
    unavailable = ServiceUnavailable("The database does not answer; try again in a moment.")
    response = _handle_http_error(unavailable)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
{%- if cookiecutter.database == "postgresql" %}


def _handle_programming_error(error: ProgrammingError) -> Response:
    if schema_is_behind(error):
        return _handle_schema_behind(error)
    return _handle_unexpected_error(error)
{%- endif %}


def _handle_schema_behind(error: Exception) -> Response:
    """A 503 like an unreachable database: the service cannot answer until an operator (or the
    deployment) migrates the database. The client is told the database is not ready; the
    command that fixes it is for the operator, in the log."""
    logger.warning(
        "The database is not initialised or its migrations are pending; run `%s`: %s",
        INIT_DB,
        database_error_reason(error),
    )
    unavailable = ServiceUnavailable("The database is not initialised yet; try again later.")
    response = _handle_http_error(unavailable)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _handle_unexpected_error(error: Exception) -> Response:
    logger.exception("Unhandled exception", exc_info=error)
    return _handle_http_error(InternalServerError())
