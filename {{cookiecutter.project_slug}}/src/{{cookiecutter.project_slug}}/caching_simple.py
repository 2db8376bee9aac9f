"""The response cache's backend (caching.py): a SimpleCache in each process's memory, with
generations that every worker shares.

The cache is a SimpleCache in each process's memory, but the generations are shared by every
worker of a gunicorn master (a 4 KiB file they all map, CACHE_GENERATION_FILE, which
gunicorn.conf.py makes): a write through one worker invalidates the caches of all. A `flask`
command reaches them when it is given the same CACHE_GENERATION_FILE.

What caching.py uses: `cache`, `configure(app)`, `current_generation(names)`, `read(key)`,
`write(key, value)`, `bump(name)` and the `invalidate-cache` command; commands.py uses
`invalidate_after_command()`.
"""

import mmap
import os
import secrets
import zlib
from typing import Any

import click
from flask import Flask
from flask import current_app
from flask.cli import with_appcontext
from flask_caching import Cache

cache = Cache()


def configure(app: Flask) -> None:
    """A SimpleCache, before cache.init_app reads the settings, and the shared generations."""
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
    app.extensions["cache_generations"] = Generations(app.config["CACHE_GENERATION_FILE"])


def current_generation(names: tuple[str, ...]) -> str:
    """The generation of every answer (bumped by `invalidate()`) and those of `names`."""
    generations: Generations = current_app.extensions["cache_generations"]
    return generations.value(names)


def read(key: str) -> Any:
    """The entry stored under `key`; None on a miss."""
    return cache.get(key)


def write(key: str, value: Any) -> None:
    cache.set(key, value)


def bump(name: str | None = None) -> bool:
    """A new generation of blueprint `name` (of every answer without one), in this process and
    in every process that maps the same CACHE_GENERATION_FILE: the gunicorn workers, when they
    were started with it. Without that file, the generations are this process's own (and those
    of the processes it forks). Always True: memory cannot fail to answer."""
    current_app.extensions["cache_generations"].bump(name)
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


class Generations:
    """The cache generations, in memory shared by every worker, so that a write through one of
    them invalidates the caches of all: the file `path` mapped by each (gunicorn.conf.py makes
    one for its workers; given one, the first process to map it makes it, or grows it), else an
    anonymous mapping, which the processes forked after it share (the workers of a preloaded
    app). Slot 0 is every answer's; a blueprint's name picks one of the others by its CRC-32
    (two names that share a slot only invalidate each other's answers more often). It lives
    beside the SimpleCache, not in it: the cache evicts the entries that expire first once it
    is full, and one kept forever goes first."""

    SLOT = 16
    SIZE = 256 * SLOT  # a page

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

    def value(self, names: tuple[str, ...]) -> str:
        memory = self._memory
        return ".".join(memory[start : start + self.SLOT].hex() for start in self._slots(names))

    def bump(self, name: str | None = None) -> None:
        """A new generation. A reader racing this write may see a mix of old and new bytes:
        a generation no one uses, so a miss, never a stale hit."""
        start = self._slots((name,))[-1] if name is not None else 0
        self._memory[start : start + self.SLOT] = secrets.token_bytes(self.SLOT)

    def _slots(self, names: tuple[str, ...]) -> list[int]:
        count = self.SIZE // self.SLOT - 1
        return [0, *(self.SLOT * (1 + zlib.crc32(name.encode()) % count) for name in names)]
