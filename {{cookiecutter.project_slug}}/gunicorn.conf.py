"""gunicorn settings; those a deployment tunes are read from the environment.

Nothing that holds threads or connections crosses the worker fork: the modules that hold them
reset themselves in every forked process (os.register_at_fork), whether or not the app is
preloaded (`--preload`), so post_fork has nothing to reset. The app's package is never imported
here: the master would hold its modules, and workers forked after a reload (SIGHUP) would run
the old code."""

import json
import logging
import multiprocessing
import os
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "simple" %}
import tempfile
{%- endif %}

from gunicorn import util

# Production refuses to start without a real secret: a random key per process would differ
# between workers and restarts{% if cookiecutter.use_pagination and cookiecutter.pagination_style == "cursor" %} (and so reject the cursors signed by another one){% endif %}.
SECRET_KEY_MIN_LENGTH = 32
if len(os.environ.get("SECRET_KEY", "")) < SECRET_KEY_MIN_LENGTH:
    raise SystemExit(
        f"Set SECRET_KEY to a random string of at least {SECRET_KEY_MIN_LENGTH} characters, e.g. "
        "the output of: python3 -c 'import secrets; print(secrets.token_hex(32))'"
    )

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
wsgi_app = "{{ cookiecutter.project_slug }}:create_app()"


def _whole(name: str, default: int, minimum: int) -> int:
    """A whole number from the environment, or a clear refusal to start (WEB_CONCURRENCY=0 would
    start a server with no worker, which accepts connections and never answers)."""
    raw = os.environ.get(name) or str(default)
    if not raw.isascii() or not raw.isdigit() or int(raw) < minimum:
        raise SystemExit(f"{name} must be a whole number of at least {minimum}, not {raw!r}")
    return int(raw)


workers = _whole("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1, minimum=1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = _whole("GUNICORN_THREADS", 1, minimum=1)
timeout = _whole("GUNICORN_TIMEOUT", 30, minimum=0)  # 0: no timeout
graceful_timeout = _whole("GUNICORN_GRACEFUL_TIMEOUT", 30, minimum=0)
max_requests = _whole("GUNICORN_MAX_REQUESTS", 10000, minimum=0)  # 0: workers never recycled
max_requests_jitter = max_requests // 10
# The app writes one access line per request itself (with its request id): gunicorn's own
# access log is off, its error log (boots, exits, timeouts) goes to stdout.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# gunicorn's control socket (for gunicornc) has one default path per user, which every service
# and test run on the host would share: off.
control_socket_disable = True
# A request line (method, path and query string) may be 8190 bytes, gunicorn's most and what
# nginx and Apache accept: its default, 4094, refuses long query strings that browsers send.
# Header fields stay at gunicorn's defaults (Apache's too): 100 of them, 8190 bytes each.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# What gunicorn says when it answers a request itself, before the app sees it (see post_fork):
# status -> (error, message), in the app's error shape.
GUNICORN_ERRORS = {
    400: ("bad-request", "The request is not valid HTTP."),
    414: (
        "uri-too-long",
        "The request line (method, path and query string) is longer than the server accepts.",
    ),
    431: (
        "request-header-fields-too-large",
        "The request has more header fields than the server accepts, or a longer one.",
    ),
    500: ("internal-server-error", "The server could not answer the request."),
    501: ("not-implemented", "The request's transfer coding is not supported."),
}
# The headers that security.py gives every error answer of the app.
GUNICORN_ERROR_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error, in JSON. gunicorn has already logged the details (`mesg`)."""
    other = (reason.lower().replace(" ", "-"), f"{reason}.")  # 403, 417: rare in this setup
    error, message = GUNICORN_ERRORS.get(status_int, other)
    body = json.dumps({"error": error, "message": message}).encode()
    head = [
        f"HTTP/1.1 {status_int} {reason}",
        "Connection: close",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in GUNICORN_ERROR_HEADERS.items()),
    ]
    util.write_nonblock(sock, "\r\n".join(head).encode("latin-1") + b"\r\n\r\n" + body)


def post_fork(server, worker) -> None:
    """gunicorn answers the requests it cannot hand to the app (not HTTP, a request line or
    headers over the limits above) itself, with an HTML page from gunicorn.util.write_error that
    no setting changes (benoitc/gunicorn#993): in the workers, whatever their class, that
    function writes JSON instead."""
    util.write_error = write_json_error
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "simple" %}


def on_starting(server) -> None:
    """Each worker caches responses in its own memory; the cache generations, which a write
    changes, live in a file that every worker maps (caching_simple.Generations), so
    that a write through one worker invalidates the caches of all. A CACHE_GENERATION_FILE set
    in the environment is used (and kept), so that `flask invalidate-cache` given the same
    reaches the workers; else a temporary file, removed at exit."""
    if os.environ.get("CACHE_GENERATION_FILE"):
        return
    descriptor, path = tempfile.mkstemp(prefix="cache-generation-")
    os.write(descriptor, bytes(16))
    os.close(descriptor)
    os.environ["CACHE_GENERATION_FILE"] = path  # the workers inherit it
    server.temporary_generation_file = path  # for on_exit: a reload reads this module again
{%- endif %}


def worker_exit(server, worker) -> None:
    """Hand every pending log record to its sink before the worker process ends."""
    if os.getpid() == worker.pid:  # gunicorn also calls this in the master, for a lost worker
        logging.shutdown()


def on_exit(server) -> None:
    logging.shutdown()
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "simple" %}
    if temporary := getattr(server, "temporary_generation_file", None):
        os.remove(temporary)
{%- endif %}
