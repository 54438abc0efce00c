"""Pull: the caller's scope as a feed of changes in server order, paged by a cursor.

Safe point. Change-log entries get their `seq` when written, but transactions commit in
any order: on PostgreSQL, seq 11 may be visible while seq 10 is still in flight, and a
reader that advanced past 11 would never see 10. So the feed is served in *windows* of
finished transactions: each entry carries its writer's transaction id (`txid`), and a
window is [lo, hi) where hi is the oldest transaction still running when the window
opens (`pg_snapshot_xmin`). Every transaction below hi has finished, so the window is
complete and final; it is paged by seq, and the next window starts at hi. On SQLite
writers are serialized, seq order is commit order, and seq itself is the watermark.

The cursor also records the caller and their scope: when the scope changes (or the
cursor is forged or foreign) the pull answers 409 cursor_reset and the device starts over.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, inspect, or_, select, text

import forms
from server.auth.scope import scoped
from server.errors import Conflict
from server.models import ChangeLog, Device, MutationResult, User
from server.models.types import utcnow
from server.ops import epoch
from sync import cursor as cursors

_PULLABLE: dict[str, type] = {}


@dataclass
class PullPage:
    changes: list[dict]
    cursor: str
    has_more: bool
    last_mutation_id: int
    server_time: datetime


def pullable_models() -> dict[str, type]:
    """`__pull_type__` → model class, for every mapped model that declares one."""
    if not _PULLABLE:
        from server.extensions import db

        for mapper in db.Model.registry.mappers:
            pull_type = getattr(mapper.class_, "__pull_type__", None)
            if pull_type:
                _PULLABLE[pull_type] = mapper.class_
    return _PULLABLE


def _is_pg(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def current_watermark(session) -> int:
    """Every change below this watermark is final (committed or rolled back)."""
    if _is_pg(session):
        return session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))
    return (session.scalar(select(func.max(ChangeLog.seq))) or 0) + 1


def _watermark_column(session):
    return ChangeLog.txid if _is_pg(session) else ChangeLog.seq


def checklist_fingerprint(catalogue=None) -> str:
    catalogue = catalogue if catalogue is not None else forms.load_all()
    keys = ",".join(f"{c.code}:{c.version}" for c in catalogue)
    return hashlib.sha256(keys.encode()).hexdigest()[:16]


def reset(message: str) -> Conflict:
    return Conflict(message, code="cursor_reset",
                    details={"reason": message})


def _start(actor: User) -> cursors.Position:
    return cursors.Position(user=str(actor.id), scope=actor.region.path, lo=0, hi=None, seq=0,
                            checklists="")


def pull(session, actor: User, client_id, token: str | None, limit: int,
         secret: str) -> PullPage:
    if token:
        try:
            pos = cursors.decode(secret, token)
        except cursors.CursorInvalid:
            raise reset("This cursor cannot be served; pull from the beginning.") from None
        if pos.user != str(actor.id) or pos.scope != actor.region.path:
            raise reset("Your area has changed; pull from the beginning.")
        if epoch.stale_after_restore(session, pos.top):
            raise reset("The server was restored from a backup; pull from the beginning.")
    else:
        pos = _start(actor)
    hi = pos.hi if pos.hi is not None else current_watermark(session)
    wm = _watermark_column(session)
    stmt = (select(ChangeLog)
            .where(wm >= pos.lo, wm < hi, ChangeLog.seq > pos.seq,
                   or_(ChangeLog.owner_id.is_(None), ChangeLog.owner_id == actor.id))
            .order_by(ChangeLog.seq).limit(limit + 1))
    rows = session.scalars(scoped(stmt, ChangeLog.region_code, actor)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]

    changes: list[dict] = []
    fingerprint = checklist_fingerprint()
    if pos.checklists != fingerprint:
        changes.extend(_checklist_changes())
    changes.extend(_serialize(session, rows))

    top = epoch.current_top(session)
    if has_more:
        nxt = cursors.Position(pos.user, pos.scope, pos.lo, hi, rows[-1].seq, fingerprint, top)
    else:
        nxt = cursors.Position(pos.user, pos.scope, hi, None, 0, fingerprint, top)
    return PullPage(changes=changes, cursor=cursors.encode(secret, nxt), has_more=has_more,
                    last_mutation_id=_last_mutation_id(session, client_id, hi),
                    server_time=utcnow())


def _last_mutation_id(session, client_id, hi: int) -> int:
    """The device's counter as of the data served so far (same safe point)."""
    if not _is_pg(session):
        return session.scalar(select(Device.last_mutation_id)
                              .where(Device.client_id == client_id)) or 0
    return session.scalar(
        select(MutationResult.mutation_id)
        .where(MutationResult.client_id == client_id, MutationResult.txid < hi)
        .order_by(MutationResult.mutation_id.desc()).limit(1)) or 0


def _checklist_changes() -> list[dict]:
    return [{"type": "checklist", "id": f"{c.code}:{c.version}", "op": "put",
             "version": c.version, "data": forms.served(c)} for c in forms.load_all()]


def _serialize(session, rows: list[ChangeLog]) -> list[dict]:
    models = pullable_models()
    wanted: dict[str, set] = defaultdict(set)
    for row in rows:
        if row.op == "put":
            wanted[row.type].add(row.entity_id)
    loaded: dict[tuple[str, uuid.UUID], dict] = {}
    for pull_type, ids in wanted.items():
        model = models.get(pull_type)
        if model is None:
            continue
        for obj in session.scalars(select(model).where(model.id.in_(ids))):
            loaded[(pull_type, obj.id)] = pull_data(obj)
    out = []
    for row in rows:
        if row.op == "remove":
            data = {"merged_into": str(row.merged_into)} if row.merged_into else {}
            out.append({"type": row.type, "id": str(row.entity_id), "op": "remove",
                        "version": row.version, "data": data})
            continue
        data = loaded.get((row.type, row.entity_id))
        if data is None:
            continue  # deleted since; its remove entry follows in the feed
        out.append({"type": row.type, "id": str(row.entity_id), "op": "put",
                    "version": data.get("version", row.version), "data": data})
    return out


def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def pull_data(obj) -> dict:
    """The row as the device stores it: every column, minus `__pull_exclude__`."""
    custom = getattr(obj, "pull_data", None)
    if callable(custom):
        return custom()
    exclude = getattr(type(obj), "__pull_exclude__", ())
    state = inspect(obj)
    return {attr.key: _jsonable(getattr(obj, attr.key)) for attr in state.mapper.column_attrs
            if attr.key not in exclude}
