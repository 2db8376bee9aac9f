"""Real servers for the template tests: the one in the environment, or a throwaway one.

`postgres()` and `redis()` yield a URL (the environment's server when it names one). The fault
tests need servers of their own that they may stop and start again on the same port:
`ThrowawayPostgres` and `ThrowawayRedis`, through `throwaway_postgres()` / `throwaway_redis()`."""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class ServiceMissing(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_bindir() -> str:
    """Debian keeps the server binaries out of PATH, in /usr/lib/postgresql/<version>/bin."""
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(bindir, "initdb")):
            return bindir
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    raise ServiceMissing(
        "PostgreSQL is needed for the postgresql projects: set DATABASE_URL to a server "
        "(postgresql+psycopg://user@host:port/db) or install it (apt-get install postgresql)"
    )


class ThrowawayPostgres:
    """A new PostgreSQL cluster in a temporary folder, on 127.0.0.1 and a free port, run as the
    postgres user when we are root (initdb and postgres refuse to run as root). `stop()` and
    `start()` keep its port and data: the same server, down for a while."""

    def __init__(self) -> None:
        self.bindir = _postgres_bindir()
        self.datadir = tempfile.mkdtemp(prefix="template-tests-pg-")
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            postgres_user = pwd.getpwnam("postgres")
            os.chown(self.datadir, postgres_user.pw_uid, postgres_user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        subprocess.run(
            [
                *self.as_user,
                f"{self.bindir}/initdb",
                "-D",
                self.datadir,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
        )

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.as_user, f"{self.bindir}/pg_ctl", "-D", self.datadir, *args],
            check=check,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        """Start it and wait until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off"
        )
        self._pg_ctl("-o", options, "-l", f"{self.datadir}/log", "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop it and wait until it is gone: "fast" ends the sessions (a clean shutdown),
        "immediate" kills them (a crash)."""
        self._pg_ctl("-m", mode, "-w", "-t", "60", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def remove(self) -> None:
        self._pg_ctl("-m", "immediate", "stop", check=False)
        shutil.rmtree(self.datadir, ignore_errors=True)


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A running ThrowawayPostgres, removed on the way out (whatever state it was left in)."""
    server = ThrowawayPostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@contextmanager
def postgres() -> Iterator[str]:
    """Yield the URL of a PostgreSQL server: DATABASE_URL when it names one, else a throwaway one."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        yield url
        return
    with throwaway_postgres() as server:
        yield server.url


def create_database(admin_url: str, name: str) -> str:
    """Create an empty database `name` on the server of `admin_url`; return its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


class ThrowawayRedis:
    """A redis-server on 127.0.0.1 and a free port, its files in a temporary folder. `stop()`
    and `start()` keep the port; `stop(save=True)` writes the data out first, so that the next
    `start()` loads it again (a restart that keeps the data, like a persistent Redis)."""

    def __init__(self) -> None:
        self.server = shutil.which("redis-server")
        if not self.server:
            raise ServiceMissing(
                "Redis is needed for the redis cache projects: set REDIS_URL to a server "
                "(redis://host:port/0) or install it (apt-get install redis-server)"
            )
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = tempfile.mkdtemp(prefix="template-tests-redis-")
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10) -> None:
        """Start it and wait until it answers PING (after loading any saved data)."""
        self.process = subprocess.Popen(
            [
                self.server,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.workdir,
                "--maxclients",
                "2000",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self._pong():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ServiceMissing(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def _pong(self) -> bool:
        with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
        return False

    def stop(self, save: bool = False) -> None:
        """Stop it and wait until it is gone; with `save`, its data is written out first."""
        if self.process is None:
            return
        if save and self.process.poll() is None:
            with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 5) as sock:
                sock.sendall(b"SHUTDOWN SAVE\r\n")
                sock.recv(64)  # the server closes the connection as it exits
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextmanager
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    """A running ThrowawayRedis, removed on the way out (whatever state it was left in)."""
    server = ThrowawayRedis()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@contextmanager
def redis() -> Iterator[str]:
    """Yield the URL of a Redis server: REDIS_URL when set, else a throwaway one on 127.0.0.1."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    with throwaway_redis() as server:
        yield server.url
