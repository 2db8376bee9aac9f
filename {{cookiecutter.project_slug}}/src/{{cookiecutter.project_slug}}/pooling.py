"""Connection pooling: reuse database connections instead of opening one per request.

A QueuePool keeps up to DB_POOL_SIZE connections open (plus DB_MAX_OVERFLOW under bursts),
pings a connection before handing it out when it sat unused for DB_POOL_PING_AFTER seconds or
more (so connections killed by a database restart are replaced without a failed request, while a
busy worker pays no extra round trip per request), recycles them after DB_POOL_RECYCLE seconds,
and is emptied in a forked child so that no connection is ever shared between processes.
"""

import os
import weakref
from collections.abc import Mapping
from time import monotonic
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import exc
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.pool import QueuePool

LAST_USED = "last_used"  # ConnectionPoolEntry.info key: monotonic() when last checked in


def create_pooled_engine(url: str, config: Mapping[str, Any]) -> Engine:
    engine = create_engine(
        url,
        poolclass=QueuePool,
        pool_size=config["DB_POOL_SIZE"],
        max_overflow=config["DB_MAX_OVERFLOW"],
        pool_timeout=config["DB_POOL_TIMEOUT"],
        pool_recycle=config["DB_POOL_RECYCLE"],
    )
    _ping_connections_idle_for(engine, config["DB_POOL_PING_AFTER"])
    _forget_connections_after_fork(engine)
    return engine


def _ping_connections_idle_for(engine: Engine, seconds: float) -> None:
    """Ping a connection at checkout only when it was last returned `seconds` ago or more.

    SQLAlchemy's pool_pre_ping pings at every checkout: one round trip per request. A connection
    used a moment ago is all but certainly alive; one that sat idle may have been closed by a
    database restart or a firewall. A failed ping raises DisconnectionError, on which the pool
    discards the connection and checks out another (a new one if need be), as pre_ping does.
    """

    @event.listens_for(engine, "checkin")
    def remember_last_use(_dbapi: DBAPIConnection | None, entry: ConnectionPoolEntry) -> None:
        entry.info[LAST_USED] = monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(
        dbapi: DBAPIConnection, entry: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        last_used = entry.info.get(LAST_USED)
        if last_used is None or monotonic() - last_used < seconds:
            return  # just connected, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError("the connection failed its ping") from error


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
