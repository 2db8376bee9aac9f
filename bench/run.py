"""Benchmark the generated service: all techniques on, all off, each one alone, a bare Flask
app as the ceiling, and a FastAPI peer, side by side in one run on one machine.

    python -m bench.run                       # about 12 minutes; writes docs/benchmarks.md
    python -m bench.run --duration 5 --repeats 3 --output /tmp/benchmarks.md

(from the template's folder: the benchmarks share the tests' harness, tests/harness.py)

What it does:
- bakes the projects with the template (the database option matches the database used);
- seeds one database with 2,000 users x 3 addresses, and a second with 100,000 users for deep
  pages: PostgreSQL when one is available (BENCH_DATABASE_URL names a server, else a throwaway
  one is started as the template tests do), else SQLite;
- serves every project with its own gunicorn.conf.py (2 sync workers, max_requests off) on
  127.0.0.1, and the ceiling with the same file; the all-on projects (cached and not) also
  under 2 gthread workers with 4 threads each (keep-alive), beside the sync ones;
- on PostgreSQL, serves the FastAPI peer (bench/peer_fastapi.py: the same page the way
  FastAPI's documentation writes it, uvicorn with 2 workers) on the same database, after
  checking that it answers the same first page as ours (bench/peer.py); on SQLite the report
  says why its row is absent;
- loads each with wrk (or locust when wrk is missing): 16 connections, `--duration` seconds,
  configurations alternating round by round, `--repeats` rounds, medians reported;
- counts SQL statements and database connections per request in-process, with the project's
  own engine, and the bytes of one response as they cross the socket.
Every load is bounded in time and targets 127.0.0.1 only.
"""

import argparse
import contextlib
import csv
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import peer
from tests.harness import (
    ALL_OFF,
    ALL_ON,
    PACKAGE,
    SECRET_KEY,
    TOGGLES,
    Gunicorn,
    LogPipe,
    ServiceMissing,
    ThrowawayPostgres,
    bake,
    create_database,
    init_db_and_seed,
    project_env,
    server_url,
)
from tests.options import TEMPLATE as ROOT

ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # what current browsers send
# gunicorn's gthread workers (keep-alive) against the sync ones: 2 workers either way, each with
# this many threads (the projects' database pool holds 5 connections by default).
GTHREAD = {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "4"}
USERS, ADDRESSES, DEEP_USERS, PER_PAGE = 2_000, 3, 100_000, 50
LIST_PAGE = f"/api/users?per_page={PER_PAGE}"
# The name of a technique in a configuration's name (only-pooling, ...): the toggle's own
# name without use_ (fast-json), but for these.
SHORT_NAMES = {"use_connection_pooling": "pooling"}


@dataclass(frozen=True)
class Config:
    name: str
    context: tuple[tuple[str, bool], ...]

    @property
    def options(self) -> dict[str, bool]:
        return dict(self.context)

    @property
    def list_path(self) -> str:
        return f"/api/users?per_page={PER_PAGE}" if self.options["use_pagination"] else "/api/users"


def configs() -> list[Config]:
    found = [
        Config("all-off", tuple(ALL_OFF.items())),
        Config("all-on", tuple(ALL_ON.items())),
        Config("all-on-uncached", tuple((ALL_ON | {"use_caching": False}).items())),
    ]
    for toggle in TOGGLES:
        short = SHORT_NAMES.get(toggle, toggle.removeprefix("use_").replace("_", "-"))
        found.append(Config(f"only-{short}", tuple((ALL_OFF | {toggle: True}).items())))
    return found


@dataclass(frozen=True)
class Scenario:
    """One load: a configuration's server (on a database, with a log sink) and one URL."""

    key: str
    config: str  # a Config name, "ceiling" or "peer" (bench/peer_fastapi.py)
    path: str
    database: str = "main"  # "main" (2,000 users) or "deep" (100,000 users)
    sink: str = "file"  # "file", "slow" (a log pipe that drains slowly) or "quiet" (no access log)
    worker: str = "sync"  # gunicorn's worker class: "sync" or "gthread"
    # Send the answer's own ETag back in If-None-Match: each request is a revalidation (304).
    revalidate: bool = False

    @property
    def server(self) -> tuple[str, str, str, str]:
        return (self.config, self.database, self.sink, self.worker)


# ---------------------------------------------------------------------------------------------
# Databases and projects


@contextlib.contextmanager
def databases(
    kind: str, workdir: Path, names: dict[str, str] | None = None
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ("postgresql" | "sqlite", {"main": url, "deep": url}): one database per entry of
    `names` (key: PostgreSQL database name), the benchmark's two by default."""
    names = names or {"main": "bench_10x", "deep": "bench_10x_deep"}
    if kind in ("auto", "postgresql"):
        # Only a server named for the benchmark: it drops and creates databases on it.
        try:
            with server_url(ThrowawayPostgres, os.environ.get("BENCH_DATABASE_URL")) as server:
                yield (
                    "postgresql",
                    {key: create_database(server, name) for key, name in names.items()},
                )
                return
        except ServiceMissing:
            if kind == "postgresql":
                raise
    yield "sqlite", {key: f"sqlite:///{workdir / f'{key}.sqlite3'}" for key in names}


def seed(project: Path, url: str, users: int) -> None:
    env = project_env(project, DATABASE_URL=url)
    init_db_and_seed(project, env, users, ADDRESSES, timeout=900)
    if url.startswith("postgresql"):
        import psycopg
        from sqlalchemy.engine import make_url

        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")


def bake_config(config: Config, database: str, workdir: Path) -> Path:
    """The project of `config` on `database`."""
    return bake({**config.options, "database": database}, workdir / "projects" / config.name)


def run_in_project(project: Path, url: str, args: list[str], timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env=project_env(project, DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode:
        raise RuntimeError(f"{' '.join(args)} failed in {project}:\n{result.stderr}")
    return result.stdout


# ---------------------------------------------------------------------------------------------
# Measurements


def http_get(
    port: int, path: str, accept_encoding: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """One request over a raw socket: the status and every byte of the response."""
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Accept-Encoding: {accept_encoding}\r\n{extra}Connection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request.encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    return int(response.split(b" ", 2)[1]), response


PROBE = """
import json, sys
from sqlalchemy import event
from {package} import create_app
from {package}.db import get_engine

path, accept_encoding, revalidate = sys.argv[1], sys.argv[2], sys.argv[3] == "revalidate"
app = create_app({{"LOG_LEVEL": "WARNING"}})
with app.app_context():
    engine = get_engine()
counts = {{"statements": 0, "connections": 0}}

@event.listens_for(engine, "before_cursor_execute")
def statement(*args):
    counts["statements"] += 1

@event.listens_for(engine, "connect")
def connect(*args):
    counts["connections"] += 1

client = app.test_client()
headers = {{"Accept-Encoding": accept_encoding}}
for _ in range(2):  # warm: pools filled, caches stored
    etag = client.get(path, headers=headers).headers.get("ETag")  # none on the probes
if revalidate:  # the client sends back the ETag it was given: each answer is a 304
    headers["If-None-Match"] = etag
counts.update(statements=0, connections=0)
repeat = 5
for _ in range(repeat):
    response = client.get(path, headers=headers)
    assert response.status_code == (304 if revalidate else 200), response.status
measured = {{name: count / repeat for name, count in counts.items()}}
body = client.get(path, headers={{"Accept-Encoding": "identity"}}).get_json()
measured["users"] = len(body["items"]) if "items" in body else 1
print(json.dumps(measured))
"""


def probe(project: Path, url: str, path: str, revalidate: bool = False) -> dict[str, float]:
    code = PROBE.format(package=PACKAGE)
    how = "revalidate" if revalidate else "get"
    return json.loads(run_in_project(project, url, ["-c", code, path, ACCEPT_ENCODING, how]))


def deep_cursor(project: Path, url: str) -> str:
    code = (
        f"from {PACKAGE} import create_app\nfrom {PACKAGE}.pagination_cursor import make_cursor\n"
        f"with create_app().app_context(): print(make_cursor({DEEP_USERS - PER_PAGE}))"
    )
    return run_in_project(project, url, ["-c", code]).strip()


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def load_wrk(
    port: int, path: str, duration: float, connections: int, headers: dict[str, str]
) -> dict[str, float]:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--latency",
        "--timeout",
        "30s",
        "-H",
        f"Accept-Encoding: {ACCEPT_ENCODING}",
        *(f"-H{name}: {value}" for name, value in headers.items()),
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 60, check=True
    ).stdout
    if failed := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise RuntimeError(f"{failed.group(1)} failed responses from {path}:\n{out}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
    }


def load_locust(
    port: int, path: str, duration: float, connections: int, headers: dict[str, str]
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "run"
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            str(connections),
            "-r",
            str(connections),
            "-t",
            f"{max(1, round(duration))}s",
            "--stop-timeout",
            "5",
            "--only-summary",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--loglevel",
            "WARNING",
        ]
        env = dict(os.environ, BENCH_PATH=path, BENCH_ACCEPT_ENCODING=ACCEPT_ENCODING)
        env["BENCH_IF_NONE_MATCH"] = headers.get("If-None-Match", "")
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=duration + 60
        )
        if not os.path.exists(f"{prefix}_stats.csv"):
            raise RuntimeError(f"locust wrote no statistics:\n{done.stderr}")
        with open(f"{prefix}_stats.csv", newline="") as stats:
            row = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    if int(row["Failure Count"]):
        raise RuntimeError(f"{row['Failure Count']} failed responses from {path}")
    return {
        "errors": 0,
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p99": float(row["99%"]),
    }


def load_generator() -> tuple[str, object]:
    if shutil.which("wrk"):
        version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
        return f"wrk {version[1] if len(version) > 1 else ''}".strip(), load_wrk
    try:
        import locust
    except ImportError:
        sys.exit(
            "Needs a load generator: install wrk (apt-get install wrk) or locust "
            "(pip install -r bench/requirements.txt)."
        )
    return f"locust {locust.__version__} (FastHttpUser)", load_locust


# ---------------------------------------------------------------------------------------------
# The run


def scenarios(all_configs: list[Config], cursor: str, database: str) -> list[Scenario]:
    found = [Scenario("ceiling", "ceiling", "/")]
    found += [
        Scenario(f"list:{config.name}", config.name, config.list_path) for config in all_configs
    ]
    found += [
        Scenario("quiet:all-on", "all-on", LIST_PAGE, sink="quiet"),
        Scenario("quiet:all-on-uncached", "all-on-uncached", LIST_PAGE, sink="quiet"),
        Scenario("revalidate:all-on", "all-on", LIST_PAGE, revalidate=True),
        Scenario("revalidate:all-on-uncached", "all-on-uncached", LIST_PAGE, revalidate=True),
        Scenario("gthread:all-on", "all-on", LIST_PAGE, worker="gthread"),
        Scenario("gthread:all-on-uncached", "all-on-uncached", LIST_PAGE, worker="gthread"),
        Scenario("one:all-off", "all-off", "/api/users/1"),
        Scenario("one:only-pooling", "only-pooling", "/api/users/1"),
        Scenario("slow-sink:all-off", "all-off", "/healthz", sink="slow"),
        Scenario("slow-sink:only-async-logging", "only-async-logging", "/healthz", sink="slow"),
        Scenario(
            "deep-first:only-pagination",
            "only-pagination",
            f"/api/users?per_page={PER_PAGE}",
            database="deep",
        ),
        Scenario(
            "deep-last:only-pagination",
            "only-pagination",
            f"/api/users?per_page={PER_PAGE}&cursor={cursor}",
            database="deep",
        ),
    ]
    if database == "postgresql":  # the peer reads PostgreSQL through asyncpg
        found.append(Scenario("peer", "peer", LIST_PAGE))
    return found


def benchmark_parser(
    prog: str, description: str, duration: float, duration_help: str, connections: int, report: str
) -> argparse.ArgumentParser:
    """A parser with the options both benchmarks take: the load's length and width, the
    database, and where the report goes."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    duration_help = f"{duration_help} (default {duration:g})"
    parser.add_argument("--duration", type=float, default=duration, help=duration_help)
    connections_help = f"concurrent clients (default {connections})"
    parser.add_argument("--connections", type=int, default=connections, help=connections_help)
    database_help = "auto: PostgreSQL when one is available, else SQLite"
    databases = ("auto", "postgresql", "sqlite")
    parser.add_argument("--database", choices=databases, default="auto", help=database_help)
    output_help = f"the report (default docs/{report}; its raw numbers: the same name, .json)"
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / report, help=output_help)
    return parser


def parse_args() -> argparse.Namespace:
    description = __doc__.splitlines()[0]
    parser = benchmark_parser(
        f"python -m {__spec__.name}", description, 10, "seconds per load", 16, "benchmarks.md"
    )
    parser.add_argument("--repeats", type=int, default=3, help="rounds; medians are reported")
    sink_help = "bytes/s the slow log sink drains (default: ~5 ms per access line)"
    parser.add_argument("--sink-rate", type=float, default=24_000, help=sink_help)
    parser.add_argument("--only", help="comma-separated scenario keys (for a quick look)")
    parser.add_argument("--render", type=Path, help="only write the report from this raw JSON")
    args = parser.parse_args()
    if not args.render and (args.repeats < 1 or args.duration <= 0):
        parser.error("--repeats and --duration must be positive")
    return args


def main() -> None:
    args = parse_args()
    if args.render:
        write_report(json.loads(args.render.read_text()), args.output)
        return
    generator_name, load = load_generator()
    # A SIGTERM unwinds like Ctrl-C: the servers and the throwaway database are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))

    workdir = Path(tempfile.mkdtemp(prefix="bench-10x-"))
    sink = LogPipe(workdir / "slow-sink.pipe", args.sink_rate)
    with databases(args.database, workdir) as (database, urls):
        print(f"Working in {workdir}; database {database}; load with {generator_name}", flush=True)
        servers: dict[tuple[str, str, str, str], Gunicorn] = {}
        try:
            medians = measure(args, database, urls, workdir, sink, servers, load)
        finally:
            sink.full_speed.set()  # nothing waits on the slow pipe while the servers stop
            for server in servers.values():
                server.stop()
    sink.close()
    context = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "command": "python -m bench.run" + "".join(f" {arg}" for arg in sys.argv[1:]),
        "database": database,
        "generator": generator_name,
        "connections": args.connections,
        "duration": args.duration,
        "repeats": args.repeats,
        "sink_rate": args.sink_rate,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    raw = args.output.with_suffix(".json")
    # The raw numbers first, so that a bug in the report loses nothing (--render redoes it).
    raw.write_text(json.dumps({"context": context, "medians": medians}, indent=1) + "\n")
    write_report(json.loads(raw.read_text()), args.output)
    shutil.rmtree(workdir, ignore_errors=True)


def write_report(raw: dict, output: Path) -> None:
    report = render(raw["medians"], raw["context"])
    output.write_text(report)
    print(report)
    print(f"Wrote {output} (raw numbers: {output.with_suffix('.json')})")


def measure(args, database, urls, workdir, sink, servers, load) -> dict[str, dict]:
    """Bake, seed, serve, load: the medians of every chosen scenario."""
    all_configs = configs()
    projects = {config.name: bake_config(config, database, workdir) for config in all_configs}
    print("Seeding ...", flush=True)
    seed(projects["all-off"], urls["main"], USERS)
    seed(projects["all-off"], urls["deep"], DEEP_USERS)
    cursor = deep_cursor(projects["only-pagination"], urls["deep"])
    chosen = scenarios(all_configs, cursor, database)
    if args.only:
        keys = set(args.only.split(","))
        chosen = [scenario for scenario in chosen if scenario.key in keys]
    serve(chosen, projects, urls, workdir, sink, servers)
    headers = {scenario.key: request_headers(scenario, servers) for scenario in chosen}
    facts = {
        scenario.key: response_facts(scenario, projects, urls, servers, headers[scenario.key])
        for scenario in chosen
    }
    if "peer" in facts:
        facts["peer"]["same_page"] = same_page_as_ours(chosen, servers)
    runs = load_rounds(args, chosen, servers, sink, load, headers)
    return {
        key: {metric: statistics.median(run[metric] for run in results) for metric in results[0]}
        | {"errors": sum(run["errors"] for run in results)}
        | facts[key]
        for key, results in runs.items()
    }


def serve(chosen, projects, urls, workdir, sink, servers) -> None:
    """Start a server for every (configuration, database, log sink) the scenarios use, each
    logging to a file of its own or to the slow sink; wait until they all answer."""
    for scenario in chosen:
        if scenario.server in servers:
            continue
        name = "-".join(scenario.server)
        log = workdir / f"{name}.gunicorn.log"
        if scenario.config == "ceiling":
            env = project_env(PYTHONPATH=str(ROOT / "bench"), SECRET_KEY=SECRET_KEY)
            server = Gunicorn(projects["all-on"], env, log, app="ceiling:app", cwd=ROOT / "bench")
        elif scenario.config == "peer":
            server = peer.Uvicorn(urls[scenario.database], log)
        else:
            log_file = sink.path if scenario.sink == "slow" else workdir / f"{name}.log"
            project = projects[scenario.config]
            env = project_env(project, DATABASE_URL=urls[scenario.database], LOG_FILE=str(log_file))
            if scenario.sink == "quiet":  # where the time goes: the same, without access lines
                env["LOG_LEVEL"] = "WARNING"
            settings = GTHREAD if scenario.worker == "gthread" else None
            server = Gunicorn(project, env, log, settings=settings)
        servers[scenario.server] = server
    for (config, *_), server in servers.items():
        server.wait_ready("/" if config == "ceiling" else "/healthz")


def request_headers(scenario: Scenario, servers) -> dict[str, str]:
    """The headers a scenario's requests send besides Accept-Encoding: for a revalidation, the
    ETag the server gave for the same request (with compression, one per content-coding)."""
    if not scenario.revalidate:
        return {}
    status, response = http_get(servers[scenario.server].port, scenario.path, ACCEPT_ENCODING)
    etag = _header(response, b"etag", default="")
    assert status == 200 and etag, (scenario, response[:300])
    return {"If-None-Match": etag}


def response_facts(scenario: Scenario, projects, urls, servers, headers) -> dict:
    """SQL statements, connections and users per request (measured in-process), and the bytes
    and encoding of one response as it crosses the socket."""
    if scenario.config == "ceiling":
        facts = {"statements": 0, "connections": 0, "users": 0}
    elif scenario.config == "peer":
        facts = peer.probe(urls[scenario.database], scenario.path)
    else:
        project, url = projects[scenario.config], urls[scenario.database]
        facts = probe(project, url, scenario.path, scenario.revalidate)
    port = servers[scenario.server].port
    status, response = http_get(port, scenario.path, ACCEPT_ENCODING, headers)
    assert status == (304 if scenario.revalidate else 200), (scenario, response[:300])
    facts["status"] = status
    facts["bytes"] = len(response)
    facts["encoding"] = _header(response, b"content-encoding")
    facts["keep_alive"] = keeps_alive(port, scenario.path)
    return facts


def same_page_as_ours(chosen: list[Scenario], servers) -> str:
    """Check that the peer answers the first page as our uncached project does (or the cached
    one); say what was compared."""
    by_key = {scenario.key: scenario for scenario in chosen}
    ours = next(
        (by_key[key] for key in ("list:all-on-uncached", "list:all-on") if key in by_key), None
    )
    if ours is None:
        return "not checked: neither all-on project was served in this run"
    return peer.check_same_page(
        servers[ours.server].port, servers[by_key["peer"].server].port, LIST_PAGE
    )


def load_rounds(args, chosen, servers, sink, load, headers) -> dict[str, list[dict[str, float]]]:
    """Load every scenario once per round, in a new order each round; round 0 warms up,
    unrecorded. Returns each scenario's results."""
    runs: dict[str, list[dict[str, float]]] = {scenario.key: [] for scenario in chosen}
    for round_number in range(args.repeats + 1):
        duration = min(2.0, args.duration) if round_number == 0 else args.duration
        order = chosen[:]
        random.Random(round_number).shuffle(order)  # no scenario always follows the same one
        for scenario in order:
            server = servers[scenario.server]
            if scenario.sink == "slow":
                sink.empty()
            result = load(
                server.port, scenario.path, duration, args.connections, headers[scenario.key]
            )
            server.wait_idle()
            if scenario.sink == "slow":  # what the load left queued behind the slow sink
                result["backlog_kb"] = sink.empty() / 1024
            if not round_number:
                continue
            if not result["rps"]:
                sys.exit(f"No response to {scenario.key} in {duration:g} s: raise --duration")
            runs[scenario.key].append(result)
            print(
                f"round {round_number} {scenario.key}: {result['rps']:.0f} req/s, "
                f"p50 {result['p50']:.2f} ms, socket errors {result['errors']}",
                flush=True,
            )
    return runs


def keeps_alive(port: int, path: str) -> bool:
    """Whether the server keeps an HTTP/1.1 connection open after answering on it, as wrk
    expects: a server that answers `Connection: close` (gunicorn's sync workers) makes wrk
    open a new TCP connection for every request."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head and (chunk := sock.recv(65536)):
            head += chunk
    return _header(head, b"connection").lower() != "close"


def _header(response: bytes, name: bytes, default: str = "identity") -> str:
    head = response.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip().decode()
    return default


# ---------------------------------------------------------------------------------------------
# The report


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError), open("/proc/meminfo") as meminfo:
        kib = int(meminfo.readline().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return (
        f"{model}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def closing_note(medians: dict[str, dict], users_per_s) -> list[str]:
    """Which targets were reached and, for a missed one, where the time goes (as measured)."""
    get = medians.get
    notes = []
    if get("list:all-on") and get("ceiling"):
        share = medians["list:all-on"]["rps"] / medians["ceiling"]["rps"]
        note = f"- Cached list page: {share:.0%} of the ceiling, target 75%: " + (
            "**reached**." if share >= 0.75 else "**missed**."
        )
        if share < 0.75 and get("quiet:all-on"):
            silent = medians["quiet:all-on"]["rps"] / medians["ceiling"]["rps"]
            note += (
                f" Without the access log the same server reaches {silent:.0%}: a hit itself "
                "(cache lookup, no SQL, the stored already-compressed body) is cheap, and most "
                "of the gap is the one access line per request, which the process still builds, "
                "queues, formats and writes. `python -m bench.profile_page` times it in one "
                "process, alternating: about a quarter of the CPU time of a hit (2026-12-05: 283 "
                "against 217 us through the test client; 27-32 us of 150 us over bare WSGI "
                "calls). Measured and not kept, each within the noise (1-2%): a C-coded "
                "SimpleQueue instead of queue.Queue, synchronous writes instead of the queue, "
                "gc.freeze() after start-up, Flask's ensure_sync worked out once per function, "
                "LogRecord's thread and process fields switched off."
            )
        notes.append(note)
    if get("list:all-on-uncached") and get("list:all-off"):
        ratio = users_per_s("list:all-on-uncached") / users_per_s("list:all-off")
        note = f"- Uncached page of 50 users: {ratio:.1f}x the all-off users/s, target 10x: " + (
            "**reached**." if ratio >= 10 else "**missed**."
        )
        if ratio < 10:
            row = medians["list:all-on-uncached"]
            note += (
                f" The page takes {row['statements']:g} SQL statements and answers at "
                f"{row['rps']:,.0f} requests/s. No single part dominates what is left: a "
                "profile of the request (`python -m bench.profile_page`, cProfile, in one "
                "process; 2026-12-05) puts 2.1 ms into it: Flask and Werkzeug 24%, waiting on "
                "PostgreSQL for the two SELECTs 23%, SQLAlchemy executing them 17%, building the "
                "page 10%, the session 6%, compression 4% (removing it saves 9-11%), signing the "
                "cursor 3%, orjson under 1%. One joined statement for a page and its addresses "
                "is slower (150 wide rows: 1.58 ms against 0.95 ms), so it was not taken; the "
                "pool now pings only connections idle for DB_POOL_PING_AFTER seconds."
            )
            if get("quiet:all-on-uncached"):
                silent = medians["quiet:all-on-uncached"]
                note += f" Without the access log: {silent['rps'] * silent['users'] / users_per_s('list:all-off'):.1f}x."
        notes.append(note)
    return ["", "## Closing note", "", *notes] if notes else []


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if a == a and b == b and b else "n/a"


def gain(metric: str, words: str, lower_is_better: bool = False) -> Callable[[dict, dict], str]:
    """The effect of a technique: how many times its `metric` beats the baseline's."""

    def effect(on: dict, off: dict) -> str:
        better, worse = (off, on) if lower_is_better else (on, off)
        return f"{ratio(better[metric], worse[metric])} {words}"

    return effect


def growth(last: dict, first: dict) -> str:
    """The last page's p50 against the first's: constant, or growing with the page number."""
    constant = last["p50"] < 1.5 * first["p50"]
    return f"last/first {last['p50'] / first['p50']:.2f}x" + (
        " (constant)" if constant else " (grows)"
    )


@dataclass(frozen=True)
class Effect:
    """A row of "Each technique alone": the scenario `alone` against `baseline`. The cells
    `scenario` to `base` are format strings over the rows `on` and `off` (medians, with
    users_per_s), `deep_users` and `sink_kb` (the slow log sink's rate)."""

    technique: str
    alone: str
    baseline: str
    scenario: str
    measure: str
    value: str
    base: str
    effect: Callable[[dict, dict], str]


EFFECTS = [
    Effect(
        "eager loading",
        "list:only-eager-loading",
        "list:all-off",
        "all 2,000 users with their addresses",
        "SQL statements/request; users/s",
        "{on[statements]:g}; {on[users_per_s]:,.0f}",
        "{off[statements]:g}; {off[users_per_s]:,.0f}",
        gain("users_per_s", "users/s"),
    ),
    Effect(
        "connection pooling",
        "one:only-pooling",
        "one:all-off",
        "`GET /api/users/1`",
        "connections opened/request; requests/s",
        "{on[connections]:g}; {on[rps]:,.0f}",
        "{off[connections]:g}; {off[rps]:,.0f}",
        gain("rps", "requests/s"),
    ),
    Effect(
        "pagination (cursor)",
        "deep-last:only-pagination",
        "deep-first:only-pagination",
        "first vs last page of {deep_users:,} users",
        "p50 ms, last page; first page",
        "{on[p50]:.2f}",
        "{off[p50]:.2f}",
        growth,
    ),
    Effect(
        "pagination",
        "list:only-pagination",
        "list:all-off",
        "the list endpoint: 50 users per page against all 2,000",
        "p50 ms; bytes/response",
        "{on[p50]:.2f}; {on[bytes]:,}",
        "{off[p50]:.2f}; {off[bytes]:,}",
        gain("p50", "lower p50", lower_is_better=True),
    ),
    Effect(
        "caching",
        "list:only-caching",
        "list:all-off",
        "the list endpoint, repeated (cache hits)",
        "SQL statements/request; requests/s",
        "{on[statements]:g}; {on[rps]:,.0f}",
        "{off[statements]:g}; {off[rps]:,.0f}",
        gain("rps", "requests/s"),
    ),
    Effect(
        "fast JSON",
        "list:only-fast-json",
        "list:all-off",
        "all 2,000 users (a large body to encode)",
        "p50 ms",
        "{on[p50]:.2f}",
        "{off[p50]:.2f}",
        gain("p50", "faster", lower_is_better=True),
    ),
    Effect(
        "compression",
        "list:only-compression",
        "list:all-off",
        "all 2,000 users",
        "bytes/response ({on[encoding]})",
        "{on[bytes]:,}",
        "{off[bytes]:,}",
        gain("bytes", "fewer bytes", lower_is_better=True),
    ),
    Effect(
        "async logging",
        "slow-sink:only-async-logging",
        "slow-sink:all-off",
        "`GET /healthz` (no database), the log sink draining {sink_kb:g} KB/s (about 5 ms per "
        "access line); backlog: what was still queued when the load stopped, written out "
        "afterwards",
        "p50 ms; requests/s; backlog KB",
        "{on[p50]:.2f}; {on[rps]:,.0f}; {on[backlog_kb]:,.0f}",
        "{off[p50]:.2f}; {off[rps]:,.0f}; {off[backlog_kb]:,.0f}",
        gain("p50", "lower p50", lower_is_better=True),
    ),
]


def users_per_s(medians: dict[str, dict], key: str) -> float:
    row = medians.get(key)
    return row["rps"] * row["users"] if row else float("nan")


def render(medians: dict[str, dict], context: dict) -> str:
    lines = [
        *heading(context),
        *list_table(medians),
        *peer_and_workers_table(medians, context),
        *revalidation_table(medians),
        *effects_table(medians, context),
        *access_log_table(medians),
        *headlines(medians),
        *closing_note(medians, lambda key: users_per_s(medians, key)),
        *socket_errors(medians),
    ]
    return "\n".join(lines) + "\n"


def heading(context: dict) -> list[str]:
    return [
        "# Benchmarks",
        "",
        f"Measured {context['date']} with `{context['command']}` on {context['machine']}.",
        f"Database: {context['database']}. Load: {context['generator']}, {context['connections']} "
        f"connections, {context['duration']:g} s per load, median of {context['repeats']} rounds "
        "(configurations alternate within each round, after an unrecorded warm-up round). "
        "Each service: gunicorn with 2 sync workers (but the gthread rows and the FastAPI peer "
        "below), its own `gunicorn.conf.py`, 127.0.0.1; "
        "the load generator runs on the same machine. "
        f"Data: {USERS:,} users with {ADDRESSES} addresses each; deep pages: {DEEP_USERS:,} users. "
        f"Requests send `Accept-Encoding: {ACCEPT_ENCODING}`.",
    ]


def list_table(medians: dict[str, dict]) -> list[str]:
    lines = [
        "",
        "## The list endpoint, every configuration",
        "",
        "`GET /api/users` (a page of 50 where pagination is on, all 2,000 users where it is off). "
        "Bytes are the whole response as it crosses the socket, headers included.",
        "",
        "| configuration | requests/s | p50 ms | p99 ms | bytes/response | encoding "
        "| SQL statements/request | users/response | users/s | users/s vs all-off |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    base = users_per_s(medians, "list:all-off")
    for key, row in medians.items():
        if not (key.startswith("list:") or key == "ceiling"):
            continue
        name = "bare Flask (ceiling)" if key == "ceiling" else key.removeprefix("list:")
        users = row["users"] if key != "ceiling" else 0
        per_s = users_per_s(medians, key)
        lines.append(
            f"| {name} | {row['rps']:,.0f} | {row['p50']:.2f} | {row['p99']:.2f} "
            f"| {row['bytes']:,} | {row['encoding']} | {row['statements']:g} | {users or '-'} "
            f"| {per_s if users else 0:,.0f} | {ratio(per_s, base) if users else '-'} |"
        )
    return lines


# The rows of "Against a FastAPI peer": (scenario, configuration, server).
PEER_ROWS = [
    ("list:all-on", "all-on (cached), sync", "gunicorn, 2 sync workers"),
    ("gthread:all-on", "all-on (cached), gthread", "gunicorn, 2 gthread workers x 4 threads"),
    ("list:all-on-uncached", "all-on-uncached, sync", "gunicorn, 2 sync workers"),
    ("gthread:all-on-uncached", "all-on-uncached, gthread", "gunicorn, 2 gthread workers x 4"),
    ("peer", peer.NAME, "uvicorn, 2 workers (uvloop, httptools)"),
]


def peer_and_workers_table(medians: dict[str, dict], context: dict) -> list[str]:
    rows = [(key, *names) for key, *names in PEER_ROWS if medians.get(key)]
    if not rows:
        return []
    theirs = medians.get("peer")
    lines = [
        "",
        "## Against a FastAPI peer; sync and gthread workers",
        "",
        f"`GET {LIST_PAGE}`, the same page everywhere. The peer is bench/peer_fastapi.py: the "
        "page written as FastAPI's documentation recommends (async SQLAlchemy 2 over asyncpg, "
        "Pydantic response models, GZipMiddleware, uvicorn's access log), on the same database "
        "and data, under the same load. Keeps the connection: whether the server keeps an "
        "HTTP/1.1 connection open after an answer; where it does not (`Connection: close`), wrk "
        "opens a new TCP connection for every request.",
        "",
        "| configuration | server | requests/s | p50 ms | p99 ms | keeps the connection "
        "| bytes/response | encoding | SQL statements/request | users/s | requests/s vs the peer |",
        "|---|---|---:|---:|---:|---|---:|---|---:|---:|---:|",
    ]
    for key, name, server in rows:
        row = medians[key]
        keeps = {True: "yes", False: "no"}.get(row.get("keep_alive"), "n/a")
        versus = ratio(row["rps"], theirs["rps"]) if theirs else "n/a"
        lines.append(
            f"| {name} | {server} | {row['rps']:,.0f} | {row['p50']:.2f} | {row['p99']:.2f} "
            f"| {keeps} | {row['bytes']:,} | {row['encoding']} | {row['statements']:g} "
            f"| {users_per_s(medians, key):,.0f} | {versus} |"
        )
    return lines + ["", *peer_verdict(medians, context), *worker_verdict(medians)]


def peer_verdict(medians: dict[str, dict], context: dict) -> list[str]:
    theirs = medians.get("peer")
    if not theirs:
        if context["database"] != "postgresql":
            return [
                f"- {peer.NAME}: **absent**: the peer reads PostgreSQL through asyncpg, and "
                f"this run had no PostgreSQL ({context['database']})."
            ]
        return [f"- {peer.NAME}: not in this run."]
    lines = [f"- Before the load, the peer answered {theirs.get('same_page', 'unchecked')}."]
    for key, name in (("list:all-on", "cached"), ("list:all-on-uncached", "uncached")):
        if ours := medians.get(key):
            faster = "faster" if ours["rps"] >= theirs["rps"] else "**slower**"
            lines.append(
                f"- All-on, {name} (sync): {ours['rps']:,.0f} requests/s against the peer's "
                f"{theirs['rps']:,.0f}: {ratio(ours['rps'], theirs['rps'])}, {faster}; p50 "
                f"{ours['p50']:.2f} ms against {theirs['p50']:.2f} ms."
            )
    return lines


def worker_verdict(medians: dict[str, dict]) -> list[str]:
    lines = []
    for name in ("all-on", "all-on-uncached"):
        sync, gthread = medians.get(f"list:{name}"), medians.get(f"gthread:{name}")
        if sync and gthread:
            lines.append(
                f"- {name}: gthread {gthread['rps']:,.0f} requests/s against sync "
                f"{sync['rps']:,.0f} ({ratio(gthread['rps'], sync['rps'])}); p99 "
                f"{gthread['p99']:.2f} ms against {sync['p99']:.2f} ms."
            )
    return lines


# The rows of "Revalidation": (scenario, configuration, answer).
REVALIDATION_ROWS = [
    ("list:all-on", "all-on (cached)", "200, a cache hit"),
    ("revalidate:all-on", "all-on (cached)", "304 Not Modified"),
    ("list:all-on-uncached", "all-on-uncached", "200"),
    ("revalidate:all-on-uncached", "all-on-uncached", "304 Not Modified"),
]


def revalidation_table(medians: dict[str, dict]) -> list[str]:
    rows = [(key, *names) for key, *names in REVALIDATION_ROWS if medians.get(key)]
    if not any(key.startswith("revalidate:") for key, *_ in rows):
        return []
    lines = [
        "",
        "## Revalidation: If-None-Match answered 304",
        "",
        f"`GET {LIST_PAGE}` again, the client sending back in `If-None-Match` the `ETag` the "
        "server gave it for that page (with compression, the ETag of the Brotli body, "
        '`"<sha1>:br"`), as a browser or an HTTP cache does with `Cache-Control: no-cache`.',
        "",
        "| configuration | answer | requests/s | p50 ms | p99 ms | bytes/response "
        "| SQL statements/request |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for key, name, answer in rows:
        row = medians[key]
        lines.append(
            f"| {name} | {answer} | {row['rps']:,.0f} | {row['p50']:.2f} | {row['p99']:.2f} "
            f"| {row['bytes']:,} | {row['statements']:g} |"
        )
    lines.append("")
    for name in ("all-on", "all-on-uncached"):
        full, revalidated = medians.get(f"list:{name}"), medians.get(f"revalidate:{name}")
        if full and revalidated:
            work = (
                "no SQL and no view: the ETag is stored with the cache entry"
                if name == "all-on"
                else "the view still runs (the ETag is the body's hash): bytes saved, not work"
            )
            lines.append(
                f"- {name}: a 304 at {revalidated['rps']:,.0f} requests/s against "
                f"{full['rps']:,.0f} for the 200 ({ratio(revalidated['rps'], full['rps'])}), "
                f"{revalidated['bytes']:,} bytes against {full['bytes']:,} "
                f"({revalidated['bytes'] / full['bytes']:.0%}), "
                f"{revalidated['statements']:g} SQL statements; {work}."
            )
    return lines


def effects_table(medians: dict[str, dict], context: dict) -> list[str]:
    rows = []
    for effect in EFFECTS:
        if not (medians.get(effect.alone) and medians.get(effect.baseline)):
            continue
        on, off = (
            medians[key] | {"users_per_s": users_per_s(medians, key)}
            for key in (effect.alone, effect.baseline)
        )
        fields = {"on": on, "off": off, "deep_users": DEEP_USERS}
        fields["sink_kb"] = context["sink_rate"] / 1000
        cells = (effect.scenario, effect.measure, effect.value, effect.base)
        scenario, measure, value, base = (cell.format(**fields) for cell in cells)
        rows.append(
            f"| {effect.technique} | {scenario} | {measure} | {value} | {base} "
            f"| {effect.effect(on, off)} |"
        )
    if not rows:
        return []
    return [
        "",
        "## Each technique alone, where it matters",
        "",
        "Each project has only that technique on; the baseline is all-off in the same scenario.",
        "",
        "| technique | scenario | measure | technique alone | all-off | effect |",
        "|---|---|---|---:|---:|---|",
        *rows,
    ]


def access_log_table(medians: dict[str, dict]) -> list[str]:
    quiet = [key for key in ("quiet:all-on", "quiet:all-on-uncached") if medians.get(key)]
    if not quiet:
        return []
    lines = [
        "",
        "## Where the time goes: the access log",
        "",
        "The same servers' twins with `LOG_LEVEL=WARNING`, so without the one access line "
        "per request (asynchronous, to a file).",
        "",
        "| configuration | requests/s with the access log | without | share of the time "
        "spent on the access log | without, vs the ceiling |",
        "|---|---:|---:|---:|---:|",
    ]
    for key in quiet:
        name = key.removeprefix("quiet:")
        logged, silent = medians.get(f"list:{name}"), medians[key]
        if not logged:
            continue
        share = 1 - logged["rps"] / silent["rps"]
        ceiling = (
            f"{silent['rps'] / medians['ceiling']['rps']:.0%}" if medians.get("ceiling") else "n/a"
        )
        lines.append(
            f"| {name} | {logged['rps']:,.0f} | {silent['rps']:,.0f} | {share:.0%} | {ceiling} |"
        )
    return lines


def headlines(medians: dict[str, dict]) -> list[str]:
    get = medians.get
    base = users_per_s(medians, "list:all-off")
    lines = ["", "## Headline ratios", ""]
    if get("list:all-on") and get("ceiling"):
        lines.append(
            f"- Cached list page (all-on) at **{medians['list:all-on']['rps'] / medians['ceiling']['rps']:.0%}** "
            "of the bare-Flask ceiling's requests/s (target: at least 75%, with the access log on)."
        )
    if get("list:all-on-uncached") and get("list:all-off"):
        lines.append(
            f"- Uncached page of 50 users (all-on except caching): **{ratio(users_per_s(medians, 'list:all-on-uncached'), base)}** "
            "the all-off project's users delivered per second (target: at least 10x)."
        )
    if get("list:all-on") and get("list:all-off"):
        lines.append(
            f"- All-on, cached: **{ratio(users_per_s(medians, 'list:all-on'), base)}** the all-off "
            "project's users per second (the same page over and over, from the cache)."
        )
    return lines


def socket_errors(medians: dict[str, dict]) -> list[str]:
    errors = {key: row["errors"] for key, row in medians.items() if row["errors"]}
    if not errors:
        return []
    lines = ["", "wrk socket errors (connect, read, write or timeout), summed over rounds: "]
    return lines + [f"- {key}: {count}" for key, count in errors.items()]


if __name__ == "__main__":
    main()
