"""The Redis cache is shared by every worker, and a Redis outage never fails a request."""

import logging

from {{ cookiecutter.project_slug }}.caching import GENERATION_KEY, RedisProcess, cache


def new_worker(make_app, **overrides):
    return make_app(**overrides).test_client()


def test_a_write_in_one_worker_is_seen_by_the_others(make_app, make_user, client):
    other_worker = new_worker(make_app)
    assert other_worker.get("/api/users").json["items"] == []  # now cached in Redis
    make_user()  # written through the first worker
    assert len(other_worker.get("/api/users").json["items"]) == 1


def test_with_redis_down_requests_are_served_from_the_database(app, make_app, caplog):
    client = new_worker(make_app, REDIS_URL="redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING):
        created = client.post("/api/users", json={"name": "Ada", "email": "ada@example.com"})
        listed = client.get("/api/users")
        again = client.get("/api/users")
    assert created.status_code == 201
    assert listed.status_code == again.status_code == 200
    assert [user["email"] for user in again.json["items"]] == ["ada@example.com"]
    assert "Redis does not answer" in caplog.text
    assert client.get("/readyz").status_code == 503


def test_an_evicted_generation_key_revives_no_older_entry(app, client, seed):
    assert client.get("/api/users").json["items"] == []  # cached before any write
    seed(users=1)  # the data changes behind the cache's back
    with app.app_context():
        cache.delete(GENERATION_KEY)  # as Redis's eviction, or a FLUSHDB, would
    assert len(client.get("/api/users").json["items"]) == 1


def test_keys_carry_the_run_id_of_the_redis_process(app, client):
    # A restarted Redis draws a new run_id: the entries it reloads from disk, saved before
    # writes that could not reach it, are never served (tests/test_faults.py of the template
    # restarts a real one).
    client.get("/api/users")
    with app.app_context():
        redis = cache.cache._write_client
        run_id = redis.info("server")["run_id"]
        keys = [key.decode() for key in redis.scan_iter(f"{app.config['CACHE_KEY_PREFIX']}*")]
    assert RedisProcess.run_id == run_id
    entries = [key for key in keys if "/api/users" in key]
    assert entries
    assert all(f"users:{run_id}." in key for key in entries)
