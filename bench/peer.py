"""The FastAPI peer (bench/peer_fastapi.py) in the benchmark: served by uvicorn with 2 workers on
the benchmark's PostgreSQL database, counted in-process like the projects, and checked to answer
the same page as ours, so that the comparison is of equal work."""

import datetime
import http.client
import json
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.harness import SECRET_KEY, Gunicorn, children, project_env
from tests.options import TEMPLATE as ROOT

NAME = "FastAPI peer (uvicorn, 2 workers)"
WORKERS = 2


def asyncpg_url(url: str) -> str:
    """The benchmark's PostgreSQL URL (psycopg) for asyncpg."""
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def peer_env(database_url: str) -> dict[str, str]:
    return project_env(PEER_DATABASE_URL=asyncpg_url(database_url), SECRET_KEY=SECRET_KEY)


class Uvicorn(Gunicorn):
    """The peer under uvicorn, `workers` processes, on a socket bound here and inherited (as
    Gunicorn does); waited for, idled and stopped as a Gunicorn is."""

    def __init__(self, database_url: str, log: Path, workers: int = WORKERS) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.log_path = log
        self.worker_count = workers
        command = [sys.executable, "-m", "uvicorn", "peer_fastapi:app", "--app-dir"]
        command += [
            str(ROOT / "bench"),
            "--workers",
            str(workers),
            "--fd",
            str(self.socket.fileno()),
        ]
        with open(log, "wb") as output:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT / "bench",
                env=peer_env(database_url),
                stdout=output,
                stderr=subprocess.STDOUT,
                pass_fds=(self.socket.fileno(),),
                start_new_session=True,
            )

    def workers(self) -> set[int]:
        """The worker processes: uvicorn's master also runs multiprocessing's resource tracker."""
        found = set()
        for pid in children(self.process.pid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    if b"spawn_main" in cmdline.read():
                        found.add(pid)
            except OSError:
                continue
        return found


PROBE = """
import json, sys
from fastapi.testclient import TestClient
from sqlalchemy import event
from peer_fastapi import app, engine

path = sys.argv[1]
counts = {"statements": 0, "connections": 0}

@event.listens_for(engine.sync_engine, "before_cursor_execute")
def statement(*args):
    counts["statements"] += 1

@event.listens_for(engine.sync_engine, "connect")
def connect(*args):
    counts["connections"] += 1

with TestClient(app) as client:
    for _ in range(2):  # warm: the pool filled
        client.get(path)
    counts.update(statements=0, connections=0)
    repeat = 5
    for _ in range(repeat):
        response = client.get(path)
        assert response.status_code == 200, response.text
measured = {name: count / repeat for name, count in counts.items()}
measured["users"] = len(response.json()["items"])
print(json.dumps(measured))
"""


def probe(database_url: str, path: str) -> dict[str, float]:
    """SQL statements (BEGIN and ROLLBACK are not statements), connections opened and users
    per request of the peer, in-process, as bench/run.py counts them for the projects."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, path],
        cwd=ROOT / "bench",
        env=peer_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        raise RuntimeError(f"the peer's probe failed:\n{done.stderr}")
    return json.loads(done.stdout)


def page(port: int, path: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": "identity"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} on port {port}: {response.status} {body[:300]!r}")
    return json.loads(body)


def comparable(body: dict) -> dict:
    """A page with each `created_at` read as an instant: "...Z" and "...+00:00" are equal."""
    items = [
        item | {"created_at": datetime.datetime.fromisoformat(item["created_at"])}
        for item in body["items"]
    ]
    return body | {"items": items}


def check_same_page(our_port: int, peer_port: int, path: str) -> str:
    """Fail unless the peer answers `path`, and the page its next_cursor points to, as we do:
    the same items (ids, keys in order, values, addresses in order) and the same next_cursor.
    Returns what was compared."""
    ours = page(our_port, path)
    compare(ours, page(peer_port, path))
    if ours["next_cursor"] is not None:  # our cursor, read by the peer: the walk continues alike
        following = f"{path}&cursor={ours['next_cursor']}"
        compare(page(our_port, following), page(peer_port, following))
    ids = [item["id"] for item in ours["items"]]
    addresses = sum(len(item["addresses"]) for item in ours["items"])
    return (
        f"the same {len(ids)} users (ids {ids[0]} to {ids[-1]}) with the same keys, values and "
        f"{addresses} addresses, and the same next_cursor, which gave the same next page too"
    )


def compare(ours: dict, theirs: dict) -> None:
    if list(ours) != list(theirs):
        raise RuntimeError(f"the peer's page has the keys {list(theirs)}, ours {list(ours)}")
    ids = [item["id"] for item in ours["items"]]
    if ids != [item["id"] for item in theirs["items"]]:
        raise RuntimeError(f"the peer's page holds other users than ours ({ids[:5]} ...)")
    if [list(item) for item in ours["items"]] != [list(item) for item in theirs["items"]]:
        raise RuntimeError("the peer's users have other keys than ours, or in another order")
    if comparable(ours) != comparable(theirs):
        raise RuntimeError(f"the peer's page differs from ours:\n{ours}\n{theirs}")
