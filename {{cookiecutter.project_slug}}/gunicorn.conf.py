"""gunicorn settings, each overridable from the environment.

Nothing that holds threads or connections crosses the worker fork: the modules that hold them
reset themselves in every forked process (os.register_at_fork), whether or not the app is
preloaded (`--preload`), so no post_fork hook is needed."""

import logging
import multiprocessing
import os
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "simple" %}
import tempfile
{%- endif %}

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
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "simple" %}


def on_starting(server) -> None:
    """Each worker caches responses in its own memory; the cache generation, which a write
    changes, lives in a 16-byte file that every worker maps (caching.Generation), so that a write
    through one worker invalidates the caches of all."""
    descriptor, path = tempfile.mkstemp(prefix="cache-generation-")
    os.write(descriptor, bytes(16))
    os.close(descriptor)
    os.environ["CACHE_GENERATION_FILE"] = path  # the workers inherit it
{%- endif %}


def worker_exit(server, worker) -> None:
    """Hand every pending log record to its sink before the worker process ends."""
    if os.getpid() == worker.pid:  # gunicorn also calls this in the master, for a lost worker
        logging.shutdown()


def on_exit(server) -> None:
    logging.shutdown()
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "simple" %}
    os.remove(os.environ.pop("CACHE_GENERATION_FILE"))
{%- endif %}
