"""The response cache's backend (caching.py): a SimpleCache in each process's memory, with a
generation that every worker shares.

The cache is a SimpleCache in each process's memory, but the generation is shared by every
worker of a gunicorn master (a 16-byte file they all map, CACHE_GENERATION_FILE, which
gunicorn.conf.py makes): a write through one worker invalidates the caches of all. A `flask`
command reaches them when it is given the same CACHE_GENERATION_FILE.

What caching.py uses: `cache`, `configure(app)`, `current_generation()`, `read(key)`,
`write(key, value)`, `bump()` and the `invalidate-cache` command; commands.py uses
`invalidate_after_command()`.
"""

import mmap
import os
import secrets
from typing import Any

import click
from flask import Flask
from flask import current_app
from flask.cli import with_appcontext
from flask_caching import Cache

cache = Cache()


def configure(app: Flask) -> None:
    """A SimpleCache, before cache.init_app reads the settings, and the shared generation."""
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
    app.extensions["users_cache_generation"] = Generation(app.config["CACHE_GENERATION_FILE"])


def current_generation() -> str:
    generation: Generation = current_app.extensions["users_cache_generation"]
    return generation.value


def read(key: str) -> Any:
    """The entry stored under `key`; None on a miss."""
    return cache.get(key)


def write(key: str, value: Any) -> None:
    cache.set(key, value)


def bump() -> bool:
    """A new generation, which every key holds, in this process and in every process that maps
    the same CACHE_GENERATION_FILE: the gunicorn workers, when they were started with it.
    Without that file, the generation is this process's own (and that of the processes it
    forks). Always True: memory cannot fail to answer."""
    current_app.extensions["users_cache_generation"].bump()
    return True


@click.command("invalidate-cache")
@with_appcontext
def invalidate_cache() -> None:
    """Make every cached answer stale: run it after writing to the database outside the API."""
    if current_app.config["CACHE_GENERATION_FILE"] is None:
        raise click.ClickException(
            "CACHE_GENERATION_FILE is not set: this command cannot reach the server's cache. "
            "Start gunicorn and this command with the same CACHE_GENERATION_FILE."
        )
    bump()
    click.echo("Cache invalidated.")


def invalidate_after_command(_what: str) -> None:
    """A command wrote to the database: invalidate the cache (see bump for who sees it)."""
    bump()


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
