"""Soak the all-on service: bounded mixed load, then checks for lost writes and memory growth.

A bounded run of mixed reads and writes, then a check that no write was lost and that the
workers' memory levels off.

    python -m bench.soak                      # 60 s, 64 connections; writes docs/soak.md
    python -m bench.soak --duration 300 --connections 32 --database sqlite

(from the template's folder, like bench/run.py)

What it does:
- bakes the all-on project (every toggle on, default sub-choices) with the Redis cache when a
  Redis is available (REDIS_URL, else a throwaway redis-server), so that a write through one
  worker invalidates the others' reads; on PostgreSQL when one is available (as bench/run.py:
  BENCH_DATABASE_URL, else a throwaway server), else SQLite;
- migrates and seeds it (2,000 users x 3 addresses) and serves it with its own gunicorn.conf.py
  on 127.0.0.1: 2 gthread workers (1 with the per-process cache), threads enough for every
  connection, a database pool as large as the threads, no max_requests recycling (a leak must
  show), a fixed SECRET_KEY, logs to a file; `--worker-class sync` serves it with sync workers
  instead (one request at a time each, and a new connection for every request: sync workers
  answer `Connection: close`), to set the two side by side;
- drives it for --duration seconds with --connections keep-alive clients (threads, http.client,
  10 s timeout per request, at most --max-requests in all): cursor walks of the list, reads of
  seeded users and of the client's own, creates (unique emails), patches, addresses added,
  deletes, and a few expected 409s and 404s; each client checks that it reads its own writes,
  and reconnects before 5% of its requests (so it moves between workers);
- samples every worker's RSS (/proc/<pid>/status) after the warm-up, at the middle and at the
  end; flags unbounded growth when a worker still grows by more than --memory-threshold MiB in
  the second half;
- checks afterwards that every created and not deleted user reads back (200, same name and
  email, every address added), every deleted one is a 404, and a walk of the whole list holds
  exactly the users expected;
- writes docs/soak.md and docs/soak.json; exits 1 on any 5xx, lost write, inconsistent read,
  unexpected status, replaced worker or unbounded memory growth.
Every socket targets 127.0.0.1; gunicorn and the throwaway servers are stopped on the way out,
Ctrl-C and errors included.
"""

import argparse
import contextlib
import datetime
import gzip
import http.client
import json
import math
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import brotli

from bench import run
from tests.harness import (
    ALL_ON,
    Gunicorn,
    ServiceMissing,
    ThrowawayRedis,
    bake,
    children,
    cpu_ticks,
    gunicorn,
    project_env,
    server_url,
)

USERS, ADDRESSES = run.USERS, run.ADDRESSES  # seeded; never written by the load
PER_PAGE = 50
MISSING_ID = 2_000_000_000  # a valid id (below 2**31) that no user will have
MIB = 1024 * 1024
ACCEPT_ENCODING = "gzip, br"
# Weights of the request kinds, and the status each must answer.
MIX = {
    "list": 30,
    "read": 25,
    "read-own": 10,
    "create": 12,
    "patch": 8,
    "address": 8,
    "delete": 3,
    "conflict": 2,
    "missing": 2,
}
EXPECTED = {
    "list": 200,
    "read": 200,
    "read-own": 200,
    "create": 201,
    "patch": 200,
    "address": 201,
    "delete": 204,
    "conflict": 409,
    "missing": 404,
}
TICKS = os.sysconf("SC_CLK_TCK")
KEEP_LIVE = 5
ADDRESSES_MAX = 20  # the generated API's cap per user (models.ADDRESSES_MAX): then a 409
# The share of requests for which a client first opens a new connection: keep-alive pins a
# client to one worker, and a client that moves reads its writes through another worker.
RECONNECT = 0.05  # a client deletes only while it has more live users than this


# ---------------------------------------------------------------------------------------------
# HTTP


class Failed(Exception):
    """A request without an answer: connection error or timeout."""


class Connection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1, reopened after an error or a close."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None):
        """(status, headers, decoded JSON or None, milliseconds); raises Failed."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        headers = {"Accept-Encoding": ACCEPT_ENCODING}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            kind = "timeout" if isinstance(error, TimeoutError) else type(error).__name__
            raise Failed(kind) from error
        elapsed = (time.perf_counter() - start) * 1000
        if response.will_close:
            self.close()
        encoding = response.getheader("Content-Encoding", "")
        if encoding == "br":
            raw = brotli.decompress(raw)
        elif encoding == "gzip":
            raw = gzip.decompress(raw)
        payload = None
        if raw and response.getheader("Content-Type", "").startswith("application/json"):
            payload = json.loads(raw)
        return response.status, response.headers, payload, elapsed

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# ---------------------------------------------------------------------------------------------
# The load


@dataclass
class Own:
    """A user a client created: what the service must answer for it."""

    id: int
    name: str
    email: str
    addresses: set[int] = field(default_factory=set)
    uncertain: bool = False  # a write to it got no answer: its state is unknown
    deleted: bool = False


@dataclass
class Tally:
    """One client's record of the run."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[str, int]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)  # "kind: error" -> count
    unexpected: list[dict] = field(default_factory=list)  # the first examples
    inconsistent: list[dict] = field(default_factory=list)  # reads that missed a write
    users: list[Own] = field(default_factory=list)
    uncertain_creates: list[str] = field(default_factory=list)  # emails
    requests: int = 0

    def note(self, kind: str, status: int, ms: float) -> None:
        self.requests += 1
        self.latencies.setdefault(kind, []).append(ms)
        by_status = self.statuses.setdefault(kind, {})
        by_status[str(status)] = by_status.get(str(status), 0) + 1

    def fail(self, kind: str, error: str) -> None:
        self.requests += 1
        key = f"{kind}: {error}"
        self.failures[key] = self.failures.get(key, 0) + 1


class Client:
    """One connection's worth of load, with the users it created."""

    def __init__(self, number, port, timeout, seeded, tag, deadline, tickets, stop) -> None:
        self.number, self.seeded, self.tag = number, seeded, tag
        self.deadline, self.tickets, self.stop = deadline, tickets, stop
        self.http = Connection(port, timeout)
        self.random = random.Random(f"{tag}-{number}")
        self.tally = Tally()
        self.live: list[Own] = []
        self.cursor: str | None = None
        self.last_id = 0  # the last id of the list walk so far
        self.serial = 0
        self.kinds, self.weights = list(MIX), list(MIX.values())

    def run(self) -> Tally:
        try:
            while (
                time.monotonic() < self.deadline
                and not self.stop.is_set()
                and next(self.tickets, None) is not None
            ):
                kind = self.random.choices(self.kinds, self.weights)[0]
                if kind in ("read-own", "patch", "address", "delete") and not self.live:
                    kind = "create"
                if kind == "delete" and len(self.live) <= KEEP_LIVE:
                    kind = "address"
                if self.random.random() < RECONNECT:
                    self.http.close()
                getattr(self, "do_" + kind.replace("-", "_"))(kind)
        finally:
            self.http.close()
        return self.tally

    def call(self, kind: str, method: str, path: str, body: dict | None = None):
        """The answer, or None when there was none (counted as a failure)."""
        try:
            status, headers, payload, ms = self.http.request(method, path, body)
        except Failed as error:
            self.tally.fail(kind, str(error))
            return None
        self.tally.note(kind, status, ms)
        if status != EXPECTED[kind] and len(self.tally.unexpected) < 20:
            self.tally.unexpected.append(
                {"kind": kind, "method": method, "path": path, "status": status, "body": payload}
            )
        return status, headers, payload

    def inconsistent(self, kind: str, path: str, problem: str) -> None:
        self.tally.inconsistent.append({"kind": kind, "path": path, "problem": problem})

    def email(self) -> str:
        self.serial += 1
        return f"soak-{self.tag}-c{self.number}-{self.serial}@example.com"

    def do_list(self, kind: str) -> None:
        path = f"/api/users?per_page={PER_PAGE}"
        if self.cursor:
            path += f"&cursor={self.cursor}"
        answer = self.call(kind, "GET", path)
        if not answer or answer[0] != 200:
            self.cursor, self.last_id = None, 0
            return
        ids = [item["id"] for item in answer[2]["items"]]
        if ids != sorted(set(ids)) or (ids and ids[0] <= self.last_id):
            self.inconsistent(kind, path, f"ids out of order after {self.last_id}: {ids[:5]}...")
        self.cursor = answer[2]["next_cursor"]
        self.last_id = ids[-1] if ids and self.cursor else 0
        if not self.cursor:
            self.cursor, self.last_id = None, 0

    def do_read(self, kind: str) -> None:
        user_id, email = self.random.choice(self.seeded)
        answer = self.call(kind, "GET", f"/api/users/{user_id}")
        if answer and answer[0] == 200 and answer[2]["email"] != email:
            self.inconsistent(kind, f"/api/users/{user_id}", f"email {answer[2]['email']!r}")

    def do_read_own(self, kind: str) -> None:
        user = self.random.choice(self.live)
        path = f"/api/users/{user.id}"
        answer = self.call(kind, "GET", path)
        if not answer or user.uncertain:
            return
        status, _, body = answer
        if status != 200:
            self.inconsistent(kind, path, f"status {status} for a user created and not deleted")
            return
        problem = _differences(user, body)
        if problem:
            self.inconsistent(kind, path, problem)

    def do_create(self, kind: str) -> None:
        name, email = f"Soak {self.number}-{self.serial + 1}", self.email()
        answer = self.call(kind, "POST", "/api/users", {"name": name, "email": email})
        if not answer:
            self.tally.uncertain_creates.append(email)
            return
        status, headers, body = answer
        if status != 201:
            return
        location = headers.get("Location", "")
        user_id = int(location.rsplit("/", 1)[-1]) if location.rsplit("/", 1)[-1].isdigit() else 0
        if not user_id or body.get("id") != user_id or body.get("email") != email:
            self.inconsistent(kind, location, f"Location {location!r}, body {body!r}")
            user_id = user_id or body.get("id", 0)
        user = Own(user_id, name, email)
        self.tally.users.append(user)
        self.live.append(user)

    def do_patch(self, kind: str) -> None:
        user = self.random.choice(self.live)
        change = {"name": f"Soak {self.number} patched {self.random.randrange(10**6)}"}
        if self.random.random() < 0.3:
            change["email"] = self.email()
        path = f"/api/users/{user.id}"
        answer = self.call(kind, "PATCH", path, change)
        if not answer:
            user.uncertain = True
            return
        if answer[0] != 200:
            return
        user.name = change["name"]
        user.email = change.get("email", user.email)
        if not user.uncertain and _differences(user, answer[2]):
            self.inconsistent(kind, path, _differences(user, answer[2]))

    def do_address(self, kind: str) -> None:
        roomy = [user for user in self.live if len(user.addresses) < ADDRESSES_MAX]
        if not roomy:
            return
        user = self.random.choice(roomy)
        body = {"street": f"{self.random.randrange(1, 10_000)} Soak Street", "city": "Loadville"}
        answer = self.call(kind, "POST", f"/api/users/{user.id}/addresses", body)
        if not answer:
            user.uncertain = True
        elif answer[0] == 201:
            user.addresses.add(answer[2]["id"])

    def do_delete(self, kind: str) -> None:
        user = self.live.pop(self.random.randrange(len(self.live)))
        answer = self.call(kind, "DELETE", f"/api/users/{user.id}")
        if not answer:
            user.uncertain = True
        elif answer[0] == 204:
            user.deleted = True

    def do_conflict(self, kind: str) -> None:
        _, email = self.random.choice(self.seeded)
        self.call(kind, "POST", "/api/users", {"name": "Taken", "email": email})

    def do_missing(self, kind: str) -> None:
        self.call(kind, "GET", f"/api/users/{MISSING_ID}")


def _differences(user: Own, body: dict) -> str:
    """What a user's JSON lacks of what was written to it ("" when nothing)."""
    problems = []
    if body.get("name") != user.name:
        problems.append(f"name {body.get('name')!r}, written {user.name!r}")
    if body.get("email") != user.email:
        problems.append(f"email {body.get('email')!r}, written {user.email!r}")
    found = {address["id"] for address in body.get("addresses", [])}
    if user.addresses - found:
        problems.append(f"addresses {sorted(user.addresses - found)} missing")
    if found - user.addresses and not user.uncertain:
        problems.append(f"addresses {sorted(found - user.addresses)} never added")
    return "; ".join(problems)


# ---------------------------------------------------------------------------------------------
# Memory


def rss_kib(pid: int) -> int | None:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def sample_workers(master: int) -> dict[int, int]:
    """{worker pid: RSS in KiB} for the gunicorn master's children."""
    found = {}
    for pid in children(master):
        kib = rss_kib(pid)
        if kib is not None:
            found[pid] = kib
    return found


def memory_verdict(marks: dict[str, dict[int, int]], threshold_mib: float) -> dict:
    """Growth per worker in the first and second half of the measured window."""
    workers = []
    for pid in sorted(marks["warm"]):
        warm, mid, end = (marks[mark].get(pid) for mark in ("warm", "mid", "end"))
        if mid is None or end is None:
            continue
        first, second = (mid - warm) / 1024, (end - mid) / 1024
        workers.append(
            {
                "pid": pid,
                "warm_mib": warm / 1024,
                "mid_mib": mid / 1024,
                "end_mib": end / 1024,
                "first_half_mib": first,
                "second_half_mib": second,
                "unbounded": second > threshold_mib,
            }
        )
    replaced = sorted(set(marks["end"]) ^ set(marks["warm"]))
    return {
        "threshold_mib": threshold_mib,
        "workers": workers,
        "replaced_workers": replaced,
        "unbounded": any(worker["unbounded"] for worker in workers),
    }


# ---------------------------------------------------------------------------------------------
# Checks after the load


def walk_list(port: int, timeout: float) -> list[dict]:
    """Every user, by walking the cursor pages."""
    http = Connection(port, timeout)
    users, cursor = [], None
    try:
        while True:
            path = "/api/users?per_page=100" + (f"&cursor={cursor}" if cursor else "")
            status, _, body, _ = http.request("GET", path)
            if status != 200:
                raise RuntimeError(f"GET {path}: {status} {body}")
            users += body["items"]
            cursor = body["next_cursor"]
            if not cursor:
                return users
    finally:
        http.close()


class ReadBack:
    """Every user the clients created, read back by 8 threads: as last written, or a 404 once
    deleted. Users with a write left unanswered are skipped (their state is unknown)."""

    def __init__(self, port: int, timeout: float, users: list[Own]) -> None:
        self.port, self.timeout = port, timeout
        self.queue = list(users)
        self.lock = threading.Lock()
        self.lost: list[dict] = []
        self.checked = {"users": 0, "addresses": 0, "deleted": 0, "uncertain_skipped": 0}

    def run(self) -> "ReadBack":
        threads = [threading.Thread(target=self._work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return self

    def _work(self) -> None:
        http = Connection(self.port, self.timeout)
        while (user := self._next()) is not None:
            if user.uncertain:
                with self.lock:
                    self.checked["uncertain_skipped"] += 1
                continue
            problem = self._problem(http, user)
            with self.lock:
                if user.deleted:
                    self.checked["deleted"] += 1
                else:
                    self.checked["users"] += 1
                    self.checked["addresses"] += len(user.addresses)
                if problem:
                    self.lost.append({"id": user.id, "email": user.email, "problem": problem})
        http.close()

    def _next(self) -> Own | None:
        with self.lock:
            return self.queue.pop() if self.queue else None

    @staticmethod
    def _problem(http: Connection, user: Own) -> str:
        """What the service answers for `user` that it should not ("" when nothing)."""
        try:
            status, _, body, _ = http.request("GET", f"/api/users/{user.id}")
        except Failed as error:
            return f"no answer ({error})"
        if user.deleted:
            return "" if status == 404 else f"deleted, but GET answers {status}"
        if status != 200:
            return f"created (201), GET answers {status}"
        return _differences(user, body)


def verify(port: int, timeout: float, tallies: list[Tally], seeded: list) -> dict:
    """Read back every write; walk the whole list."""
    users = [user for tally in tallies for user in tally.users]
    read_back = ReadBack(port, timeout, users).run()
    return {"checked": read_back.checked, "lost": read_back.lost} | check_the_list(
        walk_list(port, timeout), tallies, users, seeded
    )


def check_the_list(listed: list[dict], tallies: list[Tally], users: list[Own], seeded) -> dict:
    """The whole list: seeded + created - deleted, each once; unknown users are phantoms (a
    create whose answer was lost, if its email is among the uncertain ones)."""
    ids = [user["id"] for user in listed]
    by_email = {user["email"]: user for user in listed}
    uncertain = {email for tally in tallies for email in tally.uncertain_creates}
    seeded_ids = {user_id for user_id, _ in seeded}
    known = seeded_ids | {user.id for user in users if not user.deleted}
    expected = seeded_ids | {user.id for user in users if not user.deleted and not user.uncertain}
    missing_from_list = sorted(expected - set(ids))
    phantoms = [
        user["id"] for user in listed if user["id"] not in known and user["email"] not in uncertain
    ]
    return {
        "listed": len(listed),
        "list_duplicates": len(ids) - len(set(ids)),
        "list_ordered": ids == sorted(ids),
        "missing_from_list": missing_from_list[:50],
        "missing_from_list_count": len(missing_from_list),
        "phantoms": phantoms[:50],
        "phantom_count": len(phantoms),
        "uncertain_creates": len(uncertain),
        "uncertain_creates_found": sum(email in by_email for email in uncertain),
    }


def app_errors(log: Path, limit: int = 5) -> list[str]:
    """The first distinct ERROR records of the app's log, with their tracebacks."""
    found: list[str] = []
    if not log.exists():
        return found
    record: list[str] | None = None
    with open(log, errors="replace") as lines:
        for line in lines:
            starts_record = line[:4].isdigit() and line[4:5] == "-"
            if starts_record:
                if record and "\n".join(record) not in found:
                    found.append("".join(record))
                record = [line] if " ERROR " in line or " CRITICAL " in line else None
                if len(found) >= limit:
                    break
            elif record is not None:
                record.append(line)
    if record and len(found) < limit:
        found.append("".join(record))
    return found


def gunicorn_events(log: Path) -> dict[str, int]:
    text = log.read_text(errors="replace") if log.exists() else ""
    return {
        "booted_workers": text.count("Booting worker"),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
    }


# ---------------------------------------------------------------------------------------------
# Statistics and the report


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def summarize(tallies: list[Tally], elapsed: float) -> dict:
    kinds = {kind: summarize_kind(tallies, kind) for kind in MIX}
    every = [ms for kind in MIX for tally in tallies for ms in tally.latencies.get(kind, [])]
    failures: dict[str, int] = {}
    for tally in tallies:
        for key, count in tally.failures.items():
            failures[key] = failures.get(key, 0) + count
    answered = len(every)
    return {
        "requests": answered + sum(failures.values()),
        "answered": answered,
        "elapsed_s": elapsed,
        "rps": answered / elapsed if elapsed else 0.0,
        "p50_ms": percentile(every, 0.5),
        "p99_ms": percentile(every, 0.99),
        "max_ms": max(every, default=float("nan")),
        "status_5xx": sum(
            count
            for kind in kinds.values()
            for status, count in kind["statuses"].items()
            if status.startswith("5")
        ),
        "unexpected": sum(kind["unexpected"] for kind in kinds.values()),
        "connection_errors": failures,
        "kinds": kinds,
        "unexpected_examples": [example for tally in tallies for example in tally.unexpected][:20],
        "inconsistent_reads": [case for tally in tallies for case in tally.inconsistent],
    }


def summarize_kind(tallies: list[Tally], kind: str) -> dict:
    latencies = [ms for tally in tallies for ms in tally.latencies.get(kind, [])]
    statuses: dict[str, int] = {}
    for tally in tallies:
        for status, count in tally.statuses.get(kind, {}).items():
            statuses[status] = statuses.get(status, 0) + count
    failures = sum(
        count
        for tally in tallies
        for key, count in tally.failures.items()
        if key.startswith(kind + ":")
    )
    return {
        "answered": len(latencies),
        "failed": failures,
        "expected_status": EXPECTED[kind],
        "statuses": statuses,
        "unexpected": sum(c for s, c in statuses.items() if s != str(EXPECTED[kind])),
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies, default=float("nan")),
    }


def verdict(result: dict) -> list[str]:
    """The reasons the soak failed (empty when it passed)."""
    load, check, memory = result["load"], result["verify"], result["memory"]
    reasons = []
    if load["status_5xx"]:
        reasons.append(f"{load['status_5xx']} responses 5xx")
    if load["unexpected"] - load["status_5xx"]:
        reasons.append(f"{load['unexpected'] - load['status_5xx']} other unexpected statuses")
    if load["inconsistent_reads"]:
        reasons.append(f"{len(load['inconsistent_reads'])} reads that missed a write")
    if check["lost"]:
        reasons.append(f"{len(check['lost'])} lost writes")
    if check["missing_from_list_count"] or check["phantom_count"] or check["list_duplicates"]:
        reasons.append(
            f"list walk: {check['missing_from_list_count']} missing, "
            f"{check['phantom_count']} phantoms, {check['list_duplicates']} duplicates"
        )
    if memory["replaced_workers"]:
        reasons.append(f"workers replaced during the run: {memory['replaced_workers']}")
    if memory["unbounded"]:
        reasons.append(
            f"memory grows without bound (a worker grew more than {memory['threshold_mib']:g} "
            "MiB in the second half)"
        )
    return reasons


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.1f}"


def render(result: dict) -> str:
    lines = [
        *heading(result),
        *load_section(result["load"]),
        *writes_section(result["verify"]),
        *memory_section(result["memory"], result["context"]),
        *findings_section(result),
    ]
    return "\n".join(lines) + "\n"


def heading(result: dict) -> list[str]:
    context, load, failed = result["context"], result["load"], result["failed"]
    return [
        "# Soak",
        "",
        f"`{context['command']}` on {context['date']}: {context['machine']}.",
        "",
        f"All-on project on {context['database']}, cache backend {context['cache_backend']}; "
        f"gunicorn {context['workers']} {context['worker_class']} workers x "
        f"{context['threads']} threads, DB_POOL_SIZE {context['pool_size']}, no max_requests; "
        f"{context['seeded_users']:,} seeded users x {ADDRESSES} addresses; "
        f"{context['connections']} keep-alive clients (Python threads, http.client, "
        f"{context['timeout']:g} s timeout) for {context['duration']:g} s "
        f"(cap {context['max_requests']:,} requests), on the same machine. CPU used during "
        f"the load: gunicorn {context['server_cpu_s']:.0f} s, the clients "
        f"{context['client_cpu_s']:.0f} s."
        + (
            f" **The load stopped at the cap of {context['max_requests']:,} requests**, before "
            "the deadline: the memory marks are not spread over the run."
            if load["requests"] >= context["max_requests"]
            else ""
        ),
        "",
        "**Result: " + ("FAILED: " + "; ".join(failed) if failed else "passed") + ".**",
    ]


def load_section(load: dict) -> list[str]:
    errors = sum(load["connection_errors"].values())
    lines = [
        "",
        "## Load",
        "",
        f"- Requests: {load['requests']:,} in {load['elapsed_s']:.1f} s, "
        f"{load['rps']:,.0f} answered/s; p50 {_ms(load['p50_ms'])} ms, "
        f"p99 {_ms(load['p99_ms'])} ms, max {_ms(load['max_ms'])} ms.",
        f"- 5xx: {load['status_5xx']}; other unexpected statuses: "
        f"{load['unexpected'] - load['status_5xx']}; requests without an answer "
        f"(connection error or timeout): {errors}"
        + (
            " (" + ", ".join(f"{k} {v}" for k, v in load["connection_errors"].items()) + ")"
            if errors
            else ""
        )
        + f"; reads that missed a write: {len(load['inconsistent_reads'])}.",
        "",
        "| kind | answered | expected | statuses | no answer | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for kind, row in load["kinds"].items():
        statuses = ", ".join(f"{s}: {c:,}" for s, c in sorted(row["statuses"].items()))
        lines.append(
            f"| {kind} | {row['answered']:,} | {row['expected_status']} | {statuses} | "
            f"{row['failed']} | {_ms(row['p50_ms'])} | {_ms(row['p99_ms'])} | "
            f"{_ms(row['max_ms'])} |"
        )
    return lines


def writes_section(check: dict) -> list[str]:
    checked = check["checked"]
    lines = [
        "",
        "## Writes",
        "",
        f"- Checked after the load with GET: {checked['users']:,} created users still live "
        f"(name, email, {checked['addresses']:,} addresses added) and {checked['deleted']:,} "
        f"deleted ones (404); {checked['uncertain_skipped']} with a write left unanswered "
        "were not checked.",
        f"- Lost writes: **{len(check['lost'])}**.",
        f"- Walk of the whole list: {check['listed']:,} users, {check['list_duplicates']} "
        f"duplicates, in order: {'yes' if check['list_ordered'] else 'NO'}; expected users "
        f"missing: {check['missing_from_list_count']}; unknown users: {check['phantom_count']}; "
        f"creates without an answer: {check['uncertain_creates']} "
        f"({check['uncertain_creates_found']} of them present).",
    ]
    return lines + [f"  - lost: {case}" for case in check["lost"][:10]]


def memory_section(memory: dict, context: dict) -> list[str]:
    lines = [
        "",
        "## Memory",
        "",
        f"RSS of each gunicorn worker after the {context['warmup']:.3g} s warm-up, at the middle "
        "of the remaining time and at the end of the load. A worker whose memory is bounded "
        "levels off once its pools, caches and per-thread allocator arenas are filled; one that "
        f"still grows by more than {memory['threshold_mib']:g} MiB in the second half (in "
        "about half a minute by default, over a GiB a day) is flagged as growing without bound.",
        "",
        "| worker | after warm-up MiB | middle MiB | end MiB | first half | second half | "
        "verdict |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for worker in memory["workers"]:
        lines.append(
            f"| {worker['pid']} | {worker['warm_mib']:.1f} | {worker['mid_mib']:.1f} | "
            f"{worker['end_mib']:.1f} | {worker['first_half_mib']:+.1f} | "
            f"{worker['second_half_mib']:+.1f} | "
            + ("**grows without bound**" if worker["unbounded"] else "bounded")
            + " |"
        )
    if memory["replaced_workers"]:
        lines.append(f"\nWorkers replaced during the run: {memory['replaced_workers']}.")
    return lines


def findings_section(result: dict) -> list[str]:
    """gunicorn's events; the first unexpected answers, inconsistent reads and logged errors."""
    load, gunicorn_log = result["load"], result["gunicorn"]
    lines = [
        "",
        f"gunicorn: {gunicorn_log['booted_workers']} workers booted, "
        f"{gunicorn_log['worker_timeouts']} worker timeouts.",
    ]
    if load["unexpected_examples"]:
        lines += ["", "## Unexpected answers (first ones)", ""]
        lines += [f"- {json.dumps(example)[:400]}" for example in load["unexpected_examples"]]
    if load["inconsistent_reads"]:
        lines += ["", "## Reads that missed a write (first ones)", ""]
        lines += [f"- {json.dumps(case)[:400]}" for case in load["inconsistent_reads"][:20]]
    if result["app_errors"]:
        lines += ["", "## Errors logged by the service (first distinct ones)", "", "```"]
        lines += [error.rstrip()[-3000:] for error in result["app_errors"]]
        lines += ["```"]
    return lines


# ---------------------------------------------------------------------------------------------
# The run


def parse_args() -> argparse.Namespace:
    description = __doc__.splitlines()[0]
    parser = run.benchmark_parser(
        f"python -m {__spec__.name}", description, 60, "seconds of load", 64, "soak.md"
    )
    parser.add_argument(
        "--cache-backend",
        choices=("auto", "redis", "simple"),
        default="auto",
        help="auto: redis when a Redis is available",
    )
    parser.add_argument("--warmup", type=float, help="seconds before the first memory sample")
    parser.add_argument("--workers", type=int, help="gunicorn workers (2; 1 without Redis)")
    parser.add_argument("--threads", type=int, help="threads per worker (connections/workers)")
    parser.add_argument(
        "--worker-class",
        choices=("gthread", "sync"),
        default="gthread",
        help="gunicorn's worker class (default gthread; sync: 1 thread, no keep-alive)",
    )
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="hard cap")
    parser.add_argument("--timeout", type=float, default=10, help="seconds per request (10)")
    parser.add_argument(
        "--memory-threshold",
        type=float,
        default=10,
        help="MiB a worker may still grow in the second half (10)",
    )
    args = parser.parse_args()
    if args.duration < 10 or args.connections < 1 or args.max_requests < 1:
        parser.error("--duration must be at least 10 s, --connections and --max-requests >= 1")
    if args.warmup is None:
        args.warmup = min(10.0, args.duration / 6)
    if not 0 <= args.warmup < args.duration:
        parser.error("--warmup must be shorter than --duration")
    return args


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    workdir = Path(tempfile.mkdtemp(prefix="soak-10x-"))
    try:
        with contextlib.ExitStack() as stack:
            server, context = serve(args, workdir, stack)
            measured = soak(args, server, context)
    except (KeyboardInterrupt, SystemExit):  # Ctrl-C, SIGTERM: everything was stopped
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    except Exception:
        print(f"Logs kept in {workdir}", file=sys.stderr, flush=True)
        raise
    result = {
        "context": {
            "date": datetime.date.today().isoformat(),
            "machine": run.machine(),
            "command": "python -m bench.soak" + "".join(f" {arg}" for arg in sys.argv[1:]),
        }
        | context
        | measured["context"],
        "load": summarize(measured["tallies"], measured["elapsed"]),
        "verify": measured["checked"],
        "memory": memory_verdict(measured["marks"], args.memory_threshold)
        | {"samples": measured["marks"]["series"]},
        "gunicorn": gunicorn_events(workdir / "soak.gunicorn.log"),
        "app_errors": app_errors(workdir / "soak.log"),
    }
    result["failed"] = verdict(result)
    return write_report(args.output, result, workdir)


def serve(args, workdir: Path, stack: contextlib.ExitStack) -> tuple[Gunicorn, dict]:
    """The all-on project, baked, seeded and served (until `stack` closes), with a Redis cache
    when there is a Redis; the run's context so far."""
    redis_url = None
    if args.cache_backend != "simple":
        try:
            redis_url = stack.enter_context(server_url(ThrowawayRedis, os.environ.get("REDIS_URL")))
        except ServiceMissing as missing:
            if args.cache_backend == "redis":
                raise
            print(f"No Redis ({missing}): per-process cache, one worker", flush=True)
    database, urls = stack.enter_context(
        run.databases(args.database, workdir, names={"main": "soak_10x"})
    )
    backend = "redis" if redis_url else "simple"
    # With a per-process cache a write invalidates only its own worker: one worker, or the
    # read-back would see other workers' stale copies (the generated README says so).
    workers = args.workers or (2 if redis_url else 1)
    threads = args.threads or max(1, math.ceil(args.connections / workers))
    if args.worker_class == "sync":
        threads = 1
    print(f"Working in {workdir}; {database}, cache {backend}", flush=True)
    answers = {**ALL_ON, "database": database, "cache_backend": backend}
    project = bake(answers, workdir / "projects" / "soak")
    print("Migrating and seeding ...", flush=True)
    run.seed(project, urls["main"], USERS)
    extra = {"LOG_FILE": str(workdir / "soak.log"), "DB_POOL_SIZE": str(threads)}
    if redis_url:
        extra |= {"REDIS_URL": redis_url, "CACHE_KEY_PREFIX": f"soak-{os.getpid()}:"}
    env = project_env(project, DATABASE_URL=urls["main"], **extra)
    settings = {
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_WORKER_CLASS": args.worker_class,
        "GUNICORN_THREADS": str(threads),
    }
    log = workdir / "soak.gunicorn.log"
    server = stack.enter_context(gunicorn(project, env, log, settings=settings))
    server.wait_ready("/healthz")
    context = {"database": database, "cache_backend": backend, "workers": workers}
    served = {"worker_class": args.worker_class, "threads": threads, "pool_size": threads}
    return server, context | served


def soak(args, server: Gunicorn, context: dict) -> dict:
    """Drive the load, then check every write: the clients' tallies, the memory marks and the
    checks, with the rest of the run's context."""
    seeded = [(user["id"], user["email"]) for user in walk_list(server.port, args.timeout)]
    print(
        f"Serving on 127.0.0.1:{server.port}: {context['workers']} {context['worker_class']} "
        "workers x "
        f"{context['threads']} threads; {len(seeded):,} users; load for {args.duration:g} s, "
        f"{args.connections} connections",
        flush=True,
    )
    server_cpu = cpu_ticks(server.process.pid)
    client_cpu = time.process_time()
    tallies, marks, elapsed = drive(args, server, seeded, args.warmup)
    server_cpu = (cpu_ticks(server.process.pid) - server_cpu) / TICKS
    client_cpu = time.process_time() - client_cpu
    server.wait_idle()
    print("Checking every write ...", flush=True)
    checked = verify(server.port, args.timeout, tallies, seeded)
    run_context = {
        "seeded_users": len(seeded),
        "connections": args.connections,
        "duration": args.duration,
        "warmup": args.warmup,
        "timeout": args.timeout,
        "max_requests": args.max_requests,
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
    }
    measured = {"tallies": tallies, "marks": marks, "elapsed": elapsed, "checked": checked}
    return measured | {"context": run_context}


def write_report(output: Path, result: dict, workdir: Path) -> int:
    """docs/soak.json and docs/soak.md (or --output); 1 when the soak failed (logs kept)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    report = render(result)
    output.write_text(report)
    print(report)
    print(f"Wrote {output} (raw: {output.with_suffix('.json')})")
    if result["failed"]:
        print(f"Logs kept in {workdir}", flush=True)
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def drive(args, server, seeded, warmup: float):
    """Run the clients until the deadline; sample the workers' memory meanwhile."""
    stop = threading.Event()
    tag = f"{int(time.time())}"
    start = time.monotonic()
    deadline = start + args.duration
    # The hard cap: one ticket per request, shared by the clients (next() is atomic in CPython).
    tickets = iter(range(args.max_requests))
    clients = [
        Client(n, server.port, args.timeout, seeded, tag, deadline, tickets, stop)
        for n in range(args.connections)
    ]
    tallies: list[Tally | None] = [None] * len(clients)

    def work(index: int) -> None:
        tallies[index] = clients[index].run()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(clients))]
    marks: dict = {"series": []}
    at = {"warm": start + warmup, "mid": start + warmup + (args.duration - warmup) / 2}
    try:
        for thread in threads:
            thread.start()
        next_sample = start
        while any(thread.is_alive() for thread in threads):
            now = time.monotonic()
            if now >= next_sample and now < deadline:
                sample = sample_workers(server.process.pid)
                marks["series"].append({"t": round(now - start, 1), "rss_kib": sample})
                for mark, when in at.items():
                    if mark not in marks and now >= when:
                        marks[mark] = sample
                if now >= deadline - 1.0 and "end" not in marks and "mid" in marks:
                    marks["end"] = sample
                next_sample = now + 1.0
            time.sleep(0.1)
    except BaseException:
        stop.set()
        for thread in threads:
            thread.join(timeout=args.timeout + 5)
        raise
    elapsed = time.monotonic() - start
    marks.setdefault("end", sample_workers(server.process.pid))
    for mark in ("warm", "mid"):
        marks.setdefault(mark, marks["end"])
    done = [tally for tally in tallies if tally is not None]
    print(f"Load done: {sum(t.requests for t in done):,} requests in {elapsed:.1f} s", flush=True)
    return done, marks, elapsed


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted: gunicorn and the throwaway servers were stopped")
