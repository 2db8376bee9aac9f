"""Connection pooling: requests reuse a bounded set of connections."""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import MakeApp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy import event
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from {{ cookiecutter.project_slug }} import config
from {{ cookiecutter.project_slug }} import db
from {{ cookiecutter.project_slug }} import pooling
from {{ cookiecutter.project_slug }}.config import ConfigError


class PoolWatch:
    """Counts real connects, checkouts, and the peaks of connections checked out and open at
    once (an overflow connection is closed when it comes back, so a later burst opens another:
    connects may pass size + overflow, connections open at once may not)."""

    def __init__(self, engine: Engine) -> None:
        self.connects = 0
        self.checkouts = 0
        self.checked_out = 0
        self.peak = 0
        self.open = 0
        self.peak_open = 0
        self._lock = threading.Lock()
        event.listen(engine, "connect", self._on_connect)
        event.listen(engine, "close", self._on_close)
        event.listen(engine, "close_detached", self._on_close)
        event.listen(engine, "checkout", self._on_checkout)
        event.listen(engine, "checkin", self._on_checkin)

    def _on_connect(self, *_args: object) -> None:
        with self._lock:
            self.connects += 1
            self.open += 1
            self.peak_open = max(self.peak_open, self.open)

    def _on_close(self, *_args: object) -> None:
        with self._lock:
            self.open -= 1

    def _on_checkout(self, *_args: object) -> None:
        with self._lock:
            self.checkouts += 1
            self.checked_out += 1
            self.peak = max(self.peak, self.checked_out)

    def _on_checkin(self, *_args: object) -> None:
        with self._lock:
            self.checked_out -= 1


def watch(app: Flask) -> PoolWatch:
    with app.app_context():
        return PoolWatch(db.get_engine())


def test_fifty_sequential_requests_open_at_most_one_connection(
    app: Flask, client: FlaskClient
) -> None:
    pool = watch(app)
    for _ in range(50):  # /readyz: never cached, each one takes a connection from the pool
        assert client.get("/readyz").status_code == 200
    assert pool.checkouts == 50
    assert pool.connects <= 1


@pytest.mark.slow
def test_concurrent_requests_never_hold_more_than_pool_size_plus_overflow(
    make_app: MakeApp,
) -> None:
    app = make_app(DB_POOL_SIZE=2, DB_MAX_OVERFLOW=1)

    @app.get("/slow")
    def slow() -> dict[str, bool]:
        db.get_session().execute(text("SELECT 1"))
        threading.Event().wait(0.05)  # hold the connection while other requests arrive
        return {"ok": True}

    pool = watch(app)
    with ThreadPoolExecutor(max_workers=8) as executor:
        responses = list(executor.map(lambda _: app.test_client().get("/slow"), range(24)))
    assert [response.status_code for response in responses] == [200] * 24
    assert 1 < pool.peak <= 3
    assert pool.peak_open <= 3


def checked_in(engine: Engine) -> int:
    """The connections idle in the engine's pool, whichever pool it has now (a fork replaces it)."""
    assert isinstance(engine.pool, QueuePool)
    return engine.pool.checkedin()


def test_a_forked_worker_starts_with_an_empty_pool_and_leaves_the_parents_alone(
    app: Flask, client: FlaskClient
) -> None:
    assert client.get("/readyz").status_code == 200
    with app.app_context():
        engine = db.get_engine()
    assert checked_in(engine) == 1
    pid = os.fork()
    if pid == 0:  # the child, as in a gunicorn worker of a preloaded app
        os._exit(0 if checked_in(engine) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert checked_in(engine) == 1
    assert client.get("/readyz").status_code == 200  # the parent's connection still works


def test_pool_settings_come_from_the_configuration(make_app: MakeApp) -> None:
    app = make_app(DB_POOL_SIZE=7, DB_MAX_OVERFLOW=3, DB_POOL_TIMEOUT=9, DB_POOL_RECYCLE=60)
    with app.app_context():
        pool = db.get_engine().pool
    assert isinstance(pool, QueuePool)
    assert pool.size() == 7
    assert pool.timeout() == 9
    # No public getter for these: the pool's own attributes, read for this check alone.
    assert pool._max_overflow == 3
    assert pool._recycle == 60
    assert pool._pre_ping is False  # pings only after idling: see ping_if_idle


def test_pool_settings_are_read_from_the_environment() -> None:
    environ = {
        "DB_POOL_SIZE": "3",
        "DB_MAX_OVERFLOW": "0",
        "DB_POOL_TIMEOUT": "4",
        "DB_POOL_RECYCLE": "600",
        "DB_POOL_PING_AFTER": "0",
    }
    values = config.from_env("/srv/instance", environ)
    expected = {
        "DB_POOL_SIZE": 3,
        "DB_MAX_OVERFLOW": 0,
        "DB_POOL_TIMEOUT": 4,
        "DB_POOL_RECYCLE": 600,
        "DB_POOL_PING_AFTER": 0,
    }
    assert values.items() >= expected.items()


class Pings:
    """Counts the pings the pool sends, whoever sends them (pool_pre_ping calls do_ping too)."""

    def __init__(self, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        with app.app_context():
            dialect = db.get_engine().dialect
        ping = dialect.do_ping

        def counted(dbapi_connection: object) -> bool:
            self.count += 1
            return ping(dbapi_connection)  # type: ignore[arg-type]

        monkeypatch.setattr(dialect, "do_ping", counted)


def sit_idle(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the pool's clock reads DB_POOL_PING_AFTER seconds later than it is."""
    idle = app.config["DB_POOL_PING_AFTER"]
    monkeypatch.setattr(pooling, "monotonic", lambda: time.monotonic() + idle)


def test_a_connection_used_moments_ago_is_handed_out_without_a_ping(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = Pings(app, monkeypatch)
    statuses = [client.get("/readyz").status_code for _ in range(5)]
    assert statuses == [200] * 5
    assert pings.count == 0


def test_a_connection_idle_for_db_pool_ping_after_seconds_is_pinged_before_use(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get("/readyz").status_code == 200
    pings = Pings(app, monkeypatch)
    sit_idle(app, monkeypatch)
    assert client.get("/readyz").status_code == 200
    assert pings.count == 1


@pytest.mark.parametrize(("name", "value"), [("DB_POOL_SIZE", "0"), ("DB_MAX_OVERFLOW", "-1")])
def test_unusable_pool_settings_are_rejected_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        config.from_env("/srv/instance", {name: value})
{%- if cookiecutter.database == "postgresql" %}


def test_an_idle_connection_killed_by_the_server_is_replaced_without_a_failed_request(
    app: Flask, client: FlaskClient, cleaner: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get("/readyz").status_code == 200  # the pool now holds a connection
    pool = watch(app)
    with cleaner.connect() as connection:  # every other connection to the database dies
        # With a timeout, pg_terminate_backend returns once the backend has exited, not as
        # soon as it was signalled: a backend still alive could answer the ping, then die.
        terminated = connection.execute(
            text(
                "SELECT array_agg(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    assert terminated and all(terminated)
    sit_idle(app, monkeypatch)
    assert client.get("/readyz").status_code == 200
    assert pool.connects == 1  # the dead connection was noticed by the ping and replaced
{%- endif %}
