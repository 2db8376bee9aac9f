"""Every request gets an id (honoured from X-Request-ID), echoed back and on every log record,
and one access line; LOG_FORMAT=json writes JSON lines."""

import json
import logging
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from typing import NoReturn

import pytest
from conftest import MakeApp
from flask.testing import FlaskClient

from {{ cookiecutter.project_slug }} import logs

ACCESS = "{{ cookiecutter.project_slug }}.access"
TIME = r"\d\d\d\d-\d\d-\d\d \d\d:\d\d:\d\d,\d\d\d"  # logging's default: 2026-01-31 23:59:59,999


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == ACCESS]


def test_an_incoming_request_id_is_echoed_and_logged(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    [record] = access_records(caplog)
    assert vars(record)["request_id"] == "abc-123"


@pytest.mark.parametrize("incoming", [None, "", "x" * 200, "no spaces allowed", "semi;colon"])
def test_a_missing_or_unusable_request_id_is_replaced(
    client: FlaskClient, incoming: str | None
) -> None:
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    request_id = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    assert len(request_id) == 32
    assert request_id != incoming


def test_each_request_writes_one_access_line(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        client.get("/api/users?a=1")
        client.get("/nowhere")
    first, second = (vars(record) for record in access_records(caplog))
    assert (first["method"], first["path"], first["status"]) == ("GET", "/api/users?a=1", 200)
    assert (second["path"], second["status"]) == ("/nowhere", 404)
    assert first["duration_ms"] >= 0
    assert first["request_id"] != second["request_id"]


def test_a_path_with_encoded_line_breaks_cannot_forge_a_line_of_the_text_log(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        client.get("/x%0AFORGED%20LINE%0D%E2%80%A8%C2%85")
    [record] = access_records(caplog)
    message = record.getMessage()
    assert message.startswith("GET /x\\nFORGED LINE\\r\\u2028\\x85 404 ")
    assert message.isprintable()
    assert (
        vars(record)["path"] == "/x\nFORGED LINE\r\u2028\x85"
    )  # the JSON format escapes by itself


def test_an_unhandled_exception_is_logged_with_its_traceback_and_request_id(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()

    @app.get("/boom")
    def boom() -> NoReturn:
        raise RuntimeError("kaboom")

    response = app.test_client().get("/boom", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert "kaboom" not in response.get_data(as_text=True)
    [error] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert vars(error)["request_id"] == "req-42"
    assert error.exc_info is not None
    assert error.exc_info[0] is RuntimeError


def test_json_format_writes_one_json_object_per_line(make_app: MakeApp, tmp_path: Path) -> None:
    log_file = tmp_path / "app.log"
    app = make_app(LOG_FILE=str(log_file), LOG_FORMAT="json")
    app.test_client().get("/healthz", headers={"X-Request-ID": "json-1"})
    for handler in logging.getLogger(app.import_name).handlers:
        handler.close()  # writes out what it holds, as logging.shutdown does at exit
    [line] = log_file.read_text().splitlines()
    entry = json.loads(line)
    assert entry["logger"] == ACCESS
    assert entry["request_id"] == "json-1"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/healthz", 200)


def test_the_traceback_of_an_unhandled_exception_reaches_the_log_file(
    make_app: MakeApp, tmp_path: Path
) -> None:
    log_file = tmp_path / "app.log"
    app = make_app(LOG_FILE=str(log_file), LOG_FORMAT="json")

    @app.get("/boom")
    def boom() -> NoReturn:
        raise RuntimeError("kaboom")

    app.test_client().get("/boom", headers={"X-Request-ID": "req-43"})
    for handler in logging.getLogger(app.import_name).handlers:
        handler.close()
    entries = [json.loads(line) for line in log_file.read_text().splitlines()]
    [error] = [entry for entry in entries if entry["level"] == "ERROR"]
    assert error["request_id"] == "req-43"
    assert "RuntimeError: kaboom" in error["exception"]


def written_lines(make_app: MakeApp, tmp_path: Path, log_format: str, path: str) -> list[str]:
    """The lines one request writes to LOG_FILE in that format, access line last."""
    log_file = tmp_path / "app.log"
    app = make_app(LOG_FILE=str(log_file), LOG_FORMAT=log_format)
    app.test_client().get(path, headers={"X-Request-ID": "req-7"})
    for handler in logging.getLogger(app.import_name).handlers:
        handler.close()
    return log_file.read_text(encoding="utf-8").splitlines()


def test_a_text_access_line_holds_time_level_logger_request_id_method_path_status_duration(
    make_app: MakeApp, tmp_path: Path
) -> None:
    line = written_lines(make_app, tmp_path, "text", "/nowhere%0Aelse?a=1")[-1]
    fields = (TIME, "INFO", re.escape(ACCESS), r"\[req-7\]", r"GET /nowhere\\nelse\?a=1 404")
    assert re.fullmatch(" ".join(fields) + r" \d+\.\d\dms", line)


def test_a_json_access_line_holds_time_level_logger_request_id_method_path_status_duration(
    make_app: MakeApp, tmp_path: Path
) -> None:
    entry = json.loads(written_lines(make_app, tmp_path, "json", "/nowhere%0Aelse?a=1")[-1])
    assert re.fullmatch(TIME, entry.pop("time"))
    assert isinstance(entry.pop("duration_ms"), float)
    assert entry == {
        "level": "INFO",
        "logger": ACCESS,
        "message": entry["message"],
        "request_id": "req-7",
        "method": "GET",
        "path": "/nowhere\nelse?a=1",
        "status": 404,
    }
    assert entry["message"].startswith("GET /nowhere\\nelse?a=1 404 ")


@pytest.mark.parametrize("created", [0.0, 0.999, 1.0, 1.5, 61.25, 1_800_000_000.123])
def test_a_log_lines_time_is_its_records_own_though_worked_out_once_a_second(
    created: float,
) -> None:
    formatter, standard = logs.Formatter(), logging.Formatter()
    for moment in (created, created + 0.0005, created + 1, created):
        record = logging.makeLogRecord({"created": moment, "msecs": moment % 1 * 1000})
        assert formatter.formatTime(record) == standard.formatTime(record)
    record = logging.makeLogRecord({"created": created, "msecs": 0.0})
    assert formatter.formatTime(record, "%H") == standard.formatTime(record, "%H")


class FailingStream:
    """A log destination whose every write fails, like a full disk or a closed pipe."""

    def __init__(self) -> None:
        self.writes = 0

    def write(self, _text: str) -> None:
        self.writes += 1
        raise OSError(28, "No space left on device")

    def flush(self) -> None:
        pass


def test_a_failing_log_sink_fails_no_request(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    failing, sinks = FailingStream(), []
    make_sink = logs.make_sink

    def failing_sink(config: Mapping[str, Any]) -> logging.Handler:
        sink = make_sink(config)
        assert isinstance(sink, logging.StreamHandler)  # LOG_FILE: a FileHandler
        sinks.append((sink, sink.stream))
        sink.stream = failing
        return sink

    monkeypatch.setattr(logs, "make_sink", failing_sink)
    monkeypatch.setattr(logging, "raiseExceptions", False)  # no "--- Logging error ---" report
    client = make_app(LOG_FILE=str(tmp_path / "app.log")).test_client()
    try:
        statuses = [client.get("/healthz").status_code for _ in range(20)]
        deadline = time.monotonic() + 10
        while failing.writes < 20 and time.monotonic() < deadline:
            time.sleep(0.01)  # the records may be written by another thread
    finally:
        for sink, stream in sinks:
            sink.stream = stream
    assert statuses == [200] * 20
    assert failing.writes >= 20  # every access line was tried, and failed
