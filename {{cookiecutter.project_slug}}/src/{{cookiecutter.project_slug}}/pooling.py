"""Connection pooling: reuse database connections instead of opening one per request.

A QueuePool keeps up to DB_POOL_SIZE connections open (plus DB_MAX_OVERFLOW under bursts),
checks each one with a cheap ping before handing it out (so connections killed by a database
restart are replaced without a failed request), recycles them after DB_POOL_RECYCLE seconds,
and is emptied in a forked child so that no connection is ever shared between processes.
"""

import os
import weakref
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy.pool import QueuePool


def create_pooled_engine(url: str, config: Mapping[str, Any]) -> Engine:
    engine = create_engine(
        url,
        poolclass=QueuePool,
        pool_size=config["DB_POOL_SIZE"],
        max_overflow=config["DB_MAX_OVERFLOW"],
        pool_timeout=config["DB_POOL_TIMEOUT"],
        pool_recycle=config["DB_POOL_RECYCLE"],
        pool_pre_ping=True,
    )
    _forget_connections_after_fork(engine)
    return engine


def _forget_connections_after_fork(engine: Engine) -> None:
    """In a forked child (a gunicorn worker of a preloaded app), start with an empty pool.

    close=False leaves the parent's sockets alone: closing them here would break the parent.
    """
    engine_ref = weakref.ref(engine)

    def reset_pool() -> None:
        forked_engine = engine_ref()
        if forked_engine is not None:
            forked_engine.dispose(close=False)

    os.register_at_fork(after_in_child=reset_pool)
