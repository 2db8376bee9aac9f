"""The service under a real gunicorn on 127.0.0.1 with 2 workers, with and without --preload:
every request is answered, and after SIGTERM the log sink holds exactly one access record per
request, even when the sink is too slow to keep up."""

import http.client
import json
import multiprocessing
import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest
from gunicorn.app import wsgiapp

from {{ cookiecutter.project_slug }} import logs

CONFIG = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
ACCESS = "{{ cookiecutter.project_slug }}.access"
REQUESTS = 20
SINK_DELAY = 0.005  # seconds per record: records are still waiting to be written at SIGTERM


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(argv: list[str], environ: dict[str, str]) -> None:
    """What the `gunicorn` command runs, in a process forked from this one, with a slow sink."""
    os.environ.update(environ)
    make_sink = logs.make_sink

    def slow_sink(config):
        sink = make_sink(config)
        emit = sink.emit

        def slow_emit(record):
            time.sleep(SINK_DELAY)
            emit(record)

        sink.emit = slow_emit
        return sink

    logs.make_sink = slow_sink
    sys.argv = ["gunicorn", *argv]
    wsgiapp.run()


def wait_until_listening(port: int, server: multiprocessing.Process) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and server.is_alive():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except ConnectionRefusedError:
            time.sleep(0.01)
    raise AssertionError("gunicorn did not start listening")


def get(port: int, path: str, request_id: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"X-Request-ID": request_id})
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.usefixtures("app")  # tables created and empty
@pytest.mark.parametrize("preload", [False, True], ids=["workers-load-the-app", "preloaded-app"])
def test_after_sigterm_the_sink_holds_one_access_record_per_request(
    test_settings, tmp_path, preload
):
    port = free_port()
    log_file = tmp_path / "access.log"
    environ = {
        **{name: str(value) for name, value in test_settings.items()},
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "LOG_FILE": str(log_file),
        "LOG_FORMAT": "json",
    }
    argv = ["--config", str(CONFIG), *(["--preload"] if preload else [])]
    server = multiprocessing.get_context("fork").Process(target=serve, args=(argv, environ))
    server.start()
    ids = [f"gunicorn-{n}" for n in range(REQUESTS)]
    try:
        wait_until_listening(port, server)
        statuses = [get(port, "/api/users", request_id) for request_id in ids]
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.join(timeout=30)
    assert server.exitcode == 0
    assert statuses == [200] * REQUESTS

    records = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert sorted(r["request_id"] for r in records if r["logger"] == ACCESS) == sorted(ids)
