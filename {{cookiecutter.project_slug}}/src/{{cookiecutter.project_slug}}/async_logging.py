"""Asynchronous logging: a request only puts its log records on a queue; a thread of the same
process (a QueueListener) writes them to the sinks, so a slow disk or collector never slows a
response down. The thread takes the records in batches, so that a busy worker is not
interrupted once per record. The queue is bounded: a sink that stalls (a full disk, a log pipe
nobody reads) makes logging wait once MAX_QUEUED records are waiting, as synchronous logging
would, instead of growing the process's memory without limit or dropping records.

The article's version loses records at exit and breaks under forking servers. This one:
- writes every queued record before the handler closes: at interpreter exit and in gunicorn's
  worker_exit (both call logging.shutdown); records logged later are written synchronously;
- runs one listener per process: before a fork the listener writes out the queue and stops, so
  the fork copies no thread and no half-taken lock; afterwards the parent starts it again and
  the child (a gunicorn worker of a preloaded app) starts its own, on a fresh queue."""

import copy
import logging
import os
import queue
import time
import weakref
from collections import deque
from collections.abc import Iterable
from logging.handlers import QueueHandler
from logging.handlers import QueueListener
from queue import Queue

from flask import Flask

_running: weakref.WeakSet["AsyncHandler"] = weakref.WeakSet()
_TRACEBACKS = logging.Formatter()
BATCH_WAIT = 0.005  # seconds the listener lets records gather after the first one arrives
MAX_QUEUED = 10_000  # records waiting for the sinks; past it, logging waits for them
# What makes QueueListener's thread end when `dequeue` returns it. The standard library keeps it
# in the private class attribute `_sentinel` (None in Python 3.11 to 3.14), which typeshed
# leaves out: it is read here, once. Typed as a record, since `dequeue` is declared to give one.
STOP: logging.LogRecord = vars(QueueListener)["_sentinel"]


class BatchingListener(QueueListener):
    """A QueueListener that takes records in batches: it sleeps until one arrives, lets others
    gather for BATCH_WAIT, then writes all of them. Under load a worker pays one thread wakeup
    per batch instead of one per record, which was half of what an access line cost."""

    queue: Queue[logging.LogRecord]  # QueueListener accepts any queue-like object; this, a Queue

    def __init__(self, records: Queue[logging.LogRecord], *sinks: logging.Handler) -> None:
        super().__init__(records, *sinks, respect_handler_level=True)
        self.batch: deque[logging.LogRecord] = deque()

    def dequeue(self, block: bool) -> logging.LogRecord:
        if not self.batch:
            first = self.queue.get(block)
            self.batch.append(first)
            if first is not STOP:  # a stop is not kept waiting
                time.sleep(BATCH_WAIT)
            while True:
                try:
                    self.batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
        return self.batch.popleft()

    def enqueue_sentinel(self) -> None:
        self.queue.put(STOP)  # waits for room in a full queue, as records do


class AsyncHandler(QueueHandler):
    """Enqueues records on the calling thread; a listener thread hands them to the sinks."""

    queue: Queue[logging.LogRecord]  # QueueHandler accepts any queue-like object; this, a Queue

    def __init__(self, sinks: Iterable[logging.Handler]) -> None:
        super().__init__(Queue(MAX_QUEUED))
        self.sinks = tuple(sinks)
        self.listener: BatchingListener | None = None
        self.start()

    def start(self) -> None:
        self.listener = BatchingListener(self.queue, *self.sinks)
        self.listener.start()
        _running.add(self)

    def stop(self) -> None:
        """Write every queued record, then end the listener thread. Until the next start,
        records are written by the thread that logs them."""
        _running.discard(self)
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.stop()  # writes what was queued before its stop marker
            late = listener.batch  # and whatever a thread slipped in after it
            while True:
                try:
                    late.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            for record in late:
                if record is not STOP:
                    self.write(record)

    def enqueue(self, record: logging.LogRecord) -> None:
        self.queue.put(record)  # waits while MAX_QUEUED records wait for the sinks

    def write(self, record: logging.LogRecord) -> None:
        for sink in self.sinks:
            if record.levelno >= sink.level:
                sink.handle(record)

    def emit(self, record: logging.LogRecord) -> None:
        if self.listener is None:  # stopped: written here, so nothing logged after close is lost
            self.write(self.prepare(record))
        else:
            super().emit(record)

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        if not record.args and not record.exc_info:
            return record  # nothing to merge or format (an access line): queued as it is
        # A copy, so that other handlers of the record (pytest's, for one) see it unchanged.
        record = copy.copy(record)
        # Merge the arguments into the message now: they may change once the request moves on.
        record.msg, record.args = record.getMessage(), None
        # Format the traceback here too: the queued record then holds no frames alive, and the
        # listener never parses source code, which Python 3.11's traceback formatting does and
        # which is not safe in two threads at once (CPython gh-106905).
        if record.exc_info:
            record.exc_text = record.exc_text or _TRACEBACKS.formatException(record.exc_info)
            record.exc_info = None
        return record

    def close(self) -> None:
        self.stop()
        for sink in self.sinks:
            sink.close()
        super().close()


def _before_fork() -> None:
    for handler in list(_running):
        handler.stop()
        _running.add(handler)  # to be started again on both sides of the fork


def _after_fork_in_parent() -> None:
    for handler in list(_running):
        handler.start()


def _after_fork_in_child() -> None:
    for handler in list(_running):
        handler.queue = Queue(MAX_QUEUED)
        handler.start()


os.register_at_fork(
    before=_before_fork,
    after_in_parent=_after_fork_in_parent,
    after_in_child=_after_fork_in_child,
)


def init_app(app: Flask) -> None:
    """Put the sinks that logs.init_app gave the package logger behind a queue."""
    logger = logging.getLogger(app.import_name)
    sinks = logger.handlers[:]
    handler = AsyncHandler(sinks)
    for sink in sinks:
        logger.removeHandler(sink)
        # Filters read the request context, which only the request's own thread has.
        for log_filter in sink.filters[:]:
            sink.removeFilter(log_filter)
            handler.addFilter(log_filter)
    logger.addHandler(handler)
