"""The Redis cache is shared by every worker, and a Redis outage never fails a request."""

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import MakeApp
from conftest import MakeUser
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sql_counter import count_statements
from sqlalchemy.engine import make_url
from test_caching import emails
from test_caching import write_behind_the_cache

from {{ cookiecutter.project_slug }} import db
from {{ cookiecutter.project_slug }}.caching_redis import GENERATION_KEY
from {{ cookiecutter.project_slug }}.caching_redis import RedisProcess
from {{ cookiecutter.project_slug }}.caching_redis import cache

REDIS_DOWN = "redis://127.0.0.1:1/0"


def new_worker(make_app: MakeApp, **overrides: Any) -> FlaskClient:
    return make_app(**overrides).test_client()


def test_a_write_in_one_worker_is_seen_by_the_others(
    make_app: MakeApp, make_user: MakeUser, client: FlaskClient
) -> None:
    other_worker = new_worker(make_app)
    assert other_worker.get("/api/users").get_json()["items"] == []  # now cached in Redis
    make_user()  # written through the first worker
    assert len(other_worker.get("/api/users").get_json()["items"]) == 1


def test_seed_run_from_a_shell_is_seen_by_every_worker(
    make_app: MakeApp, client: FlaskClient
) -> None:
    assert emails(client) == []  # now cached in Redis
    result = make_app().test_cli_runner().invoke(args=["seed", "--users", "2"])
    assert result.exit_code == 0, result.output
    assert len(emails(client)) == 2


def test_invalidate_cache_run_from_a_shell_is_seen_by_every_worker(
    make_app: MakeApp, client: FlaskClient
) -> None:
    shell = make_app()
    assert emails(client) == []  # now cached in Redis
    write_behind_the_cache(shell, "direct@example.com")
    assert emails(client) == []  # still the cached answer
    result = shell.test_cli_runner().invoke(args=["invalidate-cache"])
    assert result.exit_code == 0, result.output
    assert emails(client) == ["direct@example.com"]


def test_invalidate_cache_with_redis_down_fails_saying_nothing_was_invalidated(
    make_app: MakeApp,
) -> None:
    result = make_app(REDIS_URL=REDIS_DOWN).test_cli_runner().invoke(args=["invalidate-cache"])
    assert result.exit_code == 1
    assert "Error: Redis does not answer: nothing was invalidated" in result.output


def test_seed_with_redis_down_seeds_and_warns_that_cached_answers_may_be_stale(
    make_app: MakeApp,
) -> None:
    shell = make_app(REDIS_URL=REDIS_DOWN)
    result = shell.test_cli_runner().invoke(args=["seed", "--users", "1"])
    assert result.exit_code == 0, result.output
    assert "Seeded 1 users" in result.output
    assert "Warning: Redis does not answer" in result.output


def test_with_redis_down_requests_are_served_from_the_database(
    app: Flask, make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    client = new_worker(make_app, REDIS_URL=REDIS_DOWN)
    with caplog.at_level(logging.WARNING):
        created = client.post("/api/users", json={"name": "Ada", "email": "ada@example.com"})
        listed = client.get("/api/users")
        again = client.get("/api/users")
    assert created.status_code == 201
    assert listed.status_code == again.status_code == 200
    assert [user["email"] for user in again.get_json()["items"]] == ["ada@example.com"]
    assert "Redis does not answer" in caplog.text
    # Still ready (the database serves everything), and saying what is missing.
    readiness = client.get("/readyz")
    assert readiness.status_code == 200
    assert readiness.json == {
        "status": "degraded",
        "checks": {"database": "ok", "redis": "unavailable"},
    }


def test_an_evicted_generation_key_revives_no_older_entry(app: Flask, client: FlaskClient) -> None:
    assert client.get("/api/users").get_json()["items"] == []  # cached before any write
    write_behind_the_cache(app, "direct@example.com")
    with app.app_context():
        cache.delete(GENERATION_KEY)  # as Redis's eviction, or a FLUSHDB, would
    assert len(client.get("/api/users").get_json()["items"]) == 1


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    """A client of the cache's Redis server, for what the cache does not show."""
    with Redis.from_url(redis_url) as client:
        yield client


def test_keys_carry_the_run_id_of_the_redis_process(
    app: Flask, client: FlaskClient, redis: Redis
) -> None:
    # A restarted Redis draws a new run_id: the entries it reloads from disk, saved before
    # writes that could not reach it, are never served (tests/test_faults.py of the template
    # restarts a real one).
    client.get("/api/users")
    info = redis.info("server")
    assert isinstance(info, dict)  # a synchronous client's answer
    run_id = info["run_id"]
    keys = [key.decode() for key in redis.scan_iter(f"{app.config['CACHE_KEY_PREFIX']}*")]
    assert RedisProcess.run_id == run_id
    entries = [key for key in keys if "/api/users" in key]
    assert entries
    assert all(f"users:{run_id}." in key for key in entries)


def test_a_redis_user_without_info_still_gets_a_working_cache(
    make_app: MakeApp, redis_url: str, redis: Redis
) -> None:
    # INFO is in the @dangerous ACL category, which hosted Redis users often lack: the keys
    # then go without a run_id, and the cache still works.
    user = f"no-info-{uuid.uuid4().hex}"  # test runs may share the server
    redis.acl_setuser(
        user,
        enabled=True,
        passwords=["+secret"],
        keys=["*"],
        categories=["+@all"],
        commands=["-info"],
    )
    try:
        url = make_url(redis_url).set(username=user, password="secret")
        worker = make_app(REDIS_URL=url.render_as_string(hide_password=False))
        client = worker.test_client()
        assert client.get("/api/users").status_code == 200
        with worker.app_context():
            engine = db.get_engine()
        with count_statements(engine) as executed:
            assert client.get("/api/users").status_code == 200
        assert executed == []  # a hit
        assert client.get("/readyz").status_code == 200
    finally:
        redis.acl_deluser(user)
