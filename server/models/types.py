"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

# JSON documents: JSONB on PostgreSQL (indexable), JSON text on SQLite.
JSONDoc = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on both databases.

    SQLite has no time zone type; SQLAlchemy would hand back naive values there. Naive
    input is refused so a device-local time can never be stored as if it were UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; attach a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# The moment the services take as "now": the real clock, unless a caller runs them at a
# chosen moment (`clock_at`; the demo replays a year of work through the same write path).
_NOW: ContextVar[datetime | None] = ContextVar("xuncha_now", default=None)


def utcnow() -> datetime:
    now = _NOW.get()
    return now if now is not None else datetime.now(UTC)


@contextmanager
def clock_at(moment: datetime):
    """Run the block with `utcnow()` answering `moment` (an aware datetime)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime; attach a time zone")
    token = _NOW.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _NOW.reset(token)


# Most leaves of a submission's answers are plain JSON already: testing for them first
# spares a push tens of thousands of isinstance chains.
_PLAIN = frozenset({str, int, float, bool, type(None)})


def jsonable(value):
    """`value` as JSON would hold it: UUIDs and dates as strings, tuples as lists."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, dict):
        return {k: v if type(v) in _PLAIN else jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if type(v) in _PLAIN else jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
