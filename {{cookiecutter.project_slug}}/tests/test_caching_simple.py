"""The simple cache: a cache per process, and a generation that every worker maps, so that a
write through one of them, or a `flask` command given the same file, invalidates them all."""

import logging
import os
import runpy
import secrets
import types
from pathlib import Path

import pytest
from conftest import MakeApp
from conftest import Seed
from flask import Flask
from test_caching import emails
from test_caching import write_behind_the_cache

from {{ cookiecutter.project_slug }}.caching_simple import Generations

GUNICORN_CONFIG = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_a_write_is_visible_even_after_the_full_cache_evicted_entries(
    make_app: MakeApp, seed: Seed
) -> None:
    seed(users=1)
    client = make_app(CACHE_THRESHOLD=3).test_client()
    (user,) = client.get("/api/users").get_json()["items"]  # cached before this app saw a write
    url = f"/api/users/{user['id']}"
    client.get(url)
    client.patch(url, json={"name": "After"})
    for n in range(2):  # one entry more than the cache holds: it prunes
        client.get(f"/api/users?fill={n}")
    assert client.get(url).get_json()["name"] == "After"


def test_a_write_through_one_worker_invalidates_the_cache_of_every_worker(
    make_app: MakeApp, tmp_path: Path
) -> None:
    # Two apps as two gunicorn workers: a cache each, one generation file (gunicorn.conf.py).
    generation = tmp_path / "cache-generation"
    generation.write_bytes(bytes(16))
    one, other = (make_app(CACHE_GENERATION_FILE=str(generation)).test_client() for _ in "12")
    assert other.get("/api/users").get_json()["items"] == []  # now in the other one's cache
    created = one.post("/api/users", json={"name": "Ada", "email": "ada@example.com"})
    assert created.status_code == 201
    assert [user["name"] for user in other.get("/api/users").get_json()["items"]] == ["Ada"]


def test_seed_run_from_a_shell_invalidates_a_server_given_the_same_generation_file(
    make_app: MakeApp, tmp_path: Path
) -> None:
    # A gunicorn worker and a `flask` command in another process, both started with the
    # same CACHE_GENERATION_FILE.
    path = str(tmp_path / "cache-generation")
    worker = make_app(CACHE_GENERATION_FILE=path).test_client()
    shell = make_app(CACHE_GENERATION_FILE=path)
    assert emails(worker) == []  # cached by the worker
    result = shell.test_cli_runner().invoke(args=["seed", "--users", "2"])
    assert result.exit_code == 0, result.output
    assert len(emails(worker)) == 2


def test_invalidate_cache_run_from_a_shell_invalidates_a_server_given_the_same_generation_file(
    make_app: MakeApp, tmp_path: Path
) -> None:
    path = str(tmp_path / "cache-generation")
    worker = make_app(CACHE_GENERATION_FILE=path).test_client()
    shell = make_app(CACHE_GENERATION_FILE=path)
    assert emails(worker) == []  # cached by the worker
    write_behind_the_cache(shell, "direct@example.com")
    assert emails(worker) == []  # still the cached answer
    result = shell.test_cli_runner().invoke(args=["invalidate-cache"])
    assert result.exit_code == 0, result.output
    assert emails(worker) == ["direct@example.com"]


def test_a_generation_file_that_does_not_exist_yet_is_made(
    make_app: MakeApp, tmp_path: Path
) -> None:
    path = tmp_path / "cache-generation"
    make_app(CACHE_GENERATION_FILE=str(path))
    assert path.read_bytes() == bytes(Generations.SIZE)


def test_invalidate_cache_without_a_generation_file_says_it_cannot_reach_the_server(
    app: Flask,
) -> None:
    result = app.test_cli_runner().invoke(args=["invalidate-cache"])
    assert result.exit_code == 1
    assert "CACHE_GENERATION_FILE is not set" in result.output


def test_gunicorn_uses_a_generation_file_set_in_the_environment_and_keeps_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = str(tmp_path / "cache-generation")
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(16))
    monkeypatch.setenv("CACHE_GENERATION_FILE", path)
    monkeypatch.setattr(logging, "shutdown", lambda: None)  # on_exit's, not for this process
    hooks = runpy.run_path(str(GUNICORN_CONFIG))
    server = types.SimpleNamespace()  # the gunicorn master
    hooks["on_starting"](server)
    assert os.environ["CACHE_GENERATION_FILE"] == path  # what the workers will map
    Path(path).write_bytes(bytes(16))  # as the first worker makes it
    hooks["on_exit"](server)
    assert Path(path).exists()


def test_gunicorn_without_a_generation_file_makes_a_temporary_one_and_removes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(16))
    monkeypatch.setenv("CACHE_GENERATION_FILE", "")  # restored after the test
    monkeypatch.setattr(logging, "shutdown", lambda: None)  # on_exit's, not for this process
    hooks = runpy.run_path(str(GUNICORN_CONFIG))
    server = types.SimpleNamespace()  # the gunicorn master
    hooks["on_starting"](server)
    path = Path(os.environ["CACHE_GENERATION_FILE"])
    assert path.read_bytes() == bytes(16)  # grown by the first worker that maps it
    hooks["on_exit"](server)
    assert not path.exists()
