"""Where the page's time goes: the all-on project without caching, `GET
/api/users?per_page=50` a few hundred times through Flask's test client, in one process,
timed (medians of 5 alternating rounds) and profiled (cProfile, wall clock), the time split by
who spends it; then the all-on project's cache hits, with and without the access line.

    python -m bench.profile_page                  # bakes, seeds, profiles: about a minute
    python -m bench.profile_page --requests 500 --database-url postgresql+psycopg://...

(from the template's folder, like bench/run.py). The database: --database-url (a database it
may fill: init-db and seed run there), else a throwaway PostgreSQL as bench/run.py starts one.
Besides the split, it times the same requests without compression (`Accept-Encoding:
identity`) and without the access line (LOG_LEVEL=WARNING): what removing each would save.
The cache hits are timed in one process, the access logger switched off and on between
alternating rounds (CPU time, the listener thread's included). The test client skips
gunicorn's HTTP parsing and socket writes; everything the app does is in.
"""

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import MetaData, Table

from bench import run
from tests.harness import ALL_ON, PACKAGE, bake, project_env
from tests.options import TEMPLATE as ROOT

PATH = run.LIST_PAGE
TABLES = ("users", "addresses")
ROUNDS = 5
# Who spends the time: the first category whose marks the function's file holds; a C function
# (a builtin) counts for the category of the Python function that called it.
CATEGORIES = {
    "PostgreSQL round trips (psycopg: send, wait, receive)": ("psycopg",),
    "SQLAlchemy pool (checkout, return)": ("sqlalchemy/pool",),
    "SQLAlchemy ORM session (open, execute, close)": ("sqlalchemy/orm",),
    "SQLAlchemy Core (statement cache, execution, result rows)": ("sqlalchemy",),
    "building the page (users.py, schemas.py)": ("/users.py", "/schemas.py"),
    "signing the next cursor (itsdangerous)": ("itsdangerous", "pagination"),
    "JSON (orjson)": ("orjson", "fast_json"),
    "compression (Brotli, Flask-Compress)": ("flask_compress", "brotli", "compression.py"),
    "logging (the access line, queued)": ("/logging/", "async_logging", "logs.py"),
    "Flask and Werkzeug (request, routing, response)": ("flask", "werkzeug"),
}
OTHER = "other (the test client, the interpreter)"


def category(filename: str) -> str | None:
    for name, marks in CATEGORIES.items():
        if any(mark in filename for mark in marks):
            return name
    return None


def split(stats: pstats.Stats) -> dict[str, float]:
    """Seconds of own time per category."""
    totals = dict.fromkeys([*CATEGORIES, OTHER], 0.0)
    for (filename, _, _), (_, _, own, _, callers) in stats.stats.items():
        if filename != "~":
            totals[category(filename) or OTHER] += own
            continue
        caller_own = sum(entry[2] for entry in callers.values()) or 1.0
        for (caller_file, _, _), entry in callers.items():
            totals[category(caller_file) or OTHER] += own * entry[2] / caller_own
    return totals


def timed(client, requests: int, encoding: str) -> tuple[float, float]:
    """Milliseconds per request: wall clock, and this process's CPU time (which leaves out
    the waits on PostgreSQL, and most of what other processes on a busy machine cost)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        response = client.get(PATH, headers={"Accept-Encoding": encoding})
        assert response.status_code == 200, response.status
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall * 1000 / requests, cpu * 1000 / requests


def inside(requests: int) -> dict:
    """In the project's process: the timings and the split."""
    import importlib

    from sqlalchemy import event

    package = importlib.import_module(PACKAGE)
    app = package.create_app()
    client = app.test_client()
    engine = app.extensions["db"].engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(1))
    timed(client, 50, run.ACCEPT_ENCODING)  # warm: pool filled, statements prepared
    statements.clear()
    timed(client, requests, run.ACCEPT_ENCODING)
    result = {"statements": len(statements) / requests}
    runs: dict[str, list[tuple[float, float]]] = {"ms": [], "ms_identity": []}
    for _ in range(ROUNDS):  # alternating, medians: the machine may be busy
        runs["ms"].append(timed(client, requests, run.ACCEPT_ENCODING))
        runs["ms_identity"].append(timed(client, requests, "identity"))
    result |= {name: _medians(values) for name, values in runs.items()}  # [wall, cpu]
    result["page_reads"] = page_reads(engine, requests)
    profiler = cProfile.Profile()
    profiler.runcall(timed, client, requests, run.ACCEPT_ENCODING)
    stats = pstats.Stats(profiler)
    result["split"] = split(stats)
    result["profiled_s"] = stats.total_tt
    return result


# The page read three ways, at the Core level on one connection held (no pool, no pre-ping),
# each with the Python that turns its rows into the page's JSON bytes: what the list does now
# (two statements), the page joined to its addresses (one), and PostgreSQL building the JSON.
JSON_PAGE = """
SELECT coalesce(json_agg(json_build_object(
    'id', u.id, 'name', u.name, 'email', u.email, 'created_at', u.created_at,
    'addresses', coalesce((
        SELECT json_agg(json_build_object('id', a.id, 'street', a.street, 'city', a.city)
                        ORDER BY a.id)
        FROM addresses AS a WHERE a.user_id = u.id), '[]'))
    ORDER BY u.id), '[]')::text
FROM (SELECT * FROM users ORDER BY id LIMIT :limit) AS u
"""


def page_reads(engine, requests: int) -> dict[str, list[float]]:
    """Milliseconds (wall, CPU) per page, read, built and encoded, three ways."""
    ways = page_ways(engine)
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for _ in range(ROUNDS):
            for name, way in ways.items():
                wall, cpu = time.perf_counter(), time.process_time()
                for _ in range(requests):
                    way(connection)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                timings[name].append((wall * 1000 / requests, cpu * 1000 / requests))
    return {name: _medians(values) for name, values in timings.items()}


def page_ways(engine) -> dict[str, Callable]:
    """name -> a function of a connection that returns the page's JSON bytes."""
    import orjson
    from sqlalchemy import bindparam, select, text

    users, addresses = (Table(name, MetaData(), autoload_with=engine) for name in TABLES)
    first = select(users).order_by(users.c.id).limit(run.PER_PAGE)
    second = (
        select(addresses.c.user_id, addresses.c.id, addresses.c.street, addresses.c.city)
        .where(addresses.c.user_id.between(bindparam("first"), bindparam("last")))
        .order_by(addresses.c.user_id, addresses.c.id)
    )
    page = first.subquery()
    joined = (
        select(page, addresses.c.id.label("address_id"), addresses.c.street, addresses.c.city)
        .outerjoin(addresses, addresses.c.user_id == page.c.id)
        .order_by(page.c.id, addresses.c.id)
    )

    def two(connection) -> bytes:
        rows = connection.execute(first).all()
        found = {row.id: _user(row) for row in rows}
        bounds = {"first": rows[0].id, "last": rows[-1].id}
        for user_id, address_id, street, city in connection.execute(second, bounds):
            found[user_id]["addresses"].append({"id": address_id, "street": street, "city": city})
        return orjson.dumps({"items": list(found.values())})

    def one(connection) -> bytes:
        found: dict[int, dict] = {}
        for row in connection.execute(joined):
            user = found.get(row.id) or found.setdefault(row.id, _user(row))
            if row.address_id is not None:
                user["addresses"].append(
                    {"id": row.address_id, "street": row.street, "city": row.city}
                )
        return orjson.dumps({"items": list(found.values())})

    def in_database(connection) -> bytes:
        return connection.execute(text(JSON_PAGE), {"limit": run.PER_PAGE}).scalar_one().encode()

    return {"two statements": two, "one statement": one, "JSON built by PostgreSQL": in_database}


def _user(row) -> dict:
    created_at = row.created_at.isoformat(timespec="microseconds")
    return {
        "id": row.id,
        "name": row.name,
        "email": row.email,
        "created_at": created_at,
        "addresses": [],
    }


def _medians(values: list[tuple[float, float]]) -> list[float]:
    return [statistics.median(value[kind] for value in values) for kind in (0, 1)]


def hits(requests: int) -> dict:
    """In the cached project's process: microseconds of CPU per cache hit with the access line
    and without it (its logger switched off), alternating rounds, medians."""
    import importlib
    import logging

    package = importlib.import_module(PACKAGE)
    app = package.create_app()
    client = app.test_client()
    access = logging.getLogger(f"{PACKAGE}.access")
    timed(client, 50, run.ACCEPT_ENCODING)  # the first request stores the page
    runs: dict[str, list[float]] = {"with": [], "without": []}
    for round_number in range(4 * ROUNDS):
        line = round_number % 2 == 0
        access.setLevel(logging.NOTSET if line else logging.WARNING)
        timed(client, requests // 5, run.ACCEPT_ENCODING)  # the change settles
        time.sleep(0.05)  # the listener writes what the last round queued
        cpu = time.process_time()
        timed(client, requests, run.ACCEPT_ENCODING)
        time.sleep(0.05)  # and what this round queued: its CPU time is counted too
        runs["with" if line else "without"].append((time.process_time() - cpu) / requests)
    access.setLevel(logging.NOTSET)
    return {name: statistics.median(values) * 1e6 for name, values in runs.items()}


def measure(
    project: Path, url: str, requests: int, what: str = "--inside", **settings: str
) -> dict:
    env = project_env(project, DATABASE_URL=url, **settings)
    env["PYTHONPATH"] += os.pathsep + str(ROOT)
    command = [sys.executable, "-m", "bench.profile_page", what, str(requests)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"profiling failed:\n{done.stderr}")
    return json.loads(done.stdout)


def report(logged: dict, quiet: dict, cached: dict, requests: int) -> str:
    ms, cpu = logged["ms"]
    lines = [
        f"GET {PATH} on the all-on project without caching, {requests} requests, in-process:",
        f"  {ms:.2f} ms per request ({1000 / ms:,.0f} requests/s on one core), {cpu:.2f} ms of "
        f"it on the CPU; {logged['statements']:g} SQL statements each",
        "",
        "Own time, by who spends it (cProfile, wall clock; its overhead inflates the Python parts):",
    ]
    total = logged["profiled_s"]
    for name, seconds in sorted(logged["split"].items(), key=lambda item: -item[1]):
        share = seconds / total
        lines.append(f"  {share:6.1%}  ~{share * ms:5.2f} ms  {name}")
    lines += ["", "What removing each part would save (without the profiler; wall, CPU):"]
    for name, (other, other_cpu) in (
        ("compression (Accept-Encoding: identity)", logged["ms_identity"]),
        ("the access line (LOG_LEVEL=WARNING)", quiet["ms"]),
    ):
        lines.append(
            f"  {ms - other:+.2f} ms ({(ms - other) / ms:+.0%}), CPU {cpu - other_cpu:+.2f} ms "
            f"({(cpu - other_cpu) / cpu:+.0%})  without {name}"
        )
    lines += [
        "",
        "The page read, built and encoded, three ways (Core, one connection held; wall, CPU):",
    ]
    for name, (wall, cpu) in logged["page_reads"].items():
        lines.append(f"  {wall:.2f} ms, CPU {cpu:.2f} ms  {name}")
    line = cached["with"] - cached["without"]
    lines += [
        "",
        f"The same page from the cache (the all-on project), {requests} hits per round, CPU:",
        f"  {cached['with']:.0f} us per hit with the access line, {cached['without']:.0f} us "
        f"without: the line costs {line:.0f} us ({line / cached['with']:.0%} of a hit)",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description=__doc__)
    parser.add_argument("--requests", type=int, default=300, help="per timing (default 300)")
    parser.add_argument("--database-url", help="a PostgreSQL database it may fill")
    parser.add_argument("--inside", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--hits", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        print(json.dumps(inside(args.inside)))
        return
    if args.hits:
        print(json.dumps(hits(args.hits)))
        return
    with tempfile.TemporaryDirectory(prefix="profile-10x-") as folder:
        workdir = Path(folder)
        answers = {**ALL_ON, "use_caching": False, "database": "postgresql"}
        project = bake(answers, workdir / "projects" / "all-on-uncached")
        cached_project = bake(answers | {"use_caching": True}, workdir / "projects" / "all-on")
        with contextlib.ExitStack() as stack:
            url = args.database_url
            if not url:
                names = {"main": "profile_10x"}
                _, urls = stack.enter_context(run.databases("postgresql", workdir, names))
                url = urls["main"]
            run.seed(project, url, run.USERS)
            logged = measure(project, url, args.requests, LOG_FILE=str(workdir / "app.log"))
            quiet = measure(project, url, args.requests, LOG_LEVEL="WARNING")
            log_file = str(workdir / "cached.log")
            cached = measure(cached_project, url, 5 * args.requests, "--hits", LOG_FILE=log_file)
    print(report(logged, quiet, cached, args.requests))


if __name__ == "__main__":
    main()
