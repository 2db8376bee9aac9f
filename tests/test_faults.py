"""Fault tests: a generated service under a real gunicorn (its own gunicorn.conf.py, 2 workers,
127.0.0.1) while the server behind it goes away and comes back.

- PostgreSQL is stopped for a while and started again, on the same port and data, while a
  client keeps calling: while it is down, the calls that need it get a JSON 5xx (never HTML,
  never a hang), /readyz says 503 and /healthz 200; around the outage (a grace of GRACE
  seconds) everything succeeds; the service recovers without a restart of gunicorn or of its
  workers. For the all-on project (QueuePool, caching) and the all-off one (NullPool).
- Redis (the cache of the all-on project) is stopped and started again with its data: every
  read still answers 200, from the database, writes still work, /readyz says 200 "degraded"
  (the service still serves, so a load balancer keeps it); once Redis is back the cache serves
  reads again, and entries stored before the outage do not hide the writes made during it.
- A connection that dies between a request's last query and the end of the request (held
  there by a stalled log sink) must not turn a complete answer into an error.

These tests start servers of their own (they stop them), never the environment's.
"""

import contextlib
import http.client
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.harness import (
    ALL_OFF,
    ALL_ON,
    LogPipe,
    ThrowawayPostgres,
    ThrowawayRedis,
    bake,
    create_database,
    gunicorn,
    init_db_and_seed,
    project_env,
    required,
    throwaway,
)

SEEDED = 20  # users, ids 1..SEEDED
REQUEST_TIMEOUT = 10  # seconds: a request that takes longer counts as a hang
GRACE = 1.0  # seconds around a stop or a start during which a request may fail
DOWN = 2.0  # seconds PostgreSQL stays down
RECOVERY = 15.0  # seconds the service gets to answer again once its server is back
CACHE_RETRY_AFTER = 2  # seconds the service skips Redis after it failed (the default is 5)


# ---------------------------------------------------------------------------------------------
# Calls


@dataclass
class Call:
    kind: str
    method: str
    path: str
    start: float
    end: float
    status: int | None = None  # None: no answer (see error)
    content_type: str = ""
    body: object = None  # the parsed JSON, or None when the body is not JSON
    error: str = ""

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def is_json(self) -> bool:
        return self.content_type.startswith("application/json") and self.body is not None

    def __str__(self) -> str:
        answer = self.error or f"{self.status} {self.content_type} {str(self.body)[:120]}"
        return f"{self.method} {self.path} at {self.start:.2f}-{self.end:.2f} s: {answer}"


def call(port: int, method: str, path: str, body: object = None, kind: str = "") -> Call:
    """One request on a new connection (sync workers close each one), with a timeout."""
    start = time.monotonic()
    result = Call(kind, method, path, start, start)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        result.status = response.status
        result.content_type = response.getheader("Content-Type", "")
        with contextlib.suppress(ValueError):
            result.body = json.loads(raw)
        if result.body is None:
            result.error = f"{response.status}, not JSON: {raw[:200]!r}"
    except (OSError, http.client.HTTPException) as error:
        result.error = f"no answer: {error!r}"
    finally:
        connection.close()
        result.end = time.monotonic()
    return result


class Flow:
    """A client thread calling the service in a loop, one call at a time, until stopped (or
    for at most `limit` seconds); `calls` holds every call, in order."""

    def __init__(self, port: int, requests: list[Callable[[int], tuple]], limit: float = 120):
        self.port, self.requests, self.limit = port, requests, limit
        self.calls: list[Call] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + self.limit
        count = 0
        while not self.stopping.is_set() and time.monotonic() < deadline:
            kind, method, path, body = self.requests[count % len(self.requests)](count)
            self.calls.append(call(self.port, method, path, body, kind))
            count += 1
            time.sleep(0.005)  # leave the servers some CPU on a 2-core machine

    def wait_until(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline or not self.thread.is_alive():
                pytest.fail(f"within {timeout} s: {what}", pytrace=False)
            time.sleep(0.05)

    def kinds(self) -> set[str]:
        return {request(0)[0] for request in self.requests}

    def __enter__(self) -> "Flow":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self.thread.join(timeout=REQUEST_TIMEOUT + 5)
        assert not self.thread.is_alive(), "the client thread did not stop"


# ---------------------------------------------------------------------------------------------
# PostgreSQL goes away and comes back

SUCCESS = {"item": 200, "list": 200, "create": 201, "readyz": 200, "healthz": 200}
NEEDS_DATABASE = ("item", "list", "create")


def database_calls() -> list[Callable[[int], tuple]]:
    """Calls that reach the database even with the response cache on: a query string the
    cache has not seen (the cache key holds it; the endpoints ignore the parameter), or a
    write. Plus both probes."""
    return [
        lambda n: ("item", "GET", f"/api/users/{1 + n % SEEDED}?n={n}", None),
        lambda n: ("list", "GET", f"/api/users?per_page={1 + n % 25}&n={n}", None),
        lambda n: (
            "create",
            "POST",
            "/api/users",
            {"name": f"Fault {n}", "email": f"fault-{n}-{uuid.uuid4().hex[:8]}@example.com"},
        ),
        lambda n: ("readyz", "GET", "/readyz", None),
        lambda n: ("healthz", "GET", "/healthz", None),
    ]


def successes_after(flow: Flow, moment: float) -> dict[str, int]:
    counts = dict.fromkeys(flow.kinds(), 0)
    for done in list(flow.calls):
        if done.start >= moment and done.status == SUCCESS[done.kind]:
            counts[done.kind] += 1
    return counts


@dataclass
class Outage:
    """When PostgreSQL was being stopped, was down, was being started, was back."""

    stopping: float
    stopped: float
    starting: float
    started: float

    def down(self, calls: list[Call]) -> list[Call]:
        return [c for c in calls if c.start >= self.stopped and c.end <= self.starting]


def restart_postgresql(postgresql: ThrowawayPostgres, flow: Flow) -> Outage:
    """Once every kind of call has succeeded, stop PostgreSQL for DOWN seconds and start it
    again; return once every kind of call succeeds again."""
    flow.wait_until(
        lambda: min(successes_after(flow, 0).values()) >= 3,
        RECOVERY,
        "every kind of call succeeds before the outage",
    )
    stopping = time.monotonic()
    postgresql.stop()  # a fast shutdown: it closes the service's connections
    stopped = time.monotonic()
    time.sleep(DOWN)
    starting = time.monotonic()
    postgresql.start()  # same port, same data
    started = time.monotonic()
    flow.wait_until(
        lambda: min(successes_after(flow, started + GRACE).values()) >= 3,
        RECOVERY,
        "every kind of call succeeds again once PostgreSQL is back",
    )
    return Outage(stopping, stopped, starting, started)


def outage_problems(calls: list[Call], outage: Outage) -> list[str]:
    """What went wrong: an answer that is not JSON, a failure outside the outage, an answer
    while PostgreSQL was down other than a JSON 5xx (a 503 from /readyz, a 200 from /healthz)."""
    problems = [f"{c} (no answer, or not JSON)" for c in calls if c.error or not c.is_json]
    # Around the outage any answer will do (JSON, in time); before and after it, only success.
    calm = [c for c in calls if c.end < outage.stopping - GRACE or c.start > outage.started + GRACE]
    problems += [f"{c} (outside the outage)" for c in calm if c.status != SUCCESS[c.kind]]
    for c in outage.down(calls):
        if c.kind in NEEDS_DATABASE:
            well_formed = isinstance(c.body, dict) and {"error", "message"} <= c.body.keys()
            if not (500 <= (c.status or 0) <= 599 and well_formed):
                problems.append(f"{c} (while down: expected a JSON 5xx error)")
        elif c.kind == "readyz":
            checks = c.body.get("checks", {}) if isinstance(c.body, dict) else {}
            if c.status != 503 or checks.get("database") != "unavailable":
                problems.append(f"{c} (while down: expected 503, database unavailable)")
        elif c.status != 200:
            problems.append(f"{c} (while down: /healthz touches no database)")
    return problems


def describe_outage(label: str, calls: list[Call], outage: Outage) -> str:
    """For `pytest -s`: what the outage looked like."""
    down = outage.down(calls)
    statuses: dict[str, dict[str, int]] = {}
    for c in down:
        status = f"{c.status} {c.body.get('error') or c.body.get('status')}"
        statuses.setdefault(c.kind, {}).setdefault(status, 0)
        statuses[c.kind][status] += 1
    started = outage.started
    late = [c.end - started for c in calls if c.end > started and c.status != SUCCESS[c.kind]]
    return (
        f"\n[postgresql {label}] {len(calls)} calls, "
        f"{len(down)} while down; stop {outage.stopped - outage.stopping:.2f} s, start "
        f"{started - outage.starting:.2f} s; slowest call {max(c.duration for c in calls):.2f} s; "
        f"last failure ended {max(late, default=0):.2f} s after the start; while down: {statuses}"
    )


@pytest.fixture(scope="module")
def postgresql():
    """One throwaway server for both projects; each test leaves it running."""
    with required(throwaway(ThrowawayPostgres)) as server:
        yield server


@pytest.mark.parametrize(
    "answers", [pytest.param(ALL_ON, id="all-on"), pytest.param(ALL_OFF, id="all-off")]
)
def test_postgresql_restart_while_requests_flow(tmp_path, postgresql, answers):
    name = "faults_all_on" if answers["use_caching"] else "faults_all_off"
    project = bake({**answers, "database": "postgresql"}, tmp_path)
    env = project_env(project, DATABASE_URL=create_database(postgresql.url, name))
    init_db_and_seed(project, env, SEEDED)
    with gunicorn(project, env, tmp_path / "gunicorn.log") as service:
        workers = service.wait_ready()
        try:
            with Flow(service.port, database_calls()) as flow:
                outage = restart_postgresql(postgresql, flow)
        finally:
            if not postgresql.running():
                postgresql.start()
        assert service.process.poll() is None, "gunicorn exited"
        assert service.workers() == workers, "gunicorn's workers were replaced"
        log = service.log()

    calls = flow.calls
    problems = outage_problems(calls, outage)
    assert not problems, "\n".join(problems[:20]) + f"\n--- gunicorn log ---\n{log}"
    down = outage.down(calls)
    assert {c.kind for c in down} == set(SUCCESS), "some kind of call missed the outage"
    assert max(c.duration for c in calls) < REQUEST_TIMEOUT
    print(describe_outage("all-on" if answers["use_caching"] else "all-off", calls, outage))


HELD = (
    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND state = %s AND query LIKE %s"
    " AND state_change < clock_timestamp() - interval '0.5 seconds'"  # and it stays there
)
# (request, its last statement, the state its connection waits in, the answer)
HELD_REQUESTS = {
    # A read runs in autocommit mode: nothing is left to roll back at the end.
    "read": (("GET", "/api/users/1"), "%FROM addresses%", "idle", 200),
    # A write that found nothing ends with its transaction open: closing the session rolls it
    # back, a round trip that the dead connection fails.
    "failed-write": (("DELETE", "/api/users/999999"), "%FROM users%", "idle in transaction", 404),
}


@pytest.mark.parametrize("held_request", HELD_REQUESTS.values(), ids=HELD_REQUESTS.keys())
def test_connection_lost_between_the_last_query_and_the_end_of_the_request(
    tmp_path, postgresql, held_request
):
    """A connection that dies after a request's last query, before the request ends (a restart
    or failover at that moment, idle_in_transaction_session_timeout, a proxy dropping it): the
    answer is complete, the client must get it. The all-off project logs synchronously: its
    access line is written after the view and before the request's session is closed, so a
    log sink that stalls holds the request exactly there, its connection idle, while the test
    ends that connection from the server's side."""
    (method, path), last_statement, state, status = held_request
    name = "faults_lost"
    project = bake({**ALL_OFF, "database": "postgresql"}, tmp_path)
    env = project_env(project, DATABASE_URL=create_database(postgresql.url, name))
    init_db_and_seed(project, env, SEEDED)
    admin = make_url(postgresql.url).set(drivername="postgresql")
    sink = LogPipe(tmp_path / "log.fifo")
    try:
        with (
            gunicorn(project, env | {"LOG_FILE": str(sink.path)}, tmp_path / "g.log") as service,
            psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as db,
            ThreadPoolExecutor(1) as client,
        ):
            service.wait_ready()
            try:
                sink.stall()
                answer = client.submit(call, service.port, method, path)
                deadline = time.monotonic() + REQUEST_TIMEOUT / 2
                while not (held := db.execute(HELD, (name, state, last_statement)).fetchall()):
                    if answer.done() or time.monotonic() > deadline:
                        pytest.fail(f"the log sink did not hold the request: {answer.result()}")
                    time.sleep(0.02)
                db.execute("SELECT pg_terminate_backend(%s)", held[0])
                while db.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s", held[0]
                ).fetchall():
                    if time.monotonic() > deadline:
                        pytest.fail("the connection did not end")
                    time.sleep(0.02)
            finally:
                sink.flow()  # the request goes on, its connection gone
            lost = answer.result(timeout=REQUEST_TIMEOUT + 5)
            after = call(service.port, "GET", "/api/users/1")
            log = service.log()
    finally:
        sink.close()
    assert lost.status == status and lost.is_json, f"{lost}\n--- gunicorn log ---\n{log}"
    assert after.status == 200 and after.is_json, str(after)


# ---------------------------------------------------------------------------------------------
# Redis goes away and comes back


def rename_directly(database: Path, user_id: int) -> str:
    """Change a user's name behind the service's back: a cached answer still shows the old one."""
    name = f"Renamed {uuid.uuid4().hex[:8]}"
    with contextlib.closing(sqlite3.connect(database, timeout=10)) as connection, connection:
        connection.execute("UPDATE users SET name = ? WHERE id = ?", (name, user_id))
    return name


def served_from_cache(port: int, database: Path, user_id: int) -> bool:
    """Read a user, rename it in the database, read it again: the old name means a cache hit."""
    path = f"/api/users/{user_id}"
    before = call(port, "GET", path)
    new_name = rename_directly(database, user_id)
    after = call(port, "GET", path)
    assert before.status == after.status == 200, (str(before), str(after))
    assert after.body["name"] in (before.body["name"], new_name), str(after)
    return after.body["name"] == before.body["name"]


def list_ids(port: int) -> set[int]:
    page = call(port, "GET", "/api/users?per_page=100")
    assert page.status == 200, str(page)
    return {user["id"] for user in page.body["items"]}


def reads(n: int) -> tuple:
    if n % 2:
        return ("item", "GET", f"/api/users/{1 + n % SEEDED}", None)
    return ("list", "GET", f"/api/users?per_page={1 + n % 10}", None)


def redis_project(tmp_path: Path, redis_url: str) -> tuple[Path, Path, dict[str, str]]:
    """The all-on project with the Redis cache on SQLite, migrated and seeded: (project,
    database file, environment)."""
    project = bake({**ALL_ON, "cache_backend": "redis", "database": "sqlite"}, tmp_path)
    database = tmp_path / "users.sqlite3"
    env = project_env(
        project,
        DATABASE_URL=f"sqlite:///{database}",
        REDIS_URL=redis_url,
        CACHE_RETRY_AFTER=str(CACHE_RETRY_AFTER),
    )
    init_db_and_seed(project, env, SEEDED)
    return project, database, env


def while_redis_is_down(port: int, database: Path) -> set[int]:
    """For longer than CACHE_RETRY_AFTER (the service tries Redis again meanwhile): writes
    succeed, /readyz says "degraded", and reads come fresh from the database, whichever worker
    answers. Returns the ids of the users created."""
    stopped = time.monotonic()
    created: set[int] = set()
    while time.monotonic() < stopped + CACHE_RETRY_AFTER + 1.5:
        if len(created) < 40:  # the list below reads them all in one page
            email = f"{uuid.uuid4().hex}@example.com"
            new = call(port, "POST", "/api/users", {"name": "During", "email": email})
            assert new.status == 201, f"a write while Redis is down: {new}"
            created.add(new.body["id"])
        ready = call(port, "GET", "/readyz")
        assert ready.status == 200, f"/readyz while Redis is down: {ready}"
        assert ready.body == {
            "status": "degraded",
            "checks": {"database": "ok", "redis": "unavailable"},
        }
        assert call(port, "GET", "/healthz").status == 200
        assert created <= list_ids(port), "a read missed a write (Redis down)"
        assert not served_from_cache(port, database, 2), "a hit with Redis down"
        time.sleep(0.02)
    return created


def once_redis_is_back(flow: Flow, port: int, database: Path, created: set[int]) -> tuple:
    """/readyz says ok again and the cache serves reads again, but none of its entries from
    before the outage hides a write made during it, on any worker. Returns the seconds each
    took."""
    back = time.monotonic()
    flow.wait_until(
        lambda: call(port, "GET", "/readyz").body["status"] == "ok",
        RECOVERY,
        "/readyz says ok once Redis is back",
    )
    ready_again = time.monotonic() - back

    def cache_used_again() -> bool:
        assert created <= list_ids(port), "a cached list hides a write (Redis back)"
        return served_from_cache(port, database, 3)

    flow.wait_until(cache_used_again, RECOVERY, "the cache serves reads again")
    cached_again = time.monotonic() - back
    for _ in range(10):  # both workers, whichever answers
        assert created <= list_ids(port), "a cached list hides a write (Redis back)"
    return ready_again, cached_again


def test_redis_stopped_while_requests_flow(tmp_path):
    with required(throwaway(ThrowawayRedis)) as redis_server:
        project, database, env = redis_project(tmp_path, redis_server.url)
        with gunicorn(project, env, tmp_path / "gunicorn.log") as service:
            port = service.port
            workers = service.wait_ready()
            with Flow(port, [reads]) as flow:
                # Redis up: reads are cached, the list among them (kept through the outage).
                flow.wait_until(
                    lambda: served_from_cache(port, database, 1), RECOVERY, "a cache hit"
                )
                ids_before = list_ids(port)
                assert list_ids(port) == ids_before

                redis_server.stop(save=True)  # its entries come back with it
                stopped = time.monotonic()
                created = while_redis_is_down(port, database)
                redis_server.start()  # with the entries and generation of before the outage
                back = time.monotonic()
                ready_again, cached_again = once_redis_is_back(flow, port, database, created)
            assert service.workers() == workers, "gunicorn's workers were replaced"
            log = service.log()

    failed = [str(c) for c in flow.calls if c.status != 200 or not c.is_json]
    assert not failed, "\n".join(failed[:20]) + f"\n--- gunicorn log ---\n{log}"
    assert max(c.duration for c in flow.calls) < REQUEST_TIMEOUT
    outage = [c for c in flow.calls if stopped <= c.start and c.end <= back]
    assert outage, "no read happened while Redis was down"
    print(
        f"\n[redis all-on] {len(flow.calls)} reads ({len(outage)} while down), all 200; "
        f"slowest read {max(c.duration for c in flow.calls):.2f} s, slowest while down "
        f"{max(c.duration for c in outage):.2f} s; {len(created)} writes while down; "
        f"/readyz 200 {ready_again:.2f} s and cache hits {cached_again:.2f} s after the start"
    )


def test_a_worker_that_missed_a_redis_restart_serves_none_of_the_entries_it_reloaded(tmp_path):
    """Redis restarts with its saved entries. Service A wrote while it was down, so its new
    generation never reached Redis; service B served nothing meanwhile and noticed nothing (its
    client reconnects on its own). B's reads must still show A's write."""
    with required(throwaway(ThrowawayRedis)) as redis_server:
        project, database, env = redis_project(tmp_path, redis_server.url)
        with (
            gunicorn(project, env, tmp_path / "a.log") as a,
            gunicorn(project, env, tmp_path / "b.log") as b,
        ):
            a.wait_ready()
            b.wait_ready()
            assert served_from_cache(b.port, database, 1), "B's reads are not cached"
            ids = list_ids(b.port)
            for _ in range(6):  # cached, and read by both of B's workers
                assert list_ids(b.port) == ids

            redis_server.stop(save=True)  # its entries and generation come back with it
            email = f"{uuid.uuid4().hex}@example.com"
            new = call(a.port, "POST", "/api/users", {"name": "During", "email": email})
            assert new.status == 201, f"a write while Redis is down: {new}"
            redis_server.start()

            for _ in range(10):  # both of B's workers, whichever answers
                assert new.body["id"] in list_ids(b.port), (
                    f"B served a list that Redis reloaded from before the write\n{b.log()}"
                )
