"""Every error leaves as JSON: {"error": <short-name>, "message": <sentence>[, "details"]}."""

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError

logger = logging.getLogger(__name__)


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
    app.register_error_handler(Exception, _handle_unexpected_error)


def _handle_http_error(error: HTTPException) -> Response:
    body = {"error": error.name.lower().replace(" ", "-"), "message": error.description}
    if isinstance(error, ValidationFailed):
        body["details"] = error.details
    response = error.get_response()  # keeps headers such as Allow on a 405
    response.set_data(jsonify(body).get_data())
    response.content_type = "application/json"
    return response


def _handle_unexpected_error(error: Exception) -> Response:
    logger.exception("Unhandled exception", exc_info=error)
    return _handle_http_error(InternalServerError())
