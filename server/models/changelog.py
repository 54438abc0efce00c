"""The change-log writer: one session listener for every pullable model.

A model is pullable when it declares `__pull_type__` ("site", "hazard", …). For each
insert, update or delete of such a row the listener notes a `ChangeLog` entry; the notes
are written through the session's connection once per transaction, just before it
commits (or earlier, when something in the transaction reads the feed), so an entry
commits or rolls back with the change itself. A savepoint that rolls back takes its
notes with it. Writing once instead of on every flush matters for push: a batch of 50
inspections flushed ~50 times, each flush replacing its entries and (PostgreSQL) taking
the safe-point lock. Optional declarations on the model:

- `__pull_region__`: the attribute holding the region code (default "region_code");
- `__pull_owner__`: an attribute naming the only user who may pull the row;
- a `version` column is bumped on every real update unless the flush already set it.

Sites also get a `SiteRevision` per version (which fields changed) for field-level merge.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, delete, event, insert, inspect, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import find_tables, surface_selectables

from server.models.sync import ChangeLog, SiteRevision
from server.models.types import utcnow

_IGNORED_FOR_REVISION = frozenset({"version", "updated_at", "created_at"})
# Owners for models that don't declare `__pull_owner__` themselves: an inspection goes
# to its own inspector only (contract: "the caller's own, with review state").
_DEFAULT_OWNERS = {"inspection": "inspector_id"}


def _pullable(obj) -> bool:
    return getattr(type(obj), "__pull_type__", None) is not None


def _changed_columns(obj) -> list[str]:
    state = inspect(obj)
    return [attr.key for attr in state.mapper.column_attrs
            if state.attrs[attr.key].history.has_changes()]


@event.listens_for(Session, "before_flush")
def _bump_versions(session, _flush_context, _instances):
    for obj in list(session.dirty):
        if not _pullable(obj) or not hasattr(obj, "version"):
            continue
        if inspect(obj).mapper.version_id_col is not None:
            continue  # SQLAlchemy (or the domain code) versions this row itself
        changed = _changed_columns(obj)
        if not changed or "version" in changed:
            continue  # nothing real changed, or the domain code set the version itself
        obj.version = (obj.version or 0) + 1
        if type(obj).__pull_type__ == "site":
            fields = sorted(set(changed) - _IGNORED_FOR_REVISION)
            if fields:
                session.add(SiteRevision(site_id=obj.id, version=obj.version, fields=fields,
                                         actor_id=session.info.get("sync_actor_id"),
                                         client_id=session.info.get("sync_client_id")))


def _region_history(obj) -> tuple[str | None, str | None]:
    """(current region, the region it left in this flush or None)."""
    attr = getattr(type(obj), "__pull_region__", "region_code")
    current = getattr(obj, attr)
    history = inspect(obj).attrs[attr].history
    previous = history.deleted[0] if history.deleted else None
    return current, (previous if previous not in (None, current) else None)


def _row(obj, op: str, region_code: str, merged_into=None) -> dict:
    return _entry(type(obj), lambda key: getattr(obj, key), op, region_code, merged_into)


def _entry(model, get, op: str, region_code: str, merged_into=None) -> dict:
    """The entry of one row of `model`; `get(attribute)` reads the row."""
    owner_attr = getattr(model, "__pull_owner__", None) or _DEFAULT_OWNERS.get(
        model.__pull_type__)
    return {"type": model.__pull_type__, "entity_id": get("id"), "op": op,
            "version": (get("version") if hasattr(model, "version") else 0) or 0,
            "region_code": region_code, "owner_id": get(owner_attr) if owner_attr else None,
            "merged_into": merged_into}


def note_inserted(session, model, rows: list[dict]) -> None:
    """Note a `put` for rows of `model` that the caller inserts itself (plain column
    dicts, no ORM object for the listener to see), as the listener would for objects."""
    region_attr = getattr(model, "__pull_region__", "region_code")
    _note(session, [_entry(model, row.get, "put", row[region_attr]) for row in rows])


@event.listens_for(Session, "after_flush")
def _note_changes(session, _flush_context):
    rows = []
    for obj in session.new:
        if _pullable(obj):
            rows.append(dict(_row(obj, "put", _region_history(obj)[0]), fresh=True))
    for obj in session.dirty:
        if _pullable(obj) and _changed_columns(obj):
            current, left = _region_history(obj)
            if left is not None:
                rows.append(_row(obj, "remove", left))
            rows.append(_row(obj, "put", current))
    for obj in session.deleted:
        if _pullable(obj):
            current, left = _region_history(obj)
            rows.append(_row(obj, "remove", left or current))
    if rows:
        _note(session, rows)


def record_removal(session, pull_type: str, entity_id, region_code: str, *, version: int = 0,
                   merged_into=None) -> None:
    """Log that a thing left the feed with no row of its own (e.g. a merged derived hazard)."""
    _note(session, [{"type": pull_type, "entity_id": entity_id, "op": "remove",
                     "version": version, "region_code": region_code, "owner_id": None,
                     "merged_into": merged_into}])


# --- pending entries, per transaction ---------------------------------------------------
#
# session.info[_PENDING]: (type, entity_id, region_code) → entry, in the order the feed
# should get them. A thing has one entry per region in the feed, so a later note of the
# same thing replaces the earlier one and moves to the end, as the write would.

_PENDING = "xuncha.changelog.pending"
_SAVED = "xuncha.changelog.savepoints"  # savepoint transaction → pending as it began
_ROLLED_BACK = "xuncha.changelog.rolled_back"  # savepoints rolled back, not yet ended


def _pending(session) -> dict:
    return session.info.setdefault(_PENDING, {})


def _note(session, rows: list[dict]) -> None:
    pending = _pending(session)
    for row in rows:
        key = (row["type"], row["entity_id"], row["region_code"])
        pending.pop(key, None)
        pending[key] = row


def take_pending(session) -> list[dict]:
    """The entries noted so far in this transaction, taken out of it: work done ahead of
    a transaction (a push's plan) notes them again in that one with `note_entries`."""
    return list((session.info.pop(_PENDING, None) or {}).values())


def note_entries(session, rows: list[dict]) -> None:
    """Note entries as `take_pending` gave them."""
    _note(session, rows)


@event.listens_for(Session, "after_transaction_create")
def _remember_at_savepoint(session, transaction):
    if transaction.nested:
        session.info.setdefault(_SAVED, {})[transaction] = dict(session.info.get(_PENDING) or {})


@event.listens_for(Session, "after_rollback")
def _mark_rolled_back(session):
    # Fires while the rolled-back savepoint is still the session's innermost one; its
    # end (below) then restores the notes as they were when it began.
    nested = session.get_nested_transaction()
    if nested is not None:
        session.info.setdefault(_ROLLED_BACK, set()).add(nested)


@event.listens_for(Session, "after_transaction_end")
def _end_transaction(session, transaction):
    if transaction.nested:
        saved = (session.info.get(_SAVED) or {}).pop(transaction, None)
        rolled_back = session.info.get(_ROLLED_BACK) or set()
        if transaction in rolled_back:
            rolled_back.discard(transaction)
            session.info[_PENDING] = saved or {}
    elif transaction.parent is None:
        # The outer transaction is over (committed, rolled back or closed): nothing of it
        # may leak into the next one.
        for key in (_PENDING, _SAVED, _ROLLED_BACK, _WRITTEN):
            session.info.pop(key, None)


@event.listens_for(Session, "before_commit")
def _write_before_commit(session):
    if session.in_nested_transaction():
        return
    session.flush()  # the commit's own flush would come after this hook
    write_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _write_before_reading_feed(orm_execute_state):
    """Like autoflush: a read of the feed inside the transaction sees its own entries."""
    session = orm_execute_state.session
    if session.info.get(_PENDING) and orm_execute_state.is_select \
            and _reads_feed(orm_execute_state.statement):
        session.flush()
        write_pending(session)


_TABLE_NAME = ChangeLog.__tablename__


def _reads_feed(stmt) -> bool:
    """Whether the change log is in the statement's FROM list (joins included).

    Looks at the surface only: a full walk of every statement (find_tables) cost more
    than the push's own queries. Anything but a plain select is walked in full.
    """
    try:
        froms = [*stmt._from_obj, *stmt.columns_clause_froms]
        froms += [inspect(join[0]).selectable for join in stmt._setup_joins]
    except AttributeError:
        froms = find_tables(stmt, include_crud=True)
    return any(getattr(table, "name", None) == _TABLE_NAME
               for f in froms for table in surface_selectables(f))


def write_pending(session) -> None:
    """Write the entries noted so far in this transaction (the caller flushed first)."""
    pending = session.info.get(_PENDING)
    if pending:
        rows = list(pending.values())
        pending.clear()
        write_rows(session, rows)


_TABLE = ChangeLog.__table__
_DELETE = delete(_TABLE).where(and_(_TABLE.c.type == bindparam("d_type"),
                                    _TABLE.c.entity_id == bindparam("d_entity_id"),
                                    _TABLE.c.region_code == bindparam("d_region_code")))
_INSERT = insert(_TABLE).returning(_TABLE.c.seq)
_WRITTEN = "xuncha.changelog.written"  # the highest seq this transaction wrote


def write_rows(session, rows: list[dict]) -> None:
    """Replace each thing's entry for that region by a new one at the end of the feed.

    Entries of the same thing in *other* regions stay: a device of that region may still
    need the `remove` that tells it the thing left. A row noted `fresh` is of a thing
    inserted in this transaction: it has no older entry to delete.
    """
    conn = session.connection()
    stale = [{"d_type": r["type"], "d_entity_id": r["entity_id"],
              "d_region_code": r["region_code"]} for r in rows if not r.get("fresh")]
    if stale:
        conn.execute(_DELETE, stale)
    if conn.dialect.name == "postgresql":
        announce_writer(conn)
    now = utcnow()
    seqs = conn.execute(_INSERT, [{k: v for k, v in r.items() if k != "fresh"} | {"at": now}
                                  for r in rows]).scalars().all()
    session.info[_WRITTEN] = max([session.info.get(_WRITTEN, 0), *seqs])


def written_high_water(session) -> int:
    """The highest seq this transaction wrote to the feed (0: none): a push's results are
    reported done once a pull has served the feed that far."""
    return session.info.get(_WRITTEN, 0)


# --- the feed's safe point ---------------------------------------------------------------
#
# PostgreSQL hands out seq values at insert time but transactions commit in any order, so
# a reader could see seq 11 while seq 10 is still in flight. Before taking seq values, a
# writer holds a shared advisory lock whose key says "my rows are above w" (w: the
# sequence's value when it announced itself). Locks are visible to every session at once
# (pg_locks) and go away at commit or rollback, so a reader knows the lowest seq that may
# still appear: the safe point. Shared locks never wait on each other: writers are not
# serialized by this. Only change-log writers count, not every open transaction of the
# cluster (which a snapshot's xmin would).

FEED_LOCK_BASE = 1 << 62  # advisory keys FEED_LOCK_BASE + w; nothing else uses that range
# The highest value the sequence has handed out (a fresh sequence has handed out none).
_PG_HANDED_OUT = ("(SELECT last_value - CASE WHEN is_called THEN 0 ELSE 1 END "
                  "FROM sync_change_log_seq_seq)")


def announce_writer(conn) -> None:
    conn.execute(text(f"SELECT pg_advisory_xact_lock_shared(:base + {_PG_HANDED_OUT})"),
                 {"base": FEED_LOCK_BASE})


def feed_high_water(conn) -> int:
    """The highest seq handed out so far (committed or not)."""
    if conn.dialect.name == "postgresql":
        return conn.execute(text(f"SELECT {_PG_HANDED_OUT}")).scalar() or 0
    return conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'sync_change_log'")
                        ).scalar() or 0


def safe_point(conn) -> int:
    """Every change with seq <= this is final: committed (and visible) or rolled back.

    Order matters: the high-water mark first, then the in-flight writers. A writer whose
    rows are <= that mark announced itself before the mark was read, so it is either in
    the lock list or finished.
    """
    high = feed_high_water(conn)
    if conn.dialect.name != "postgresql":
        return high  # SQLite writers are serialized: seq order is commit order
    in_flight = conn.execute(text(
        "SELECT min(((l.classid::bigint - :hi) << 32) + l.objid::bigint) FROM pg_locks l "
        "WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.classid::bigint >= :hi "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
        {"hi": FEED_LOCK_BASE >> 32}).scalar()
    return high if in_flight is None else min(high, in_flight)
