"""The service under a real gunicorn on 127.0.0.1 with 2 workers, with and without --preload:
every request is answered, and after SIGTERM the log sink holds exactly one access record per
request, even when the sink is too slow to keep up. What gunicorn answers itself, before the
app sees a request, is JSON in the app's error shape."""

import contextlib
import http.client
import json
import logging
import multiprocessing
import os
import runpy
import secrets
import signal
import socket
import sys
import time
from collections.abc import Iterator
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pytest
from gunicorn.app import wsgiapp

from {{ cookiecutter.project_slug }} import logs
from {{ cookiecutter.project_slug }} import security

CONFIG = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
ACCESS = "{{ cookiecutter.project_slug }}.access"
REQUESTS = 32
SINK_DELAY = 0.005  # seconds per record: some are still waiting to be written at SIGTERM
LIMIT_REQUEST_LINE = 8190  # bytes, gunicorn.conf.py


class Gunicorn(wsgiapp.WSGIApplication):
    """The `gunicorn` command; each worker leaves a file in `ready` once it handles signals
    and requests (a SIGTERM that reaches a worker still booting is lost, in gunicorn itself)."""

    def __init__(self, ready: Path) -> None:
        self.ready = ready
        super().__init__("%(prog)s [OPTIONS] [APP_MODULE]")

    def load_config(self) -> None:
        super().load_config()
        self.cfg.set("post_worker_init", lambda worker: (self.ready / str(worker.pid)).touch())


def serve(argv: list[str], environ: dict[str, str], ready: Path) -> None:
    """gunicorn with this command line, in a process forked from this one, with a slow sink."""
    os.environ.update(environ)
    make_sink = logs.make_sink

    def slow_sink(config: Mapping[str, Any]) -> logging.Handler:
        sink = make_sink(config)
        emit = sink.emit

        def slow_emit(record: logging.LogRecord) -> None:
            time.sleep(SINK_DELAY)
            emit(record)

        sink.emit = slow_emit  # type: ignore[method-assign]  # this sink only, slowed down
        return sink

    logs.make_sink = slow_sink
    sys.argv = ["gunicorn", *argv]
    Gunicorn(ready).run()


def wait_for_workers(ready: Path, count: int, server: BaseProcess) -> None:
    deadline = time.monotonic() + 20
    while len(list(ready.iterdir())) < count:
        assert server.is_alive(), "gunicorn exited"
        assert time.monotonic() < deadline, "gunicorn's workers did not start"
        time.sleep(0.01)


def call(
    port: int, method: str, path: str, body: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, json.dumps(body) if body else None, headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def get(port: int, request_id: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/api/users", headers={"X-Request-ID": request_id})
        return connection.getresponse().status
    finally:
        connection.close()


@contextlib.contextmanager
def running_gunicorn(
    test_settings: dict[str, Any], tmp_path: Path, preload: bool, **environ: str
) -> Iterator[int]:
    """gunicorn with 2 workers and gunicorn.conf.py; yields its port once both workers run, and
    stops it (SIGTERM) on the way out, asserting that it exited cleanly."""
    # The test binds the socket and gunicorn inherits it: no other process can take the port
    # in between, and requests wait in its backlog until a worker is ready.
    server_socket = socket.create_server(("127.0.0.1", 0))
    environ = {
        **{name: str(value) for name, value in test_settings.items()},
        "SECRET_KEY": secrets.token_hex(32),
        "WEB_CONCURRENCY": "2",
        **environ,
    }
    argv = ["--config", str(CONFIG), "--bind", f"fd://{server_socket.fileno()}"]
    if preload:
        argv.append("--preload")
    ready = tmp_path / "ready"
    ready.mkdir()
    server = multiprocessing.get_context("fork").Process(target=serve, args=(argv, environ, ready))
    server.start()
    assert server.pid is not None
    try:
        wait_for_workers(ready, 2, server)
        yield server_socket.getsockname()[1]
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.join(timeout=30)
        if server.is_alive():  # hung: leave no server behind (its workers exit with it)
            server.kill()
            server.join()
        server_socket.close()
    assert server.exitcode == 0


PRELOAD = pytest.mark.parametrize(
    "preload",
    [pytest.param(False, id="workers-load-the-app"), pytest.param(True, id="preloaded-app")],
)


@pytest.mark.slow  # a real server: CI runs it
@pytest.mark.usefixtures("app")  # tables created and empty
@PRELOAD
def test_after_sigterm_the_sink_holds_one_access_record_per_request(
    test_settings: dict[str, Any], tmp_path: Path, preload: bool
) -> None:
    log_file = tmp_path / "access.log"
    ids = [f"gunicorn-{n}" for n in range(REQUESTS)]
    settings = {"LOG_FILE": str(log_file), "LOG_FORMAT": "json"}
    with (
        running_gunicorn(test_settings, tmp_path, preload, **settings) as port,
        ThreadPoolExecutor(8) as clients,  # records arrive faster than the sink writes them
    ):
        statuses = list(clients.map(get, [port] * len(ids), ids))
    assert statuses == [200] * REQUESTS

    records = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert sorted(r["request_id"] for r in records if r["logger"] == ACCESS) == sorted(ids)
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "simple" %}


@pytest.mark.slow  # a real server: CI runs it
@pytest.mark.usefixtures("app")  # tables created and empty
@PRELOAD
def test_a_write_through_one_worker_is_seen_by_every_worker(
    test_settings: dict[str, Any], tmp_path: Path, preload: bool
) -> None:
    with running_gunicorn(test_settings, tmp_path, preload) as port:
        before = [call(port, "GET", "/api/users") for _ in range(20)]  # cached by both workers
        created = call(port, "POST", "/api/users", {"name": "Ada", "email": "ada@example.com"})
        after = [call(port, "GET", "/api/users") for _ in range(20)]
    assert [body["items"] for _, body in before] == [[]] * 20
    assert created[0] == 201
    assert [[user["name"] for user in body["items"]] for _, body in after] == [["Ada"]] * 20
{%- endif %}


@pytest.fixture(scope="module")
def gunicorn_port(
    test_settings: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    """One gunicorn for the tests of what it answers itself (no test here changes its state)."""
    with running_gunicorn(test_settings, tmp_path_factory.mktemp("gunicorn"), False) as port:
        yield port


def send(port: int, head: bytes) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Sends these bytes as they are (http.client refuses to send most of the requests below);
    the answer's status, headers and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head)
        response = http.client.HTTPResponse(connection)
        response.begin()
        return response.status, response.headers, response.read()


def get_healthz(request_line_length: int = 0, headers: tuple[bytes, ...] = ()) -> bytes:
    """GET /healthz, its request line padded to the length asked for by the query string."""
    start, end = b"GET /healthz?padding=", b" HTTP/1.1"
    padding = b"a" * max(request_line_length - len(start) - len(end), 0)
    head = [start + padding + end, b"Host: 127.0.0.1", b"Connection: close", *headers]
    return b"\r\n".join(head) + b"\r\n\r\n"


def assert_json_error(
    answer: tuple[int, http.client.HTTPMessage, bytes], status: int, error: str
) -> None:
    """The app's error shape, with the headers the app gives every error answer."""
    got_status, headers, body = answer
    assert got_status == status
    assert headers["Content-Type"] == "application/json"
    assert {name: headers[name] for name in security.HEADERS} == security.HEADERS
    assert headers["Cache-Control"] == "no-store"
    document = json.loads(body)
    assert list(document) == ["error", "message"]
    assert document["error"] == error
    assert document["message"].endswith(".")


@pytest.mark.slow  # a real server: CI runs it
def test_a_request_line_of_8190_bytes_reaches_the_app(gunicorn_port: int) -> None:
    status, _, body = send(gunicorn_port, get_healthz(LIMIT_REQUEST_LINE))
    assert (status, json.loads(body)) == (200, {"status": "ok"})


@pytest.mark.slow  # a real server: CI runs it
def test_a_longer_request_line_gets_a_json_414_from_gunicorn(gunicorn_port: int) -> None:
    answer = send(gunicorn_port, get_healthz(LIMIT_REQUEST_LINE + 1))
    assert_json_error(answer, 414, "uri-too-long")


@pytest.mark.slow  # a real server: CI runs it
def test_more_than_100_header_fields_get_a_json_431_from_gunicorn(gunicorn_port: int) -> None:
    headers = tuple(b"X-Field-%d: 1" % number for number in range(100))  # and Host, Connection
    answer = send(gunicorn_port, get_healthz(headers=headers))
    assert_json_error(answer, 431, "request-header-fields-too-large")


@pytest.mark.slow  # a real server: CI runs it
def test_a_header_field_over_8190_bytes_gets_a_json_431_from_gunicorn(gunicorn_port: int) -> None:
    answer = send(gunicorn_port, get_healthz(headers=(b"X-Field: " + b"a" * 8190,)))
    assert_json_error(answer, 431, "request-header-fields-too-large")


NOT_HTTP = {
    "not-a-request-line": b"garbage\r\n\r\n",
    "unknown-http-version": b"GET /healthz HTTP/9.9\r\n\r\n",
    "header-without-colon": b"GET /healthz HTTP/1.1\r\nNo colon\r\n\r\n",
}


@pytest.mark.slow  # a real server: CI runs it
@pytest.mark.parametrize("head", NOT_HTTP.values(), ids=NOT_HTTP.keys())
def test_a_request_that_is_not_http_gets_a_json_400_from_gunicorn(
    gunicorn_port: int, head: bytes
) -> None:
    assert_json_error(send(gunicorn_port, head), 400, "bad-request")


@pytest.mark.slow  # a real server: CI runs it
def test_gthread_workers_answer_in_json_too(test_settings: dict[str, Any], tmp_path: Path) -> None:
    threads = {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "2"}
    with running_gunicorn(test_settings, tmp_path, False, **threads) as port:
        answer = send(port, get_healthz(LIMIT_REQUEST_LINE + 1))
    assert_json_error(answer, 414, "uri-too-long")


@pytest.mark.parametrize("secret_key", [None, "", "too-short-to-be-random"])
def test_gunicorn_refuses_to_start_without_a_real_secret_key(
    monkeypatch: pytest.MonkeyPatch, secret_key: str | None
) -> None:
    if secret_key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret_key)
    with pytest.raises(SystemExit, match="Set SECRET_KEY to a random string of at least 32"):
        runpy.run_path(str(CONFIG))


def test_gunicorn_starts_with_a_secret_key_of_32_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(16))
    settings = runpy.run_path(str(CONFIG))
    assert settings["wsgi_app"] == "{{ cookiecutter.project_slug }}:create_app()"


@pytest.mark.parametrize(
    ("name", "value", "minimum"),
    [("WEB_CONCURRENCY", "0", 1), ("WEB_CONCURRENCY", "two", 1), ("GUNICORN_TIMEOUT", "-5", 0)],
)
def test_gunicorn_refuses_settings_that_are_not_whole_numbers(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, minimum: int
) -> None:
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(16))
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match=f"{name} must be a whole number of at least {minimum}"):
        runpy.run_path(str(CONFIG))
