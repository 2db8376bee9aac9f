"""Logging: one handler for the package's loggers (stdout or LOG_FILE, text or JSON lines), the
request id on every record, and one access line per request."""

import json
import logging
import random
import re
import sys
import time
from collections.abc import Mapping
from typing import Any
from typing import TextIO

from flask import Flask
from flask import Response
from flask import g
from flask import has_request_context
from flask import request

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# An incoming X-Request-ID is kept when it is short and plain; otherwise a new one is made.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
ACCESS_FIELDS = ("method", "path", "status", "duration_ms")
# What a decoded path may hold that would break a text log's lines (a %0A starts a forged one).
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
access_logger = logging.getLogger(f"{__package__}.access")


class StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to the current sys.stdout, resolved at write time (safe under test capture)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request it was logged in ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class Formatter(logging.Formatter):
    """logging's Formatter with its default time format worked out once per second rather than
    once per record (time.strftime was a third of what formatting an access line cost)."""

    second: tuple[int | None, str] = (None, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt:
            return super().formatTime(record, datefmt)
        second, stamp = self.second
        if second != int(record.created):
            second = int(record.created)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", self.converter(second))
            self.second = (second, stamp)  # one assignment: a thread reads old or new, whole
        return f"{stamp},{int(record.msecs):03d}"


class JSONFormatter(Formatter):
    """One JSON object per line: time, level, logger, message, request_id, access fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields = vars(record)
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": fields.get("request_id", "-"),
        }
        for name in ACCESS_FIELDS:
            if name in fields:
                entry[name] = fields[name]
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def make_sink(config: Mapping[str, Any]) -> logging.Handler:
    """The handler that writes the records: LOG_FILE or stdout, in LOG_FORMAT."""
    path = config["LOG_FILE"]
    sink = logging.FileHandler(path, encoding="utf-8") if path else StdoutHandler()
    json_lines = config["LOG_FORMAT"] == "json"
    sink.setFormatter(JSONFormatter() if json_lines else Formatter(TEXT_FORMAT))
    return sink


def init_app(app: Flask) -> None:
    handler = make_sink(app.config)
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger(app.import_name)
    for old in logger.handlers[:]:
        logger.removeHandler(old)
        old.close()
    logger.addHandler(handler)
    logger.setLevel(app.config["LOG_LEVEL"])
    app.before_request(_start_request)
    app.after_request(_log_access)


def _start_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    # 128 random bits: an id must be unique, not secret, so `random` (reseeded in each forked
    # worker) rather than uuid4, whose read of os.urandom costs a system call per request.
    g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else f"{random.getrandbits(128):032x}"
    g.request_started = time.perf_counter()


def _log_access(response: Response) -> Response:
    request_id = g.request_id
    response.headers["X-Request-ID"] = request_id
    if not access_logger.isEnabledFor(logging.INFO):
        return response
    duration_ms = round((time.perf_counter() - g.request_started) * 1000, 2)
    method, path, status = request.method, request.full_path.rstrip("?"), response.status_code
    printable = UNPRINTABLE.sub(_escaped, path)  # the JSON format escapes by itself
    message = f"{method} {printable} {status} {duration_ms:.2f}ms"
    # The record made directly and handed to the logger: Logger.info would first walk the stack
    # to find its caller (findCaller), which the formats here never show.
    record = logging.LogRecord(access_logger.name, logging.INFO, __file__, 0, message, None, None)
    record.__dict__.update(
        method=method,
        path=path,
        status=status,
        duration_ms=duration_ms,
        request_id=request_id,
    )
    access_logger.handle(record)
    return response


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")
