"""How a `RegisterWrite` reaches the database: one statement per table and kind of change.

The statements are module-level so that SQLAlchemy compiles each once per process.
"""

from __future__ import annotations

from sqlalchemy import bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.util import identity_key

from server.errors import Conflict
from server.models import BlobRef, Hazard, HazardAlias, HazardEvent, Inspection, Task
from server.models.types import utcnow
from server.register.projection import STATE_FIELDS

_H, _I = Hazard.__table__, Inspection.__table__
_UPDATABLE = [f for f in STATE_FIELDS if f != "id"]

INSERT_INSPECTIONS = insert(_I)
INSERT_HAZARDS = insert(_H)
INSERT_EVENTS = insert(HazardEvent.__table__)
INSERT_ALIASES = insert(HazardAlias.__table__)
UPDATE_HAZARD = (update(_H).where(_H.c.id == bindparam("b_id"),
                                  _H.c.version == bindparam("b_version"))
                 .values({f: bindparam(f"v_{f}") for f in _UPDATABLE + ["updated_at"]}))
_REFS = {
    "sqlite": sqlite.insert(BlobRef.__table__).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(BlobRef.__table__).on_conflict_do_nothing(),
}


def write_all(session, *, inspections, inspection_changes, new_hazards, changed_hazards,
              events, aliases, refs) -> list[dict]:
    """Write a unit's rows; return (id, version, region_code, inspector_id) of each
    stored inspection it changed. Parents go in before the rows that refer to them."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # what the ORM holds (a site made earlier in the push) goes first
    conn = session.connection()
    now = utcnow()
    if inspections:
        conn.execute(INSERT_INSPECTIONS, inspections)
    if new_hazards:
        conn.execute(INSERT_HAZARDS, [dict(r.state, updated_at=now) for r in new_hazards])
    if changed_hazards:
        _update_hazards(conn, changed_hazards, now)
    if events:
        conn.execute(INSERT_EVENTS, events)
    if aliases:
        conn.execute(INSERT_ALIASES, aliases)
    changed = [_change_inspection(conn, ident, values, now)
               for ident, values in inspection_changes.items()]
    if refs:
        unique = list({(r["sha256"], r["owner_type"], r["owner_id"]): r for r in refs}.values())
        conn.execute(_REFS[conn.dialect.name], unique)
    _expire(session, Hazard, [r.id for r in new_hazards + changed_hazards])
    _expire(session, Inspection, [row["id"] for row in changed])
    return changed


def update_tasks(session, changes: dict) -> list[tuple]:
    """Tasks done by the unit's visits: (id, new version, region) of each. A task changed
    meanwhile by someone else is a collision: the caller's transaction is retried."""
    if not changes:
        return []
    conn, now, out = session.connection(), utcnow(), []
    table = Task.__table__
    for ident, (version, region, status, data) in changes.items():
        matched = conn.execute(update(table).where(table.c.id == ident,
                                                   table.c.version == version)
                               .values(status=status, data=data, version=version + 1,
                                       updated_at=now)).rowcount
        if matched != 1:
            raise Conflict("The task was changed by someone else at the same time.")
        out.append((ident, version + 1, region))
    _expire(session, Task, list(changes))
    return out


def _update_hazards(conn, records, now) -> None:
    params = [{"b_id": r.id, "b_version": r.read_version, "v_updated_at": now,
               **{f"v_{f}": r.state[f] for f in _UPDATABLE}} for r in records]
    if conn.dialect.supports_sane_multi_rowcount or len(params) == 1:
        matched = conn.execute(UPDATE_HAZARD, params).rowcount
    else:  # pragma: no cover - both databases we run count an executemany's rows
        matched = sum(conn.execute(UPDATE_HAZARD, p).rowcount for p in params)
    if matched != len(params):
        raise Conflict("The hazard was changed by someone else at the same time; reload it "
                       "and try again. 隐患已被他人修改,请刷新后重试。")


def _change_inspection(conn, ident, values: dict, now) -> dict:
    row = conn.execute(
        update(_I).where(_I.c.id == ident)
        .values(**values, version=_I.c.version + 1, updated_at=now)
        .returning(_I.c.id, _I.c.version, _I.c.region_code, _I.c.inspector_id)).one()
    return dict(row._mapping)


def _expire(session, model, ids) -> None:
    """ORM copies of rows written here are out of date: the next read refreshes them."""
    for ident in ids:
        obj = session.identity_map.get(identity_key(model, ident))
        if obj is not None:
            session.expire(obj)
