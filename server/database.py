"""Engine set-up: SQLite pragmas and IMMEDIATE write transactions; retryable errors."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

# Read-only requests begin DEFERRED so readers never queue behind writers; everything
# else begins IMMEDIATE, so two writers wait on the lock (busy timeout) instead of one
# failing mid-transaction when it tries to upgrade a read lock.
_read_only: contextvars.ContextVar[bool] = contextvars.ContextVar("xuncha_read_only", default=False)


@contextmanager
def read_only():
    token = _read_only.set(True)
    try:
        yield
    finally:
        _read_only.reset(token)


def set_read_only(value: bool) -> contextvars.Token:
    return _read_only.set(value)


def reads_first(view):
    """Mark a view whose request begins as a read (DEFERRED on SQLite) and calls
    `begin_write` before it writes: work done before then holds no write lock."""
    view.reads_first = True
    return view


def begin_write(session, *, new_transaction: bool | None = None) -> bool:
    """End the request's read transaction so that the next statement begins the write
    one (IMMEDIATE on SQLite); whatever was read before is expired with it, so what
    decides a write must be read again: returns True then. By default only where writers
    go one at a time (SQLite); elsewhere the transaction goes on, its row locks held,
    and this returns False. `new_transaction` decides instead when given."""
    if new_transaction is None:
        new_transaction = one_writer_at_a_time(session.get_bind())
    if not new_transaction:
        return False
    session.rollback()
    _read_only.set(False)
    return True


def one_writer_at_a_time(bind) -> bool:
    """Whether the database takes one write transaction at a time (SQLite)."""
    return bind.dialect.name == "sqlite"


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would otherwise
        # start transactions lazily and always DEFERRED).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN DEFERRED" if _read_only.get() else "BEGIN IMMEDIATE")


_TRANSIENT_SQLSTATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
    "57P01",  # admin_shutdown
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now
    "08000", "08003", "08006", "08001", "08004",  # connection exceptions
}


def is_transient(exc: BaseException) -> bool:
    """True when retrying the same request later may succeed (lock, restart, lost link)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate and sqlstate in _TRANSIENT_SQLSTATES:
        return True
    if isinstance(exc, OperationalError):
        text = str(orig or exc).lower()
        return any(s in text for s in ("database is locked", "database is busy",
                                       "server closed the connection", "connection refused",
                                       "terminating connection", "the database system is"))
    return False
