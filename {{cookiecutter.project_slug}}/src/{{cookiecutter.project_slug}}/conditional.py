"""Conditional requests (RFC 9110 §13): a client that holds an answer asks whether it changed,
and an unchanged one is a 304 with no body.

- Every 200 JSON answer to a GET or HEAD gets a strong `ETag`, the SHA-1 of its body, and
  `Cache-Control: no-cache`: a client (or a shared cache: no answer depends on who asks) may
  keep it but revalidates before each use. An answer that says its own Cache-Control is left
  alone: the health probes' `no-store`, or an answer that already has its ETag.
- The ETag is taken in `tag()` where a view's return value becomes a response
  (`JSONAPIFlask.make_response`), before any after_request handler changes the body, so it is
  the hash of the uncompressed JSON.
{%- if cookiecutter.use_compression %}
  Flask-Compress then suffixes a strong ETag with the coding it applies (`"<sha1>:br"`): a
  gzip and a Brotli answer are different representations with different ETags (§8.8.3).
  An If-None-Match holding such an ETag is answered by compression.py before it compresses
  the body that the 304 would drop.
{%- endif %}
- `If-None-Match` is compared as the RFC asks (§13.1.2), by werkzeug's parser: the weak
  comparison (`W/` prefixes ignored), a list of ETags, `*`. A match is a 304 with the ETag,
  Cache-Control and Vary of the 200 it stands for; werkzeug drops the body and its
  Content-Type, Content-Length and Content-Encoding as it sends it.
{%- if cookiecutter.use_caching %}
- A cached entry keeps its ETag (caching.py): a 304 on a hit hashes nothing, runs no view and
  executes no SQL. The comparison runs after the entry is stored, so a 304 on a miss still
  stores the 200 for the next client.
{%- endif %}
"""

from flask import Flask
from flask import Response
from flask import request

REVALIDATE = "no-cache"  # Cache-Control: stored, but revalidated before each use


def init_app(app: Flask) -> None:
    app.after_request(_answer_if_unchanged)


def tag(response: Response) -> Response:
    """`response` with its ETag and Cache-Control, when it is a 200 JSON answer to a GET."""
    if (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and response.mimetype == "application/json"
        and "Cache-Control" not in response.headers
        and not response.is_streamed
    ):
        response.headers["Cache-Control"] = REVALIDATE
        response.add_etag()
    return response


def _answer_if_unchanged(response: Response) -> Response:
    if response.status_code == 200 and request.method in ("GET", "HEAD"):
        etag, _weak = response.get_etag()
        if etag is not None and request.if_none_match.contains_weak(etag):
            response.status_code = 304
    return response
