"""Every error leaves as JSON: {"error": <short-name>, "message": <sentence>[, "details"]}."""

import logging

from flask import Flask, Response, jsonify
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

logger = logging.getLogger(__name__)
# The database is down, restarting, unreachable or out of connections: the request may succeed
# if retried, so it is a 503, not a 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 1


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
    app.register_error_handler(Exception, _handle_unexpected_error)


def _handle_http_error(error: HTTPException) -> Response:
    body = {"error": error.name.lower().replace(" ", "-"), "message": error.description}
    if isinstance(error, ValidationFailed):
        body["details"] = error.details
    response = error.get_response()  # keeps headers such as Allow on a 405
    response.set_data(jsonify(body).get_data())
    response.content_type = "application/json"
    return response


def database_error_reason(error: Exception) -> str:
    """The driver's own words (refused, timed out, no such file), never the statement or its values."""
    reason = getattr(error, "orig", None) or error
    return f"{type(reason).__name__}: {reason}"


def _handle_database_unavailable(error: Exception) -> Response:
    logger.warning("The database does not answer: %s", database_error_reason(error))
    unavailable = ServiceUnavailable("The database does not answer; try again in a moment.")
    response = _handle_http_error(unavailable)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _handle_unexpected_error(error: Exception) -> Response:
    logger.exception("Unhandled exception", exc_info=error)
    return _handle_http_error(InternalServerError())
