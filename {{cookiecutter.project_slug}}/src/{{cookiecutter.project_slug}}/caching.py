"""Response caching for the users API: a hit is answered without touching the database.

- Only successful (200) GET answers of the users blueprint are stored, under a key made of the
  full path and the sorted query string{% if cookiecutter.use_compression %}, and the client's Accept-Encoding: the stored bytes
  are the final, already compressed body, so a hit costs no compression either{% endif %}.
- Every successful write (POST, PATCH, DELETE) starts a new cache generation, which is part of
  every key: the next read after a write sees it immediately. Writes made outside the API
  (`flask seed`, a script, a migration) call `invalidate()`, or run `flask invalidate-cache`.
{%- if cookiecutter.cache_backend == "redis" %}
- The cache lives in Redis (REDIS_URL), shared by every worker. When Redis does not answer,
  requests are served from the database and a warning is logged; the cache is skipped for
  CACHE_RETRY_AFTER seconds, then tried again with a fresh generation (writes made meanwhile
  could not invalidate it). The keys also carry the run_id of the Redis process: entries that
  a restarted Redis reloads from disk are never served, not even by a worker that missed the
  outage.
{%- else %}
- The cache is a SimpleCache in each process's memory, but the generation is shared by every
  worker of a gunicorn master (a 16-byte file they all map, CACHE_GENERATION_FILE, which
  gunicorn.conf.py makes): a write through one worker invalidates the caches of all. A `flask`
  command reaches them when it is given the same CACHE_GENERATION_FILE.
{%- endif %}
"""

{% if cookiecutter.cache_backend == "redis" -%}
import logging
import time
import uuid
{% else -%}
import mmap
import os
import secrets
{% endif -%}
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, Response, current_app, g, request, request_finished
from flask_caching import Cache
{%- if cookiecutter.cache_backend == "redis" %}
from redis.connection import AbstractConnection
from redis.exceptions import RedisError, ResponseError
{%- endif %}

cache = Cache()
{%- if cookiecutter.cache_backend == "redis" %}
GENERATION_KEY = "users:generation"
{%- endif %}
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
{%- if cookiecutter.cache_backend == "redis" %}

logger = logging.getLogger(__name__)
{%- endif %}


def init_app(app: Flask) -> None:
{%- if cookiecutter.cache_backend == "redis" %}
    app.config.setdefault("CACHE_TYPE", "RedisCache")
    app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
    app.config.setdefault("CACHE_OPTIONS", {"socket_connect_timeout": 0.5, "socket_timeout": 0.5})
    app.config["CACHE_OPTIONS"] = {**app.config["CACHE_OPTIONS"], "redis_connect_func": _on_connect}
{%- else %}
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
{%- endif %}
    cache.init_app(app)
{%- if cookiecutter.cache_backend == "simple" %}
    app.extensions["users_cache_generation"] = Generation(app.config["CACHE_GENERATION_FILE"])
{%- endif %}
{%- if cookiecutter.cache_backend == "redis" %}
    app.extensions["redis_health"] = RedisHealth(app.config["CACHE_RETRY_AFTER"])
{%- endif %}
    app.before_request(_serve_from_cache)
    request_finished.connect(_store_or_invalidate, app)
{%- if cookiecutter.cache_backend == "redis" %}


def invalidate() -> bool:
    """Make every cached answer stale, for every worker: call it, inside an app context, after
    writing to the database other than through the API (`flask invalidate-cache` does). It
    starts a new generation in Redis, which every key holds.

    Returns False when Redis does not answer (or failed less than CACHE_RETRY_AFTER seconds
    ago): nothing was invalidated then. Workers that find Redis down too serve from the
    database, and start a fresh generation once it answers again; a worker that still reaches
    it serves its entries until they expire (CACHE_DEFAULT_TIMEOUT), unless this is called
    again once Redis answers."""
    return _write(GENERATION_KEY, uuid.uuid4().hex, timeout=0)  # kept forever
{%- else %}


def invalidate() -> None:
    """Make every cached answer stale: call it, inside an app context, after writing to the
    database other than through the API (`flask invalidate-cache` does). It starts a new
    generation, which every key holds, in this process and in every process that maps the
    same CACHE_GENERATION_FILE: the gunicorn workers, when they were started with it. Without
    that file, the generation is this process's own (and that of the processes it forks)."""
    current_app.extensions["users_cache_generation"].bump()
{%- endif %}


def _serve_from_cache() -> Response | None:
    if request.blueprint != "users" or request.method not in ("GET", "HEAD"):
        return None
{%- if cookiecutter.cache_backend == "redis" %}
    health = current_app.extensions["redis_health"]
    if not health.available():
        return None
    try:
        key = _key(_generation())
        entry = cache.get(key)
    except REDIS_ERRORS:
        health.failed()
        return None
{%- else %}
    key = _key(current_app.extensions["users_cache_generation"].value)
    entry = cache.get(key)
{%- endif %}
    if entry is None:
        g.cache_key = key  # stored once the response is complete
        return None
    body, headers = entry
    return Response(body, status=200, headers=headers)


def _store_or_invalidate(_app: Flask, response: Response, **_extra: Any) -> None:
    if request.blueprint != "users":
        return
    if request.method in WRITE_METHODS and response.status_code < 400:
        invalidate()
    elif "cache_key" in g and request.method == "GET" and response.status_code == 200:
        headers = {
            name: value
            for name, value in response.headers.items()
            if name in ("Content-Type", "Content-Encoding", "Vary")
        }
        _write(g.cache_key, (response.get_data(), headers))


def _key(generation: str | None) -> str:
    # The raw query string, its parameters sorted by their decoded name only: the stable sort
    # keeps the values of a repeated name (however spelled) in their order, which matters
    # (`?a=1&a=2` is not `?a=2&a=1`: the first value is the one read). Values stay raw:
    # spellings that decode alike are merely different entries.
    parameters = request.query_string.split(b"&")
    parameters.sort(key=_name)
    query = b"&".join(parameters).decode("latin-1")
{%- if cookiecutter.use_compression %}
    encoding = request.environ.get("HTTP_ACCEPT_ENCODING", "").replace(" ", "").lower()
    return f"users:{generation or 0}:{request.path}?{query}#{encoding}"
{%- else %}
    return f"users:{generation or 0}:{request.path}?{query}"
{%- endif %}


def _name(parameter: bytes) -> bytes:
    return unquote_to_bytes(parameter.partition(b"=")[0].replace(b"+", b" "))
{%- if cookiecutter.cache_backend == "redis" %}


def _write(key: str, value: Any, timeout: int | None = None) -> bool:
    """Whether Redis took the value."""
    health = current_app.extensions["redis_health"]
    if not health.available():
        return False
    try:
        cache.set(key, value, timeout=timeout)
    except REDIS_ERRORS:
        health.failed()
        return False
    return True


def _generation() -> str:
    """The current generation; a new one when the key is gone (evicted, or Redis flushed):
    falling back to a fixed value would revive entries stored before the first write. It is
    read first, so that a reconnection it causes has updated the run_id that comes with it."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=0)  # SET NX: one winner
        generation = cache.get(GENERATION_KEY)
    return f"{RedisProcess.run_id}.{generation}"


class RedisProcess:
    """The Redis process the connections reach, known by the run_id it draws at every start."""

    run_id = ""


def _on_connect(connection: AbstractConnection) -> None:
    """Every new connection (a worker's first, or one after Redis restarted) asks which Redis
    process it reached. A restart may reload entries and a generation saved before writes that
    could not reach it; a new run_id in every key means they are never served."""
    connection.on_connect()
    connection.send_command("INFO", "server")
    try:
        info = connection.read_response()
    except ResponseError:  # an ACL user without INFO: the keys go without a run_id
        return
    for line in (info.decode() if isinstance(info, bytes) else info).splitlines():
        if line.startswith("run_id:"):
            RedisProcess.run_id = line.removeprefix("run_id:")


REDIS_ERRORS = (RedisError, OSError)


class RedisHealth:
    """Skips Redis for `retry_after` seconds after it failed. When it answers again, a fresh
    generation starts, since writes made while it was down could not invalidate anything."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        self.down_until = 0.0

    def available(self) -> bool:
        if not self.down_until:
            return True
        if time.monotonic() < self.down_until:
            return False
        self.down_until = 0.0
        try:
            cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=0)
        except REDIS_ERRORS:
            self.failed()
            return False
        return True

    def failed(self) -> None:
        logger.warning("Redis does not answer: serving from the database for %ss", self.retry_after)
        self.down_until = time.monotonic() + self.retry_after


def ping() -> bool:
    """Whether Redis answers, for /readyz."""
    try:
        return bool(cache.cache._write_client.ping())
    except REDIS_ERRORS:
        return False
{%- else %}


class Generation:
    """The cache generation, in memory shared by every worker, so that a write through one of
    them invalidates the caches of all: the file `path` mapped by each (gunicorn.conf.py makes
    one for its workers; given one, the first process to map it makes it), else an anonymous
    mapping, which the processes forked after it share (the workers of a preloaded app). It
    lives beside the SimpleCache, not in it: the cache evicts the entries that expire first
    once it is full, and one kept forever goes first."""

    SIZE = 16

    def __init__(self, path: str | None = None) -> None:
        if path is None:
            self._memory = mmap.mmap(-1, self.SIZE)
            return
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # never emptied
        try:
            if os.fstat(descriptor).st_size < self.SIZE:
                os.ftruncate(descriptor, self.SIZE)  # zeros (a no-op once another process did it)
            self._memory = mmap.mmap(descriptor, self.SIZE)
        finally:
            os.close(descriptor)

    @property
    def value(self) -> str:
        return self._memory[:].hex()

    def bump(self) -> None:
        """A new generation. A reader racing this write may see a mix of old and new bytes:
        a generation no one uses, so a miss, never a stale hit."""
        self._memory[:] = secrets.token_bytes(self.SIZE)


def _write(key: str, value: Any) -> None:
    cache.set(key, value)
{%- endif %}
