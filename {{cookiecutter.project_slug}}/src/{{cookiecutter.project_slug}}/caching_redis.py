"""The response cache's backend (caching.py): Redis, shared by every worker, whose outage never
fails a request.

The cache lives in Redis (REDIS_URL), shared by every worker. When Redis does not answer,
requests are served from the database and a warning is logged; the cache is skipped for
CACHE_RETRY_AFTER seconds, then tried again with a fresh generation (writes made meanwhile
could not invalidate it). The keys also carry the run_id of the Redis process: entries that
a restarted Redis reloads from disk are never served, not even by a worker that missed the
outage.

What caching.py uses: `cache`, `configure(app)`, `current_generation(names)`, `read(key)`,
`write(key, value)`, `bump(name)` and the `invalidate-cache` command; health.py uses `ping()`,
commands.py `invalidate_after_command()`.
"""

import logging
import time
import uuid
from typing import Any

import click
from flask import Flask
from flask import current_app
from flask.cli import with_appcontext
from flask_caching import Cache
from redis.connection import AbstractConnection
from redis.exceptions import RedisError
from redis.exceptions import ResponseError

cache = Cache()
GENERATION_KEY = "generation"  # every answer's; a blueprint's is "generation:<name>"
REDIS_ERRORS = (RedisError, OSError)

logger = logging.getLogger(__name__)


def configure(app: Flask) -> None:
    """The settings of a Redis cache, before cache.init_app reads them, and its health."""
    app.config.setdefault("CACHE_TYPE", "RedisCache")
    app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
    app.config.setdefault("CACHE_OPTIONS", {"socket_connect_timeout": 0.5, "socket_timeout": 0.5})
    app.config["CACHE_OPTIONS"] = {**app.config["CACHE_OPTIONS"], "redis_connect_func": _on_connect}
    app.extensions["redis_health"] = RedisHealth(app.config["CACHE_RETRY_AFTER"])


def current_generation(names: tuple[str, ...]) -> str | None:
    """The generation of every answer and those of the blueprints `names`, read at once; None
    when Redis does not answer (or failed less than CACHE_RETRY_AFTER seconds ago). A new one
    for each key that is gone (evicted, or Redis flushed): falling back to a fixed value would
    revive entries stored before the first write. They are read first, so that a reconnection
    it causes has updated the run_id that comes with them."""
    health = current_app.extensions["redis_health"]
    if not health.available():
        return None
    keys = [GENERATION_KEY, *(f"{GENERATION_KEY}:{name}" for name in names)]
    try:
        generations = cache.get_many(*keys)
        for index, generation in enumerate(generations):
            if generation is None:
                cache.add(keys[index], uuid.uuid4().hex, timeout=0)  # SET NX: one winner
                generations[index] = cache.get(keys[index])
    except REDIS_ERRORS:
        health.failed()
        return None
    return ".".join([RedisProcess.run_id, *generations])


def read(key: str) -> Any:
    """The entry stored under `key`; None on a miss, or when Redis fails (it is then skipped
    for CACHE_RETRY_AFTER seconds: the answer is not written either)."""
    try:
        return cache.get(key)
    except REDIS_ERRORS:
        current_app.extensions["redis_health"].failed()
        return None


def write(key: str, value: Any, timeout: int | None = None) -> bool:
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


def bump(name: str | None = None) -> bool:
    """A new generation in Redis of blueprint `name` (without one, of every answer), which the
    keys of every worker hold.

    False when Redis does not answer (or failed less than CACHE_RETRY_AFTER seconds ago):
    nothing was invalidated then. Workers that find Redis down too serve from the database,
    and start a fresh generation once it answers again; a worker that still reaches it serves
    its entries until they expire (CACHE_DEFAULT_TIMEOUT), unless this is called again once
    Redis answers."""
    key = GENERATION_KEY if name is None else f"{GENERATION_KEY}:{name}"
    return write(key, uuid.uuid4().hex, timeout=0)  # kept forever


@click.command("invalidate-cache")
@with_appcontext
def invalidate_cache() -> None:
    """Make every cached answer stale: run it after writing to the database outside the API."""
    if not bump():
        raise click.ClickException("Redis does not answer: nothing was invalidated.")
    click.echo("Cache invalidated.")


def invalidate_after_command(what: str) -> None:
    """A command wrote `what` to the database: invalidate the cache, or warn for how long
    cached answers may not show it when Redis does not answer."""
    if not bump():
        timeout = current_app.config["CACHE_DEFAULT_TIMEOUT"]
        click.echo(
            f"Warning: Redis does not answer: cached answers may not show {what} for up to "
            f"{timeout} s (CACHE_DEFAULT_TIMEOUT); run `invalidate-cache` once it answers.",
            err=True,
        )


def ping() -> bool:
    """Whether Redis answers, for /readyz: one round trip (EXISTS) of the cache's own client."""
    try:
        cache.has(GENERATION_KEY)
    except REDIS_ERRORS:
        return False
    return True


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
