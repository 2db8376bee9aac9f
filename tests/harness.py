"""The harness of the template's own tests and benchmarks: bake a project, give it an environment
and a database, serve it with gunicorn, log to a pipe, and start the servers it talks to.

- `TOGGLES` (from `tests/options.py`), `ALL_ON`, `ALL_OFF`: the seven techniques.
- `bake()`: the template with some answers, tried again when it fails (the template may be
  mid-edit), without `uv lock` unless the answers ask for it (`NO_LOCK`);
  `cookiecutter_config()`: a configuration that writes nothing outside a folder and locks
  nothing.
- `project_env()`, `init_db_and_seed()`: the environment a generated project runs in, and its
  database migrated and seeded through its own CLI.
- `Gunicorn`, `gunicorn()`: a project under a real gunicorn with its own gunicorn.conf.py.
- `LogPipe`: a named pipe for LOG_FILE, drained at full speed, slowly, or not at all.
- `ThrowawayPostgres`, `ThrowawayRedis`: servers of our own, which may be stopped and started
  again on the same port; `throwaway()` runs one, `server_url()` gives the URL of the server
  named in the environment or of a throwaway one; `required()` fails a test that lacks one.

The tests import it as `tests.harness`, and so do the benchmarks, run as modules from the
template's folder (`python -m bench.run`)."""

import fcntl
import glob
import http.client
import json
import os
import pwd
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import TypeVar

from cookiecutter.main import cookiecutter

from tests.options import TEMPLATE, TOGGLES

ALL_ON = dict.fromkeys(TOGGLES, True)
ALL_OFF = dict.fromkeys(TOGGLES, False)
PACKAGE = "users_api"  # the package of a project baked with the default name
# Shared by every worker and every run, and by the cursors they sign.
SECRET_KEY = "template-harness-secret-key-of-at-least-32-characters"
# gunicorn as the tests and benchmarks run it: 2 sync workers, none replaced along the way (a
# replaced worker would hide a lack of recovery, or restart in the middle of a measurement).
SYNC_WORKERS = {
    "WEB_CONCURRENCY": "2",
    "GUNICORN_WORKER_CLASS": "sync",
    "GUNICORN_THREADS": "1",
    "GUNICORN_MAX_REQUESTS": "0",
}
# The post-gen hook runs `uv lock` unless the private answer `_uv_lock` is false: the tests bake
# hundreds of projects, and lock only in tests/test_lock.py.
NO_LOCK = {"_uv_lock": False}
F_SETPIPE_SZ = 1031  # Linux fcntl: a pipe's buffer size

Server = TypeVar("Server", "ThrowawayPostgres", "ThrowawayRedis")


# ---------------------------------------------------------------------------------------------
# Projects


def bake(
    answers: dict[str, object], output: Path, config_file: str | None = None, tries: int = 3
) -> Path:
    """The project of `answers` (defaults for the rest, and no uv.lock unless `answers` give
    `_uv_lock`), baked into a new folder below `output`; tried again when it fails, since the
    template may be mid-edit."""
    for attempt in range(1, tries + 1):
        try:
            return Path(
                cookiecutter(
                    str(TEMPLATE),
                    no_input=True,
                    extra_context={**NO_LOCK, **answers},
                    output_dir=str(output / f"try{attempt}"),
                    config_file=config_file,
                )
            )
        except Exception as error:  # cookiecutter raises several kinds
            if attempt == tries:
                raise
            print(f"bake failed ({error}); again in 2 s", file=sys.stderr, flush=True)
            time.sleep(2)
    raise ValueError(f"tries must be at least 1, not {tries}")


def cookiecutter_config(folder: Path) -> Path:
    """A cookiecutter configuration that keeps its clones and replays in `folder`, and whose
    default answers turn the hook's `uv lock` off (NO_LOCK)."""
    config = folder / "cookiecutter.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(folder / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(folder / 'replay'))}\n"
        f"default_context: {json.dumps(NO_LOCK)}\n"
    )
    return config


def project_env(project: Path | None = None, **settings: str) -> dict[str, str]:
    """The environment a generated project runs in: this process's, less the servers it would
    name (DATABASE_URL and REDIS_URL are the caller's to give), writing no bytecode. With
    `project`, for running its app (CLI, gunicorn): its src/ importable, SECRET_KEY and INFO
    logs. Then `settings`."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if project is not None:
        env |= {"PYTHONPATH": str(project / "src"), "SECRET_KEY": SECRET_KEY, "LOG_LEVEL": "INFO"}
    return env | settings


def mypy(project: Path, cache: Path, stamp: int | None = None) -> str:
    """What mypy reports on the project, run as the project runs it (`make typecheck`: the
    settings of its pyproject.toml); empty when it passes. Projects can share `cache` (the
    libraries analysed once) when each gives its files a `stamp` of its own: mypy takes a
    cached module as up to date when its file has the same size and mtime (whole seconds), and
    the projects share their module names and are baked within a second or two."""
    if stamp is not None:
        for path in project.rglob("*.py"):
            os.utime(path, (stamp, stamp))
    command = [sys.executable, "-m", "mypy", "--cache-dir", str(cache)]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=600)
    return "" if result.returncode == 0 else f"exit {result.returncode}\n{result.stdout}"


SEED = """
import sys
from {package} import create_app

cli = create_app().test_cli_runner()
for args in (["init-db"], ["seed", "--users", sys.argv[1], "--addresses-per-user", sys.argv[2]]):
    result = cli.invoke(args=args)
    if result.exit_code:
        sys.exit(f"{{' '.join(args)}} failed: {{result.output}}{{result.exception!r}}")
"""


def init_db_and_seed(
    project: Path, env: dict[str, str], users: int = 20, addresses: int = 2, timeout: float = 120
) -> None:
    """`flask --app <package> init-db`, then `seed` (in one process: a Python start less)."""
    command = [sys.executable, "-c", SEED.format(package=project.name), str(users), str(addresses)]
    done = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        raise RuntimeError(f"init-db and seed failed in {project}:\n{done.stderr}")


# ---------------------------------------------------------------------------------------------
# gunicorn


class ServiceFailed(RuntimeError):
    """A server of ours exited, or never became ready."""


class Gunicorn:
    """gunicorn with the project's gunicorn.conf.py, 2 sync workers unless `settings` say
    otherwise, on a socket bound here on 127.0.0.1 (gunicorn inherits it: no other process can
    take the port in between). `app` and `cwd` serve another app with the same file."""

    def __init__(
        self,
        project: Path,
        env: dict[str, str],
        log: Path,
        *,
        app: str | None = None,
        cwd: Path | None = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.log_path = log
        env = env | SYNC_WORKERS | (settings or {})
        self.worker_count = int(env["WEB_CONCURRENCY"])
        command = [sys.executable, "-m", "gunicorn", "-c", str(project / "gunicorn.conf.py")]
        command += ["--bind", f"fd://{self.socket.fileno()}", *([app] if app else [])]
        with open(log, "wb") as output:
            self.process = subprocess.Popen(
                command,
                cwd=cwd or project,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                pass_fds=(self.socket.fileno(),),
                start_new_session=True,
            )

    def workers(self) -> set[int]:
        return set(children(self.process.pid))

    def wait_ready(self, path: str = "/readyz", timeout: float = 60) -> set[int]:
        """Wait until every worker runs and `path` answers 200; return the workers' pids."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceFailed(
                    f"gunicorn exited with {self.process.returncode}:\n{self.log()}"
                )
            workers = self.workers()
            if len(workers) == self.worker_count and status(self.port, path) == 200:
                return workers
            time.sleep(0.1)
        raise ServiceFailed(f"gunicorn was not ready within {timeout} s:\n{self.log()}")

    def wait_idle(self, timeout: float = 120) -> None:
        """Wait until the workers have finished the requests a load left behind: a sync worker
        completes every request it accepted, even one whose client has gone."""
        deadline = time.monotonic() + timeout
        before = cpu_ticks(self.process.pid)
        while time.monotonic() < deadline:
            time.sleep(0.25)
            now = cpu_ticks(self.process.pid)
            if now - before <= 1:
                return
            before = now
        print(f"warning: {self.log_path} still busy after {timeout}s", flush=True)

    def log(self, tail: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def stop(self) -> None:
        """SIGTERM to its process group (workers too, even if the master is gone), then KILL."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.socket.close()


@contextmanager
def gunicorn(project: Path, env: dict[str, str], log: Path, **options) -> Iterator[Gunicorn]:
    """A running Gunicorn (see there for `options`), stopped on the way out."""
    server = Gunicorn(project, env, log, **options)
    try:
        yield server
    finally:
        server.stop()


def status(port: int, path: str) -> int | None:
    """The status of GET `path` on 127.0.0.1:`port`, or None without an answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def children(pid: int) -> list[int]:
    with suppress(OSError), open(f"/proc/{pid}/task/{pid}/children") as found:
        return [int(child) for child in found.read().split()]
    return []


def cpu_ticks(pid: int) -> int:
    """CPU time used so far by a process and its children (gunicorn's workers), in ticks."""
    total = 0
    for process in [pid, *children(pid)]:
        with suppress(OSError), open(f"/proc/{process}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


# ---------------------------------------------------------------------------------------------
# A log sink


class LogPipe:
    """A named pipe for LOG_FILE, drained by a thread of ours: at full speed, or at `rate`
    bytes per second (a log collector that falls behind, through a 4 KiB pipe: little slack).
    `stall()` stops the draining and fills the pipe, so that the next record a process writes
    there blocks it, until `flow()`."""

    def __init__(self, path: Path, rate: float | None = None) -> None:
        os.mkfifo(path)
        self.path, self.rate = path, rate
        self.reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.writer = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # ours: reads never see EOF
        if rate:
            with suppress(OSError):
                fcntl.fcntl(self.reader, F_SETPIPE_SZ, 4096)
        self.bytes_read, self.last_read = 0, time.monotonic()
        self.flowing, self.full_speed = threading.Event(), threading.Event()
        self.flowing.set()
        if not rate:
            self.full_speed.set()
        self.reading = threading.Lock()
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while not self.closing.is_set():
            if not self.flowing.wait(0.05):
                continue
            chunk = b""
            with self.reading:
                if self.flowing.is_set() and select.select([self.reader], [], [], 0.05)[0]:
                    with suppress(BlockingIOError):
                        chunk = os.read(self.reader, 1024 if self.rate else 65536)
            if chunk:
                self.last_read = time.monotonic()
                self.bytes_read += len(chunk)
                if not self.full_speed.is_set():
                    time.sleep(len(chunk) / self.rate)

    def empty(self, quiet: float = 0.5, timeout: float = 120) -> int:
        """Drain at full speed until nothing has arrived for `quiet` seconds; return the bytes
        that were still waiting (in the pipe, or queued in an async logging process)."""
        start = self.bytes_read
        self.full_speed.set()
        deadline = time.monotonic() + timeout
        while time.monotonic() - self.last_read < quiet and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.rate:
            self.full_speed.clear()
        return self.bytes_read - start

    def stall(self) -> None:
        self.flowing.clear()
        with self.reading:  # no read in progress from here on
            for size in (4096, 1):  # fill the pipe to the last byte
                with suppress(BlockingIOError):
                    while True:
                        os.write(self.writer, b"x" * size)

    def flow(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self.full_speed.set()
        self.flow()
        self.closing.set()
        self.thread.join(timeout=5)
        os.close(self.writer)
        os.close(self.reader)


# ---------------------------------------------------------------------------------------------
# PostgreSQL and Redis


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
        initdb = [f"{self.bindir}/initdb", "-D", self.datadir, "-U", "postgres", "--auth=trust"]
        subprocess.run([*self.as_user, *initdb, "-E", "UTF8"], check=True, capture_output=True)

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

    def running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def remove(self) -> None:
        self._pg_ctl("-m", "immediate", "stop", check=False)
        shutil.rmtree(self.datadir, ignore_errors=True)


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
        options = {"port": self.port, "bind": "127.0.0.1", "save": "", "appendonly": "no"}
        options |= {"dir": self.workdir, "maxclients": 2000}
        arguments = [word for name, value in options.items() for word in (f"--{name}", str(value))]
        self.process = subprocess.Popen([self.server, *arguments], stdout=subprocess.DEVNULL)
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
def throwaway(kind: type[Server]) -> Iterator[Server]:
    """A running server of `kind` (ThrowawayPostgres or ThrowawayRedis), removed on the way
    out, whatever state it was left in."""
    server = kind()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@contextmanager
def server_url(kind: type[Server], given: str | None = None) -> Iterator[str]:
    """`given` when it names a server (a URL from the environment), else the URL of a
    throwaway server of `kind`."""
    if given:
        yield given
        return
    with throwaway(kind) as server:
        yield server.url


@contextmanager
def required(service: AbstractContextManager) -> Iterator:
    """`service`, entered; fails the test (never skips it) when its server cannot be had."""
    import pytest

    try:
        with service as server:
            yield server
    except ServiceMissing as missing:
        pytest.fail(str(missing), pytrace=False)
