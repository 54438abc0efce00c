"""Pull: the caller's scope as a feed of changes in server order, paged by a cursor.

The feed is served only up to its safe point (`server.models.changelog.safe_point`): on
PostgreSQL a change with a lower seq may still commit after a higher one became visible,
and a cursor that moved past it would skip it for good.

The cursor also records the caller and their scope: when the scope changes (or the
cursor is forged or foreign) the pull answers 409 cursor_reset and the device starts over.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, inspect, or_, select

import forms
from server import restore_epoch as epoch
from server.auth.scope import region_codes_subquery
from server.campaigns import grants
from server.checklists import catalogue as published
from server.errors import Conflict
from server.models import ChangeLog, MutationResult, User
from server.models.changelog import safe_point
from server.models.types import utcnow
from sync import cursor as cursors
from sync import recovery

_PULLABLE: dict[str, type] = {}


@dataclass
class PullPage:
    changes: list[dict]
    cursor: str
    has_more: bool
    last_mutation_id: int
    server_time: datetime
    epoch: int = 0  # restore recovery (sync.recovery)
    safe_mutation_id: int = 0


def pullable_models() -> dict[str, type]:
    """`__pull_type__` → model class, for every mapped model that declares one."""
    if not _PULLABLE:
        from server.extensions import db

        for mapper in db.Model.registry.mappers:
            pull_type = getattr(mapper.class_, "__pull_type__", None)
            if pull_type:
                _PULLABLE[pull_type] = mapper.class_
    return _PULLABLE


def checklist_fingerprint() -> str:
    """Changes when what the phones are served changes: a version published, the
    deployment's regional variants or its names for local documents (forms.deployment)."""
    return _served_fingerprint(forms.deployment.current())


@functools.cache
def _served_fingerprint(_deployment) -> str:
    served = json.dumps([forms.served(c) for c in forms.published()], sort_keys=True,
                        ensure_ascii=False)
    return hashlib.sha256(served.encode()).hexdigest()[:16]


def reset(message: str) -> Conflict:
    return Conflict(message, code="cursor_reset",
                    details={"reason": message})


def _scope(actor: User, grant: str) -> str:
    """The cursor's scope: the actor's area, and the sites a cross-check lends them."""
    return f"{actor.region.path}#{grant}" if grant else actor.region.path


def _start(actor: User, scope: str) -> cursors.Position:
    return cursors.Position(user=str(actor.id), scope=scope, seq=0, checklists="")


def _in_feed(actor: User, grant: str, today: date):
    """Which feed entries the actor pulls: their area's; with a cross-check grant also
    the lent sites, their hazards and tasks, and the actor's own inspections there."""
    area = ChangeLog.region_code.in_(region_codes_subquery(actor))
    if not grant:
        return area
    lent = [and_(ChangeLog.type == pull_type, ChangeLog.entity_id.in_(ids))
            for pull_type, ids in grants.granted_things(actor.id, today).items()]
    own = and_(ChangeLog.type == "inspection", ChangeLog.owner_id == actor.id)
    return or_(area, own, *lent)


def pull(session, actor: User, client_id, token: str | None, limit: int,
         secret: str, today: date | None = None) -> PullPage:
    today = today or utcnow().date()
    grant = grants.grant_key(session, actor.id, today)
    scope = _scope(actor, grant)
    if token:
        try:
            pos = cursors.decode(secret, token)
        except cursors.CursorInvalid:
            raise reset("This cursor cannot be served; pull from the beginning.") from None
        if pos.user != str(actor.id) or pos.scope != scope:
            raise reset("Your area has changed; pull from the beginning.")
        if epoch.stale_after_restore(session, pos.top):
            raise reset("The server was restored from a backup; pull from the beginning.")
    else:
        pos = _start(actor, scope)
    safe = safe_point(session.connection())
    # Plain rows, not ChangeLog objects: a first pull reads thousands of entries.
    stmt = (select(ChangeLog.seq, ChangeLog.type, ChangeLog.entity_id, ChangeLog.op,
                   ChangeLog.version, ChangeLog.merged_into)
            .where(ChangeLog.seq > pos.seq, ChangeLog.seq <= safe,
                   or_(ChangeLog.owner_id.is_(None), ChangeLog.owner_id == actor.id))
            .where(_in_feed(actor, grant, today))
            .order_by(ChangeLog.seq).limit(limit + 1))
    rows = session.execute(stmt).all()
    has_more = len(rows) > limit
    rows = rows[:limit]

    changes: list[dict] = []
    fingerprint = published.fingerprint(session, actor, checklist_fingerprint())
    if pos.checklists != fingerprint:
        changes.extend(_checklist_changes(session, actor))
    changes.extend(_serialize(session, rows))

    top = epoch.current_top(session)
    # Drained: everything up to the safe point (in scope or not) has been looked at.
    nxt = cursors.Position(pos.user, pos.scope, rows[-1].seq if has_more else max(pos.seq, safe),
                           fingerprint, top)
    return PullPage(changes=changes, cursor=cursors.encode(secret, nxt), has_more=has_more,
                    last_mutation_id=_last_mutation_id(session, client_id, safe),
                    server_time=utcnow(), **recovery.stamp_for(session, client_id))


def _last_mutation_id(session, client_id, safe: int) -> int:
    """The device's counter, as far as the feed served up to `safe` reflects it."""
    return session.scalar(
        select(MutationResult.mutation_id)
        .where(MutationResult.client_id == client_id, MutationResult.feed_seq <= safe)
        .order_by(MutationResult.mutation_id.desc()).limit(1)) or 0


def _checklist_changes(session, actor: User) -> list[dict]:
    """The repository's versions and those published for the caller's area."""
    return [{"type": "checklist", "id": f"{doc['code']}:{doc['version']}", "op": "put",
             "version": doc["version"], "data": doc} for doc in published.served(session, actor)]


def _serialize(session, rows) -> list[dict]:
    """The changes for feed entries (rows with seq, type, entity_id, op, version,
    merged_into), each thing's data read in one query per type."""
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
        if callable(getattr(model, "pull_data", None)):
            for obj in session.scalars(select(model).where(model.id.in_(ids))):
                loaded[(pull_type, obj.id)] = obj.pull_data()
            continue
        # Plain rows, not ORM objects: a first pull serves thousands, and the models'
        # joined relationships are of no use here.
        table, exclude = model.__table__, set(getattr(model, "__pull_exclude__", ()))
        columns = [c for c in table.columns if c.key not in exclude]
        keys = [c.key for c in columns]
        id_index = keys.index("id")
        found = session.execute(select(*columns).where(table.c.id.in_(ids))).all()
        encoders = _encoders(found, len(keys))
        for row in found:
            values = list(row)
            for i, encode in encoders:
                if values[i] is not None:
                    values[i] = encode(values[i])
            loaded[(pull_type, row[id_index])] = dict(zip(keys, values, strict=True))
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


def _encoders(rows, width: int) -> list[tuple[int, object]]:
    """(column index, encoder) for the columns whose values JSON cannot take as they are,
    decided once per column from its first value (a column holds one type), instead of
    testing every value of every row."""
    out = []
    for i in range(width):
        sample = next((row[i] for row in rows if row[i] is not None), None)
        if isinstance(sample, datetime | date):
            out.append((i, _isoformat))
        elif isinstance(sample, uuid.UUID):
            out.append((i, str))
        elif isinstance(sample, Decimal):
            out.append((i, float))
    return out


def _isoformat(value) -> str:
    return value.isoformat()


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
