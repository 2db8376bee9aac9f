"""Cross-origin access (CORS), so that a browser front-end on another origin may call the API
and read its answers, by Flask-CORS:
- off unless CORS_ORIGINS lists origins: then no Access-Control-* header appears at all;
- an allowed Origin (an exact match; no wildcard, no credentials: the API uses no cookies) gets
  Access-Control-Allow-Origin with its own value, and may read X-Request-ID and Location; any
  other Origin, or none, gets no Access-Control-* header;
- a preflight (OPTIONS with Access-Control-Request-Method) stays the app's 204 without a body,
  with the methods and request headers the API accepts; browsers keep it PREFLIGHT_MAX_AGE
  seconds, so a changed CORS_ORIGINS reaches them within ten minutes;
- every answer says `Vary: Origin`, as its Access-Control-* headers depend on the Origin
  (Flask-CORS adds it only when several origins are allowed), so that no shared cache gives one
  origin's answer to another.
The headers are added to the finished response, the cached ones included: the response cache
stores no Access-Control-* header.
"""

from flask import Flask
from flask import Response
from flask_cors import CORS

METHODS = ["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"]
REQUEST_HEADERS = ["Content-Type", "X-Request-ID"]  # others a JSON client sends are safelisted
EXPOSED_HEADERS = ["X-Request-ID", "Location"]
PREFLIGHT_MAX_AGE = 600  # seconds


def init_app(app: Flask) -> None:
    origins = app.config["CORS_ORIGINS"]
    if not origins:
        return
    CORS(
        app,
        origins=origins,
        methods=METHODS,
        allow_headers=REQUEST_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        supports_credentials=False,
        max_age=PREFLIGHT_MAX_AGE,
        always_send=False,  # no Origin, no Access-Control-* header
        vary_header=False,  # _vary_on_origin says it on every answer
        intercept_exceptions=False,  # error answers pass through after_request anyway
    )
    app.after_request(_vary_on_origin)


def _vary_on_origin(response: Response) -> Response:
    response.vary.add("Origin")
    return response
