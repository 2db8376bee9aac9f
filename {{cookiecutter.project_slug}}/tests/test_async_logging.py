"""Asynchronous logging: a request only enqueues its records, a listener thread writes them, and
every queued record reaches the sink when logging shuts down, in a forked child too."""

import json
import logging
import os
import queue
import signal
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import MakeApp
from flask import Flask

from {{ cookiecutter.project_slug }} import async_logging
from {{ cookiecutter.project_slug }} import logs
from {{ cookiecutter.project_slug }}.async_logging import AsyncHandler

ACCESS = "{{ cookiecutter.project_slug }}.access"
AppWithSink = Callable[[logging.Handler], Flask]  # app_with_sink(sink): an app logging to sink


class GatedSink(logging.Handler):
    """A sink that writes nothing until the test opens its gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.gate.wait(timeout=10)
        self.records.append(record)


class SlowSink(logging.Handler):
    """A sink that takes `delay` seconds per record."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        time.sleep(self.delay)
        self.records.append(record)


@pytest.fixture
def app_with_sink(make_app: MakeApp, monkeypatch: pytest.MonkeyPatch) -> AppWithSink:
    """An app whose log records go to the given handler."""

    def build(sink: logging.Handler) -> Flask:
        monkeypatch.setattr(logs, "make_sink", lambda config: sink)
        return make_app()

    return build


def shut_down_logging(app: Flask) -> None:
    """Close the app's log handlers, as logging.shutdown does at exit (and gunicorn.conf.py
    when a worker exits)."""
    for handler in logging.getLogger(app.import_name).handlers:
        handler.close()


def access_ids(records: list[logging.LogRecord]) -> list[str]:
    return [record.__dict__["request_id"] for record in records if record.name == ACCESS]


def test_requests_finish_while_the_sink_is_blocked_and_no_record_is_lost(
    app_with_sink: AppWithSink,
) -> None:
    sink = GatedSink()
    app = app_with_sink(sink)
    client = app.test_client()
    ids = [f"blocked-{n}" for n in range(20)]
    statuses: list[int] = []

    def send() -> None:
        statuses.extend(
            client.get("/healthz", headers={"X-Request-ID": i}).status_code for i in ids
        )

    sender = threading.Thread(target=send)
    sender.start()
    sender.join(timeout=5)
    finished_while_blocked = not sender.is_alive()
    written_while_blocked = len(sink.records)
    sink.gate.set()
    sender.join()
    assert finished_while_blocked, "the requests waited for the sink"
    assert written_while_blocked == 0
    assert statuses == [200] * len(ids)

    shut_down_logging(app)
    assert access_ids(sink.records) == ids
    logging.getLogger(app.import_name).warning("logged after the shutdown")
    assert sink.records[-1].getMessage() == "logged after the shutdown"


class CountingQueue(queue.Queue[logging.LogRecord]):
    """A queue that counts the times a reader waited on it."""

    waits = 0

    def get(self, block: bool = True, timeout: float | None = None) -> logging.LogRecord:
        self.waits += block
        return super().get(block, timeout)


def test_records_logged_apart_are_written_in_batches_not_one_wakeup_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(async_logging, "BATCH_WAIT", 0.05)  # a margin for a busy machine
    sink = SlowSink(delay=0)
    handler = AsyncHandler([sink])
    handler.stop()
    handler.queue = CountingQueue()
    handler.start()
    logger = logging.getLogger("test.batches")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for n in range(40):
            logger.warning("record %d", n)
            time.sleep(0.0005)  # the logging thread waits, as a worker does between requests
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert [record.getMessage() for record in sink.records] == [f"record {n}" for n in range(40)]
    # 40 records over 20 ms or more: a batch or two, and one wait for the stop marker. A
    # listener that wakes for each record waits 41 times.
    assert handler.queue.waits <= 10


def test_a_stalled_sink_holds_a_bounded_queue_then_logging_waits_and_loses_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(async_logging, "MAX_QUEUED", 10)
    sink = GatedSink()
    handler = AsyncHandler([sink])
    logger = logging.getLogger("test.bounded")
    logger.propagate = False
    logger.addHandler(handler)

    def log_30() -> None:
        for n in range(30):
            logger.warning("record %d", n)

    writer = threading.Thread(target=log_30)
    writer.start()
    try:
        # The listener holds one batch at the sink's gate; the queue fills up to its bound, and
        # stays there: the writer waits.
        deadline = time.monotonic() + 10
        while handler.queue.qsize() < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        writer.join(timeout=0.2)
        assert writer.is_alive(), "30 records were queued for a sink that writes nothing"
        assert handler.queue.qsize() == 10
    finally:
        sink.gate.set()
        writer.join()
        logger.removeHandler(handler)
        handler.close()
    assert [record.getMessage() for record in sink.records] == [f"record {n}" for n in range(30)]


def test_a_traceback_is_formatted_by_the_thread_that_logged_it(app_with_sink: AppWithSink) -> None:
    # The listener thread must not format tracebacks: Python 3.11 parses source code to do so,
    # which breaks when another thread (werkzeug building a URL map) parses at the same time.
    sink = SlowSink(delay=0)
    app = app_with_sink(sink)
    try:
        raise RuntimeError("kaboom")
    except RuntimeError:
        logging.getLogger(app.import_name).exception("failed")
    shut_down_logging(app)
    (record,) = sink.records
    assert record.exc_info is None
    assert record.exc_text is not None
    assert record.exc_text.startswith("Traceback")
    assert record.exc_text.endswith("RuntimeError: kaboom")


@pytest.mark.slow
def test_a_sink_taking_20_ms_per_record_adds_nothing_to_request_latency(
    app_with_sink: AppWithSink,
) -> None:
    sink = SlowSink(delay=0.02)
    client = app_with_sink(sink).test_client()
    latencies: list[float] = []
    for n in range(20):
        start = time.perf_counter()
        client.get("/healthz", headers={"X-Request-ID": f"slow-{n}"})
        latencies.append(time.perf_counter() - start)
    # Written synchronously, every request would take at least the sink's 20 ms.
    assert statistics.median(latencies) < sink.delay

    shut_down_logging(client.application)
    assert access_ids(sink.records) == [f"slow-{n}" for n in range(20)]


def test_a_forked_child_writes_its_own_records_once_and_none_of_its_parents(
    make_app: MakeApp, tmp_path: Path
) -> None:
    log_file = tmp_path / "app.log"
    app = make_app(LOG_FILE=str(log_file), LOG_FORMAT="json")
    logger = logging.getLogger(app.import_name)
    logger.info("parent, before the fork")
    pid = os.fork()
    if pid == 0:  # the child: log, see its own listener write it, shut down, leave without pytest
        code = 1
        try:
            logger.info("child")
            deadline = time.monotonic() + 10
            while '"child"' not in log_file.read_text() and time.monotonic() < deadline:
                time.sleep(0.01)
            written_while_running = '"child"' in log_file.read_text()
            shut_down_logging(app)
            code = 0 if written_while_running else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while (waited := os.waitpid(pid, os.WNOHANG)) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung while shutting logging down")
        time.sleep(0.01)
    _, status = waited
    logger.info("parent, after the fork")
    shut_down_logging(app)

    assert os.waitstatus_to_exitcode(status) == 0
    messages = [json.loads(line)["message"] for line in log_file.read_text().splitlines()]
    assert sorted(messages) == ["child", "parent, after the fork", "parent, before the fork"]
