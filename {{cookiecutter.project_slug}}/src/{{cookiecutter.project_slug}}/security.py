"""Response headers for a JSON API: browsers must not sniff a body into HTML or script, render
it in a frame, or send the URL on; error answers are never stored by a cache on the way."""

from flask import Flask
from flask import Response

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)  # docs.py gives its page a policy of its own
    if response.status_code >= 400:
        response.headers["Cache-Control"] = "no-store"
    return response
