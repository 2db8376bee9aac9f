"""Response compression: Brotli, Zstandard or gzip, as the client's Accept-Encoding asks.

Flask-Compress compresses, adds `Vary: Accept-Encoding` (to every response, errors included),
and leaves bodies under COMPRESS_MIN_SIZE bytes alone (compressing them costs more than it
saves). The coding is chosen here, by RFC 9110 §12.5.3; Flask-Compress's own choice keeps
`q=0` codings as candidates (`br;q=0` got br):
- a coding listed with q=0 is excluded; one not listed is acceptable only through `*`, whose q
  it then takes; the highest q wins, ties going to the order of COMPRESS_ALGORITHM (br, zstd,
  gzip), then identity;
- identity (no coding) is acceptable unless `identity;q=0`, or `*;q=0` without an identity
  entry, excludes it; it is the last resort, so `gzip;q=0.1` still gets gzip;
- no Accept-Encoding, or an empty one: identity;
- nothing acceptable, identity included: a JSON 406, before the view runs (a write refused
  this way does not happen). A body that is not compressed anyway (too small, an error) is
  sent as identity even when the client excluded it: RFC 9110 §12.5.1 lets a server disregard
  the header rather than refuse;
- leniency: codings and `q` are case-insensitive and whitespace is ignored, `x-gzip` is gzip
  (RFC 9110 §8.4.1.3), and an element whose weight is malformed (`q=abc`, `q=2`, `q=-1`, a
  second parameter) is ignored as if it were not there: guessing q=1 could send a coding the
  client meant to refuse, guessing q=0 could refuse a request it meant to allow. A coding
  listed twice keeps its lowest q, so an explicit q=0 always excludes.
The choice is a pure function of the header.
A revalidation that will be a 304 is answered before compressing: the 304 drops the body,
so compressing it would be wasted work (conditional.py would answer the same 304 afterwards).
{%- if cookiecutter.use_caching %}
Cached responses are stored already compressed, keyed by that header (caching.py), so a cache
hit skips this work.
{%- endif %}
"""

import re
from functools import lru_cache

from flask import Flask
from flask import Response
from flask import current_app
{%- if cookiecutter.use_caching %}
from flask import g
{%- endif %}
from flask import request
from flask_compress import Compress
from flask_compress import flask_compress
from werkzeug.exceptions import NotAcceptable

IDENTITY = "identity"
ALIASES = {"x-gzip": "gzip"}  # RFC 9110 §8.4.1.3
WEIGHT = re.compile(r"q=(\d+(?:\.\d*)?|\.\d+)")  # a number from 0 to 1, checked after parsing

compress = Compress()


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "zstd", "gzip"])
    app.config.setdefault("COMPRESS_MIMETYPES", ["application/json"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_ZSTD_LEVEL", 3)
    app.config.setdefault("COMPRESS_LEVEL", 6)  # gzip
    # Flask-Compress suffixes a strong ETag with the coding ("<sha1>:br": one per
    # representation), then would answer If-None-Match itself: conditional.py does, once, for
    # every answer{% if cookiecutter.use_caching %}, after caching.py has stored the 200{% endif %}.
    app.config.setdefault("COMPRESS_EVALUATE_CONDITIONAL_REQUEST", False)
    compress.init_app(app)
    # Flask-Compress (since 1.17; pyproject.toml allows the releases checked) asks its function
    # `_choose_algorithm(algorithms, accept_encoding)` for the coding, with no method to
    # override: it is replaced by the RFC's choice. Checked, so a rename fails here, loudly.
    if not callable(getattr(flask_compress, "_choose_algorithm", None)):
        raise RuntimeError("flask_compress._choose_algorithm is gone: see compression.py")
    # An lru_cache there, a function here: Flask-Compress only calls it.
    flask_compress._choose_algorithm = _coding_to_compress_with  # type: ignore[assignment]
    app.before_request(_refuse_unacceptable_encodings)
    # Registered after Flask-Compress's handler, so that it runs before it: Flask runs the
    # after_request handlers last registered first.
    app.after_request(_answer_if_unchanged_before_compressing)


@lru_cache(maxsize=128)
def choose_coding(codings: tuple[str, ...], accept_encoding: str) -> str | None:
    """The coding to send among `codings` (the server's order of preference) and "identity",
    by the Accept-Encoding header; None when the header accepts none of them."""
    weights = _weights(accept_encoding)
    anything = weights.get("*")
    ranked = []
    for preference, coding in enumerate((*codings, IDENTITY)):
        q = weights.get(coding, anything)
        if q is None and coding == IDENTITY:
            ranked.append((0.0, -preference, coding))  # acceptable by default, the last resort
        elif q:  # listed, or covered by `*`, with q > 0
            ranked.append((q, -preference, coding))
    return max(ranked)[2] if ranked else None


def _weights(accept_encoding: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for element in "".join(accept_encoding.split()).lower().split(","):
        coding, *parameters = element.split(";")
        q = 1.0
        if parameters:
            weight = WEIGHT.fullmatch(parameters[0]) if len(parameters) == 1 else None
            if weight is None or (q := float(weight[1])) > 1:
                continue  # malformed: ignored
        if coding:
            coding = ALIASES.get(coding, coding)
            weights[coding] = min(q, weights.get(coding, q))
    return weights


def _coding_to_compress_with(algorithms: tuple[str, ...], accept_encoding: str) -> str | None:
    """Flask-Compress's question: which of `algorithms`, or None for no compression."""
    coding = choose_coding(algorithms, accept_encoding)
    return None if coding == IDENTITY else coding


def _refuse_unacceptable_encodings() -> None:
    accept_encoding = request.headers.get("Accept-Encoding", "")
    if choose_coding(compress.enabled_algorithms, accept_encoding) is None:
        offered = ", ".join((*compress.enabled_algorithms, IDENTITY))
        raise NotAcceptable(f"Accept-Encoding excludes every coding this service sends: {offered}.")


def _answer_if_unchanged_before_compressing(response: Response) -> Response:
    """A 304 for an If-None-Match that holds the ETag of the compressed answer, `"<sha1>:br"`
    (Flask-Compress suffixes the JSON's ETag with the coding it applies), before the body is
    compressed only to be dropped. Only an answer that Flask-Compress would compress (its
    type, at least COMPRESS_MIN_SIZE bytes) and its Accept-Encoding still chooses the same coding
    for: the 200 would carry that ETag, so the 304 carries it too (`If-None-Match: *` included).
    Anything else is left to conditional.py, after compression."""
    config = current_app.config
    if (
        response.status_code != 200
        or request.method not in ("GET", "HEAD")
        or not request.if_none_match
        or "Content-Encoding" in response.headers
        or response.mimetype not in config["COMPRESS_MIMETYPES"]
        or (response.content_length or 0) < config["COMPRESS_MIN_SIZE"]
{%- if cookiecutter.use_caching %}
        or g.get("cache") == "miss"  # the 200 is stored compressed first (caching.py)
{%- endif %}
    ):
        return response
    etag, weak = response.get_etag()
    accept_encoding = request.headers.get("Accept-Encoding", "")
    coding = _coding_to_compress_with(compress.enabled_algorithms, accept_encoding)
    if etag is None or weak or coding is None:
        return response
    compressed = f"{etag}:{coding}"
    if request.if_none_match.contains_weak(compressed):
        response.set_etag(compressed)
        response.status_code = 304  # Flask-Compress adds Vary, and compresses no 304
    return response
