"""gunicorn settings, each overridable from the environment.

Nothing that holds threads or connections crosses the worker fork: the modules that hold them
reset themselves in every forked process (os.register_at_fork), whether or not the app is
preloaded (`--preload`), so no post_fork hook is needed."""

import logging
import multiprocessing
import os
{%- if cookiecutter.use_pagination and cookiecutter.pagination_style == "cursor" %}
import secrets

# Cursors are signed with SECRET_KEY: without one, let every worker share the same random key.
os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
{%- endif %}

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
wsgi_app = "{{ cookiecutter.project_slug }}:create_app()"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
# The app writes one access line per request itself (with its request id): gunicorn's own
# access log is off, its error log (boots, exits, timeouts) goes to stdout.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# gunicorn's control socket (for gunicornc) has one default path per user, which every service
# and test run on the host would share: off.
control_socket_disable = True


def worker_exit(server, worker) -> None:
    """Hand every pending log record to its sink before the worker process ends."""
    if os.getpid() == worker.pid:  # gunicorn also calls this in the master, for a lost worker
        logging.shutdown()


def on_exit(server) -> None:
    logging.shutdown()
