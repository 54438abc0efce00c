"""Engine set-up: SQLite pragmas and IMMEDIATE write transactions; retryable errors."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from sqlalchemy import event, insert
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


def writes_after_parsing(view):
    """Mark a view whose request starts as a read (DEFERRED on SQLite) and calls
    `begin_write` once its body is parsed: the write lock is not held while JSON and
    schemas are loaded, so another worker's write proceeds meanwhile."""
    view.writes_after_parsing = True
    return view


def begin_write(session) -> None:
    """End the request's read transaction; the next statement begins the write one
    (IMMEDIATE on SQLite). Whatever was read before is expired with it, so anything
    that decides a write (the caller's token above all) must be read again after this."""
    session.rollback()
    _read_only.set(False)


class RowBatch:
    """Plain rows to insert, gathered over several steps of one transaction and written
    together: one executemany per table, tables in the order first added (parents
    first). What a step adds is its own business until `write`; the caller writes before
    anything else reads or writes those tables."""

    def __init__(self):
        self._rows: dict = {}
        self._rendered: list | None = None

    def __bool__(self) -> bool:
        return any(self._rows.values())

    def add(self, table, rows: list[dict]) -> None:
        self._rows.setdefault(table, []).extend(rows)
        self._rendered = None

    def render(self, dialect) -> bool:
        """Turn the rows into the driver's statements and parameters now (the columns'
        bind processing: JSON, UUIDs, datetimes), so that `write` only executes them:
        for a batch made ahead of the transaction that writes it. Rows that rely on
        column defaults, or differ in their columns, stay for `write` to process; then
        nothing is rendered and this returns False."""
        rendered = []
        for table, rows in self._rows.items():
            if not rows:
                continue
            keys = list(rows[0])
            compiled = insert(table).compile(dialect=dialect, column_keys=keys)
            if (set(compiled.binds) != set(keys) or compiled.escaped_bind_names
                    or any(row.keys() != rows[0].keys() for row in rows)):
                return False
            names = list(compiled.positiontup) if compiled.positional else keys
            procs = [(name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                     for name in names]
            if compiled.positional:
                params = [tuple(proc(row[name]) if proc else row[name] for name, proc in procs)
                          for row in rows]
            else:
                params = [{name: proc(row[name]) if proc else row[name] for name, proc in procs}
                          for row in rows]
            rendered.append((str(compiled), params))
        self._rendered = rendered
        return True

    def write(self, session) -> None:
        pending, rendered = self._rows, self._rendered
        self._rows, self._rendered = {}, None
        conn = session.connection()
        if rendered is not None:
            for sql, params in rendered:
                conn.exec_driver_sql(sql, params)
            return
        for table, rows in pending.items():
            if rows:
                conn.execute(insert(table), rows)


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
