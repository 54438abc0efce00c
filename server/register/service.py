"""Hazard register services: plain functions of (session, actor, …) that flush, never commit.

Every change is an appended `HazardEvent` applied through `projection.step`, the same
function the replay uses. Two kinds of caller:

- the sync engine (`report_hazard`, `update_hazard`, `report_rectification`, `comment`,
  `verify`): a transition the lifecycle refuses does NOT raise — its evidence is kept as
  a refused event and the returned `Outcome.error` says why (the engine reports the
  mutation `rejected` and keeps its savepoint). Only NotFound (not visible) raises.
- staff actions (`act`): a refusal raises (403 / 409) and the request rolls back; there
  is no field evidence to keep, and the caller sees the answer at once.

Concurrency: the hazard row is read `FOR UPDATE` (PostgreSQL; SQLite writers are already
serialized by BEGIN IMMEDIATE) and every UPDATE carries `WHERE version = <read>`, so two
reviewers acting at once are applied one after the other, and the second one is judged
against the state the first one left.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app, has_app_context
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.exc import StaleDataError

from server import audit
from server.auth.scope import region_in_scope, scoped
from server.errors import Conflict, DomainError, InvalidTransition, NotAllowed, NotFound
from server.models import Hazard, HazardAlias, HazardEvent, Inspection, Region, User
from server.models.hazard import EDITABLE_FIELDS
from server.models.types import utcnow
from server.register import lifecycle as lc
from server.register.projection import STATE_FIELDS, state_of, step
from server.sites.service import Page, get_site
from server.suppliers import identity as supplier_identity
from server.suppliers import service as supplier_service

LEVEL_RANK = {"county": 1, "city": 2, "province": 3}
ROLE_MAX_LISTING = {"county_reviewer": 1, "city_admin": 3}


@dataclass
class Outcome:
    """What one register mutation did: the hazard, the event, and the refusal if any."""

    hazard: Hazard
    event: HazardEvent | None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def id(self) -> uuid.UUID:
        return self.hazard.id

    @property
    def version(self) -> int:
        return self.hazard.version


# --- settings and time ------------------------------------------------------------------

def setting(key: str, default):
    if has_app_context():
        return current_app.config.get(key, default)
    return default


def local_today() -> date:
    tz = setting("TZ", None)
    return datetime.now(tz).date() if tz else datetime.now(UTC).date()


def local_day_start(day: date) -> datetime:
    """The UTC instant a local calendar day begins (filters take local dates)."""
    tz = setting("TZ", None) or UTC
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def deadline_days(sector: str, severity: str) -> int:
    """Default rectification time: per sector for general hazards, longer for major ones."""
    if severity == "major":
        return int(setting("MAJOR_DEADLINE_DAYS", 30))
    per_sector = setting("SECTOR_DEADLINE_DAYS", {}) or {}
    return int(per_sector.get(sector, setting("DEFAULT_DEADLINE_DAYS", 7)))


# Most leaves of a submission's answers are plain JSON already: testing for them first
# spares a push tens of thousands of isinstance chains (they returned these unchanged).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _jsonable(value):
    if type(value) in _PLAIN:
        return value
    if isinstance(value, dict):
        return {k: v if type(v) in _PLAIN else _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if type(v) in _PLAIN else _jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --- loading ----------------------------------------------------------------------------

def resolve_id(session, hazard_id) -> uuid.UUID:
    """The hazard an id names: itself, or the hazard a merged derived id was merged into."""
    hazard_id = uuid.UUID(str(hazard_id))
    if session.scalar(select(Hazard.id).where(Hazard.id == hazard_id)) is not None:
        return hazard_id
    target = session.scalar(select(HazardAlias.hazard_id).where(HazardAlias.alias_id == hazard_id))
    return target or hazard_id


def get_hazard(session, actor: User, hazard_id, *, for_update: bool = False) -> Hazard:
    """One hazard in the actor's scope (aliases resolved), or NotFound."""
    real_id = resolve_id(session, hazard_id)
    stmt = scoped(select(Hazard).where(Hazard.id == real_id), Hazard.region_code, actor)
    if for_update:
        stmt = stmt.with_for_update(of=Hazard).execution_options(populate_existing=True)
    hazard = session.scalar(stmt)
    if hazard is None:
        raise NotFound(f"No hazard {hazard_id}.", details={"id": str(hazard_id)})
    return hazard


def open_hazard_for(session, site_id, item: str) -> Hazard | None:
    return session.scalar(
        select(Hazard).where(Hazard.site_id == site_id, Hazard.item == item,
                             Hazard.status != lc.CLOSED)
        .with_for_update(of=Hazard).execution_options(populate_existing=True))


def events_of(session, hazard_id) -> list[HazardEvent]:
    return list(session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard_id)
                                .order_by(HazardEvent.seq)))


# --- the one write path -----------------------------------------------------------------

def _refusal_error(decision: lc.Decision, hazard: Hazard | None) -> DomainError:
    details = {"reason": decision.reason}
    if hazard is not None:
        details.update(hazard_id=str(hazard.id), status=hazard.status)
    if decision.code == "forbidden":
        return NotAllowed(decision.message, details=details)
    return InvalidTransition(decision.message, details=details)


def _event_map(kind: str, actor: User | None, data: dict, inspection_id) -> dict:
    """The mapping `step` reads for a new event (data already JSON)."""
    return {"type": kind, "at": utcnow(), "actor_id": getattr(actor, "id", None),
            "actor_role": getattr(actor, "role", None), "inspection_id": inspection_id,
            "data": data, "refused": False}


def _event_row(event_map: dict, hazard_id, decision: lc.Decision, version: int,
               device_at: datetime | None) -> dict:
    """The `HazardEvent` columns of a stepped event."""
    return {"hazard_id": hazard_id, "type": event_map["type"], "at": event_map["at"],
            "device_at": device_at, "actor_id": event_map["actor_id"],
            "actor_role": event_map["actor_role"], "inspection_id": event_map["inspection_id"],
            "data": event_map["data"], "refused": not decision.ok, "error_code": decision.code,
            "version": version}


def append_event(session, hazard: Hazard | None, kind: str, actor: User | None, data: dict,
                 *, inspection_id=None, device_at: datetime | None = None,
                 flush: bool = True) -> Outcome:
    """Append one event and project it onto the row; a refusal is kept as a refused event.

    `flush=False`: the caller adds more and flushes once (see `flush_register`).
    """
    event_map = _event_map(kind, actor, _jsonable(data), inspection_id)
    before = state_of(hazard) if hazard is not None else None
    after, decision = step(before, event_map)
    if decision.ok:
        if hazard is None:
            hazard = Hazard()
            session.add(hazard)
        for field in STATE_FIELDS:
            if before is None or after[field] != before[field]:
                setattr(hazard, field, after[field])
    elif hazard is None:  # pragma: no cover - a "found" is only refused for a bad role
        raise _refusal_error(decision, None)
    event = HazardEvent(**_event_row(event_map, hazard.id, decision, hazard.version, device_at))
    session.add(event)
    if flush:
        flush_register(session, hazard.id)
    return Outcome(hazard, event, None if decision.ok else _refusal_error(decision, hazard))


def found_rows(actor: User | None, site, found: list[dict], *, inspection_id=None,
               device_at: datetime | None = None) -> list[tuple[dict, dict]]:
    """(hazard row, event row) of a new hazard per finding, as plain column dicts.

    For a caller that inserts them itself (a push's batch of plain submissions): it has
    checked that no finding's item has an open hazard at the site and that no id is
    taken (`check_free`). The rows are what `append_event` would write for a "found",
    projected by the same `step`.
    """
    out = []
    for data in found:
        hazard_id = uuid.UUID(str(data["id"]))
        event_map = _event_map(lc.FOUND, actor, _jsonable(_found_data(site, data, hazard_id)),
                               inspection_id)
        state, decision = step(None, event_map)
        if not decision.ok:  # pragma: no cover - a "found" is only refused for a bad role
            raise _refusal_error(decision, None)
        out.append(({f: state[f] for f in STATE_FIELDS},
                    _event_row(event_map, hazard_id, decision, state["version"], device_at)))
    return out


def check_free(hazard_id: uuid.UUID, taken_hazard, taken_alias) -> None:
    """A new hazard's id must not name a hazard or a merged id already."""
    if hazard_id in taken_hazard or hazard_id in taken_alias:
        raise Conflict(f"Hazard id {hazard_id} is already in use.", details={"id": str(hazard_id)})


def flush_register(session, hazard_id=None) -> None:
    """Flush; a hazard row changed under us (optimistic lock) becomes a Conflict."""
    try:
        session.flush()
    except StaleDataError:
        details = {"hazard_id": str(hazard_id)} if hazard_id is not None else {}
        raise Conflict("The hazard was changed by someone else at the same time; reload it "
                       "and try again. 隐患已被他人修改,请刷新后重试。",
                       details=details) from None


# --- field (sync) entry points ----------------------------------------------------------

def _merge_finding(session, actor, hazard: Hazard, alias_id, *, photos, note, inspection_id,
                   device_at=None) -> Outcome:
    """A re-found item: a finding on the open hazard, and the derived id as its alias."""
    outcome = append_event(session, hazard, lc.REFOUND, actor,
                           {"alias_id": alias_id, "photos": photos or [], "note": note},
                           inspection_id=inspection_id, device_at=device_at)
    if alias_id is not None and session.get(HazardAlias, alias_id) is None:
        session.add(HazardAlias(alias_id=alias_id, hazard_id=hazard.id,
                                inspection_id=inspection_id))
        session.flush()
    return outcome


def create_or_merge(session, actor: User | None, site, data: dict, *, inspection_id=None,
                    device_at: datetime | None = None) -> tuple[Hazard, bool]:
    """Register a hazard found at `site`, or add the finding to the open one for its item.

    `data`: id, sector, item?, description, severity, source, photos, and optionally
    standard, supplier, supplier_major, deadline_days, note. Returns (hazard, merged).
    """
    hazard_id = uuid.UUID(str(data["id"]))
    if data.get("item"):
        existing = open_hazard_for(session, site.id, data["item"])
        if existing is not None:
            _merge_finding(session, actor, existing, hazard_id, photos=data.get("photos"),
                           note=data.get("note"), inspection_id=inspection_id,
                           device_at=device_at)
            return existing, True
    if (session.get(Hazard, hazard_id) is not None
            or session.get(HazardAlias, hazard_id) is not None):
        raise Conflict(f"Hazard id {hazard_id} is already in use.", details={"id": str(hazard_id)})
    outcome = append_event(session, None, lc.FOUND, actor, _found_data(site, data, hazard_id),
                           inspection_id=inspection_id, device_at=device_at)
    return outcome.hazard, False


def _found_data(site, data: dict, hazard_id: uuid.UUID) -> dict:
    days = data.get("deadline_days") or deadline_days(data["sector"], data["severity"])
    return {
        "id": hazard_id, "site_id": site.id, "region_code": site.region_code,
        "sector": data["sector"], "item": data.get("item"),
        "description": data.get("description") or "", "severity": data["severity"],
        "grade": data.get("grade"), "source": data["source"], "standard": data.get("standard"),
        "supplier": data.get("supplier"), "supplier_major": bool(data.get("supplier_major")),
        "supplier_id": supplier_identity.supplier_id(site, data.get("supplier")),
        "elements": list(data.get("elements") or []),
        "photos": data.get("photos") or [], "note": data.get("note"),
        "deadline": local_today() + timedelta(days=int(days)),
    }


def ids_in_use(session, ids) -> dict[str, set[uuid.UUID]]:
    """Which of `ids` are hazard, merged ("alias") or inspection ids, in one query."""
    taken: dict[str, set[uuid.UUID]] = {"hazard": set(), "alias": set(), "inspection": set()}
    if not ids:
        return taken
    ids = list(ids)
    parts = [select(Hazard.id, literal("hazard")).where(Hazard.id.in_(ids)),
             select(HazardAlias.alias_id, literal("alias")).where(HazardAlias.alias_id.in_(ids)),
             select(Inspection.id, literal("inspection")).where(Inspection.id.in_(ids))]
    for taken_id, kind in session.execute(union_all(*parts)):
        taken[kind].add(uuid.UUID(str(taken_id)))
    return taken


def open_hazards_for(session, pairs) -> dict[tuple[uuid.UUID, str], Hazard]:
    """(site id, item) → its open hazard, locked, for each pair that has one (one query)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    stmt = (select(Hazard)
            .where(Hazard.site_id.in_({site_id for site_id, _ in pairs}),
                   Hazard.item.in_({item for _, item in pairs}), Hazard.status != lc.CLOSED)
            .options(lazyload(Hazard.site))
            .with_for_update(of=Hazard).execution_options(populate_existing=True))
    found = {(h.site_id, h.item): h for h in session.scalars(stmt)}
    return {pair: hazard for pair, hazard in found.items() if pair in pairs}


def open_pairs(session, pairs) -> set[tuple[uuid.UUID, str]]:
    """The (site id, item) pairs among `pairs` that have an open hazard (one query, no
    lock: for checking that a read of `open_hazards_for` still holds)."""
    pairs = set(pairs)
    if not pairs:
        return set()
    rows = session.execute(select(Hazard.site_id, Hazard.item).where(
        Hazard.site_id.in_({site_id for site_id, _ in pairs}),
        Hazard.item.in_({item for _, item in pairs}), Hazard.status != lc.CLOSED))
    return {(site_id, item) for site_id, item in rows} & pairs


def has_open(open_hazards: dict, pair) -> bool:
    """Whether a push's `open_hazards` map holds an open hazard for (site id, item). An id
    in place of a hazard is one the push's batch wrote as found (open) since the map was read."""
    hazard = open_hazards.get(pair)
    return hazard is not None and (isinstance(hazard, uuid.UUID) or hazard.status != lc.CLOSED)


def _load_written(session, open_hazards: dict, pairs) -> None:
    """Put the hazards in place of the ids the push's batch wrote, locked like the rest."""
    wanted = {open_hazards[p]: p for p in pairs if isinstance(open_hazards.get(p), uuid.UUID)}
    if wanted:
        for hazard in session.scalars(
                select(Hazard).where(Hazard.id.in_(wanted)).options(lazyload(Hazard.site))
                .with_for_update(of=Hazard).execution_options(populate_existing=True)):
            open_hazards[wanted[hazard.id]] = hazard


def create_or_merge_all(session, actor: User | None, site, found: list[dict], *,
                        inspection_id=None, device_at: datetime | None = None,
                        taken: dict[str, set] | None = None,
                        open_hazards: dict | None = None) -> list[tuple[Hazard, bool]]:
    """`create_or_merge` for every finding of one inspection, without flushing.

    Two queries whatever the number of findings (the site's open hazards for those items,
    locked; the ids already taken, unless `taken` from `ids_in_use` covers them), then the
    events in memory: the caller flushes once with `flush_register`. Same rules and same
    errors as one `create_or_merge` per finding. `open_hazards`: a push's batched
    `open_hazards_for` (kept current by its caller) instead of the first query.
    """
    ids = [uuid.UUID(str(d["id"])) for d in found]
    items = sorted({d["item"] for d in found if d.get("item")})
    open_by_item: dict[str, Hazard] = {}
    if items and open_hazards is not None:
        _load_written(session, open_hazards, [(site.id, item) for item in items])
        open_by_item = {item: open_hazards[(site.id, item)] for item in items
                        if has_open(open_hazards, (site.id, item))}
    elif items:
        open_by_item = {h.item: h for h in session.scalars(
            select(Hazard).where(Hazard.site_id == site.id, Hazard.item.in_(items),
                                 Hazard.status != lc.CLOSED)
            # The site is in hand (and in the identity map): no join for it.
            .options(lazyload(Hazard.site))
            .with_for_update(of=Hazard).execution_options(populate_existing=True))}
    if taken is None:
        taken = ids_in_use(session, ids)
    # Copies: the caller's sets learn about this inspection's ids only once it is flushed.
    taken_hazard, taken_alias = set(taken.get("hazard", ())), set(taken.get("alias", ()))
    out = []
    for data, hazard_id in zip(found, ids, strict=True):
        existing = open_by_item.get(data.get("item")) if data.get("item") else None
        if existing is not None:
            append_event(session, existing, lc.REFOUND, actor,
                         {"alias_id": hazard_id, "photos": data.get("photos") or [],
                          "note": data.get("note")},
                         inspection_id=inspection_id, device_at=device_at, flush=False)
            if hazard_id not in taken_alias:
                taken_alias.add(hazard_id)
                session.add(HazardAlias(alias_id=hazard_id, hazard_id=existing.id,
                                        inspection_id=inspection_id))
            out.append((existing, True))
            continue
        check_free(hazard_id, taken_hazard, taken_alias)
        outcome = append_event(session, None, lc.FOUND, actor,
                               _found_data(site, data, hazard_id),
                               inspection_id=inspection_id, device_at=device_at, flush=False)
        taken_hazard.add(hazard_id)
        if data.get("item"):
            open_by_item[data["item"]] = outcome.hazard
        out.append((outcome.hazard, False))
    return out


def report_hazard(session, actor: User, args: dict, *, device_at: datetime | None = None) -> Hazard:
    """`hazard.report`: {id, site_id, sector, description, severity, source, item?, photos}.

    With an item that the site already has an open hazard for, the report becomes a
    finding of that hazard (the returned hazard's id then differs from args["id"]).
    """
    site = get_site(session, actor, args["site_id"])
    hazard, _merged = create_or_merge(session, actor, site, dict(args), device_at=device_at)
    return hazard


def hazard_fields_changed_since(session, hazard: Hazard, base_version: int) -> set[str]:
    """Which editable fields accepted events changed after `base_version` (field merge)."""
    rows = session.scalars(select(HazardEvent.data).where(
        HazardEvent.hazard_id == hazard.id, HazardEvent.version > base_version,
        HazardEvent.type == lc.PLANNED, HazardEvent.refused.is_(False)))
    changed: set[str] = set()
    for data in rows:
        changed.update(set((data or {}).get("fields") or {}) & set(EDITABLE_FIELDS))
    return changed


def update_hazard(session, actor: User, hazard_id, apply: dict, conflicts: list[dict], *,
                  device_at: datetime | None = None) -> Outcome:
    """`hazard.update` after the field merge: apply `apply`, record each conflict.

    Returns an Outcome (it has `.id` and `.version` like a Hazard; `.error` is set when
    the lifecycle refused the change, e.g. on a closed hazard — the attempt is kept as a
    refused event). Each conflict dict (field, server value, device value, kept) becomes
    a "conflict" event for reviewers.
    """
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    outcome = Outcome(hazard, None)
    for conflict in conflicts or []:
        outcome = append_event(session, hazard, lc.CONFLICT, actor, dict(conflict),
                               device_at=device_at)
    fields = {k: v for k, v in (apply or {}).items() if k in EDITABLE_FIELDS}
    if fields:
        outcome = append_event(session, hazard, lc.PLANNED, actor, {"fields": fields},
                               device_at=device_at)
    return outcome


def report_rectification(session, actor: User, hazard_id, note: str | None, photos: list,
                         *, device_at: datetime | None = None) -> Outcome:
    """`hazard.rectification_reported`: the site says it is fixed; wait for verification."""
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    return append_event(session, hazard, lc.FIX_REPORTED, actor,
                        {"note": note, "photos": photos or []}, device_at=device_at)


def comment(session, actor: User, hazard_id, text: str, photos: list | None = None, *,
            device_at: datetime | None = None) -> Outcome:
    """`hazard.comment`: a note (and photos) on the hazard's timeline."""
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    return append_event(session, hazard, lc.COMMENT, actor,
                        {"text": text, "photos": photos or []}, device_at=device_at)


def verify(session, actor: User, hazard_id, result: str, note: str | None, photos: list, *,
           inspection_id=None, device_at: datetime | None = None) -> Outcome:
    """An on-site verification (复查): rectified closes (or awaits sign-off), else back."""
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    kind = lc.VERIFIED_RECTIFIED if result == "rectified" else lc.VERIFIED_NOT_RECTIFIED
    return append_event(session, hazard, kind, actor, {"note": note, "photos": photos or []},
                        inspection_id=inspection_id, device_at=device_at)


# --- staff actions ----------------------------------------------------------------------

ACTIONS = {
    "plan": lc.PLANNED,
    "set_severity": lc.SEVERITY_SET,
    "sign_off": lc.SIGNED_OFF,
    "list": lc.LISTED,
    "delist": lc.DELISTED,
    "stop_work": lc.STOP_WORK_ORDERED,
    "lift_stop_work": lc.STOP_WORK_LIFTED,
    "comment": lc.COMMENT,
}


def act(session, actor: User, hazard_id, action: str, args: dict, *,
        expected_version: int | None = None) -> Hazard:
    """A staff action (`POST /hazards/<id>/actions`), permission-checked and audited.

    Refusals raise: 403 forbidden (role), 409 invalid_transition (state), 409 conflict
    when `expected_version` is given and the hazard has moved on since.
    """
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    if expected_version is not None and expected_version != hazard.version:
        raise Conflict("The hazard changed since you loaded it; reload and try again. "
                       "隐患已被他人修改,请刷新。",
                       details={"version": hazard.version, "expected": expected_version})
    if action == "list":
        allowed = ROLE_MAX_LISTING.get(actor.role, 0)
        if LEVEL_RANK[args["level"]] > allowed:
            raise NotAllowed(f"A {actor.role} cannot list at {args['level']} level. "
                             "无权在该级别挂牌督办。", details={"level": args["level"]})
    data = {"fields": args} if action == "plan" else dict(args)
    outcome = append_event(session, hazard, ACTIONS[action], actor, data)
    if outcome.error is not None:
        raise outcome.error
    audit.record(session, f"hazard.{action}", actor=actor, target_type="hazard",
                 target_id=hazard.id, details=_jsonable(dict(args, version=hazard.version)))
    return hazard


# --- the register list ------------------------------------------------------------------

SORTS = {
    "found_at": (Hazard.found_at,), "-found_at": (Hazard.found_at.desc(),),
    "deadline": (Hazard.deadline,), "-deadline": (Hazard.deadline.desc(),),
    "updated_at": (Hazard.updated_at,), "-updated_at": (Hazard.updated_at.desc(),),
    "severity": (Hazard.severity.desc(), Hazard.found_at.desc()),
    "status": (Hazard.status, Hazard.found_at.desc()),
}


def filtered(session, actor: User, *, region=None, sector=None, status=None, severity=None,
             overdue=None, listed=None, source=None, found_from=None, found_to=None,
             site_id=None, item=None, supplier=None, **_ignored):
    """The scoped select of hazards for the list, the ledger export and the statistics."""
    stmt = scoped(select(Hazard), Hazard.region_code, actor)
    if region:
        root = region_in_scope(session, actor, region)
        stmt = stmt.where(Hazard.region_code.in_(
            select(Region.code).where(Region.path.startswith(root.path, autoescape=True))))
    if sector:
        stmt = stmt.where(Hazard.sector.in_(sector))
    if status:
        stmt = stmt.where(Hazard.status.in_(status))
    if severity:
        stmt = stmt.where(Hazard.severity == severity)
    if overdue is not None:
        stmt = stmt.where(Hazard.overdue.is_(overdue))
    if listed is not None:
        stmt = stmt.where(Hazard.listing_level.isnot(None) if listed
                          else Hazard.listing_level.is_(None))
    if source:
        stmt = stmt.where(Hazard.source == source)
    if found_from:
        stmt = stmt.where(Hazard.found_at >= local_day_start(found_from))
    if found_to:
        stmt = stmt.where(Hazard.found_at < local_day_start(found_to + timedelta(days=1)))
    if site_id:
        stmt = stmt.where(Hazard.site_id == site_id)
    if item:
        stmt = stmt.where(Hazard.item == item)
    if supplier:
        stmt = stmt.where(Hazard.supplier_id.in_(supplier_service.members(session, supplier)))
    return stmt


def search_hazards(session, actor: User, *, sort: str = "-found_at", page: int = 1,
                   per_page: int = 50, **filters) -> Page:
    stmt = filtered(session, actor, **filters)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = session.scalars(stmt.order_by(*SORTS[sort], Hazard.id)
                            .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), total, page, per_page)


def findings_of(events: list[HazardEvent]) -> list[dict]:
    """The inspections that found this hazard (the first finding and every re-finding)."""
    return [{"inspection_id": e.inspection_id, "at": e.at, "alias_id": e.data.get("alias_id")}
            for e in events if e.type in (lc.FOUND, lc.REFOUND) and not e.refused]


def hazard_detail(session, actor: User, hazard_id) -> Hazard:
    """A hazard with `events` and `findings` attached for the detail view."""
    hazard = get_hazard(session, actor, hazard_id)
    events = events_of(session, hazard.id)
    hazard.events = events
    hazard.findings = findings_of(events)
    return hazard
