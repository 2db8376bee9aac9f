"""Response caching: a hit is answered without touching the database.

- A blueprint opts in with `cached(bp, *embeds)`, naming the blueprints whose resources its
  answers hold. Only its successful (200) GET answers are stored, under a key made of the full
  path and the sorted query string.
{%- if cookiecutter.use_compression %}
- The key also holds the client's Accept-Encoding: the stored bytes are the final, already
  compressed body, so a hit costs no compression either.
{%- endif %}
- An entry keeps the answer's ETag and Cache-Control: an If-None-Match that matches it is a
  304 that touches neither the database nor the view (conditional.py).
- Every successful write (POST, PATCH, PUT, DELETE) through a blueprint starts a new generation
  of that blueprint's name. A key holds the generations of its blueprint and of those it
  embeds, so the next read after a write sees it immediately, in every resource that shows
  what was written. Writes made outside the API (`flask seed`, a script, a migration) call
  `invalidate()`, or run `flask invalidate-cache`.
- Where the entries and the generation live is the backend's part, in
  caching_{{ cookiecutter.cache_backend }}.py. This module uses only its `cache` (the
  Flask-Caching object), `configure(app)`, `current_generation(names)`, `read(key)`,
  `write(key, value)` and `bump(name)`.
"""

from urllib.parse import unquote_to_bytes

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import current_app
from flask import g
from flask import request
from flask.blueprints import BlueprintSetupState

from .caching_{{ cookiecutter.cache_backend }} import bump
from .caching_{{ cookiecutter.cache_backend }} import cache as cache  # re-exported: the app's Cache
from .caching_{{ cookiecutter.cache_backend }} import configure
from .caching_{{ cookiecutter.cache_backend }} import current_generation
from .caching_{{ cookiecutter.cache_backend }} import invalidate_cache
from .caching_{{ cookiecutter.cache_backend }} import read
from .caching_{{ cookiecutter.cache_backend }} import write

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# The headers a hit gives back: the ETag too, so a 304 on a hit hashes nothing (conditional.py).
STORED = frozenset({"Content-Type", "Content-Encoding", "Vary", "ETag", "Cache-Control"})


def init_app(app: Flask) -> None:
    app.extensions["cached_blueprints"] = {}
    configure(app)
    cache.init_app(app)
    app.before_request(_serve_from_cache)
    # An after_request handler, so that it runs before conditional.py turns a 200 into a 304.
    app.after_request(_store_or_invalidate)
    app.cli.add_command(invalidate_cache)


def cached(blueprint: Blueprint, *embeds: str) -> Blueprint:
    """Serve the successful GETs of `blueprint` from the cache. Its own writes make them stale,
    and so do the writes through each blueprint named in `embeds`: the resources its answers
    hold. Call it once, where the blueprint is made, before the app registers it."""

    def declare(state: BlueprintSetupState) -> None:
        state.app.extensions["cached_blueprints"][blueprint.name] = (blueprint.name, *embeds)

    blueprint.record_once(declare)
    return blueprint


def invalidate(*names: str) -> bool:
    """Make cached answers stale: call it, inside an app context, after writing to the database
    other than through the API (`flask invalidate-cache` does). With blueprint names, only the
    answers that show their resources; without, every answer. It starts a new generation, which
    the keys hold, and returns whether it could: bump() in
    caching_{{ cookiecutter.cache_backend }}.py says which processes see it, and when it cannot."""
    if not names:
        return bump()
    return all([bump(name) for name in names])


def _serve_from_cache() -> Response | None:
    names = current_app.extensions["cached_blueprints"].get(request.blueprint)
    if names is None or request.method not in ("GET", "HEAD"):
        return None
    generation = current_generation(names)
    if generation is None:  # the store does not answer: served from the database
        return None
    key = _key(generation)
    entry = read(key)
    if entry is None:
        g.cache, g.cache_key = "miss", key  # stored once the response is complete
        return None
    g.cache = "hit"  # for server_timing.py
    body, headers = entry
    return Response(body, status=200, headers=headers)


def _store_or_invalidate(response: Response) -> Response:
    if request.blueprint is None:
        return response
    if request.method in WRITE_METHODS and response.status_code < 400:
        bump(request.blueprint)
    elif "cache_key" in g and request.method == "GET" and response.status_code == 200:
        # Never the Access-Control-* headers: they depend on the Origin, which the key leaves
        # out, and cors.py adds them to every answer, a hit included.
        headers = {name: value for name, value in response.headers.items() if name in STORED}
        write(g.cache_key, (response.get_data(), headers))
    return response


def _key(generation: str) -> str:
    # The raw query string, its parameters sorted by their decoded name only: the stable sort
    # keeps the values of a repeated name (however spelled) in their order, which matters
    # (`?a=1&a=2` is not `?a=2&a=1`: the first value is the one read). Values stay raw:
    # spellings that decode alike are merely different entries.
    parameters = request.query_string.split(b"&")
    parameters.sort(key=_name)
    query = b"&".join(parameters).decode("latin-1")
{%- if cookiecutter.use_compression %}
    encoding = request.environ.get("HTTP_ACCEPT_ENCODING", "").replace(" ", "").lower()
    return f"{request.blueprint}:{generation}:{request.path}?{query}#{encoding}"
{%- else %}
    return f"{request.blueprint}:{generation}:{request.path}?{query}"
{%- endif %}


def _name(parameter: bytes) -> bytes:
    return unquote_to_bytes(parameter.partition(b"=")[0].replace(b"+", b" "))
