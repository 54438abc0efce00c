"""The register's one unit of work: every change to the register goes through a
`RegisterWrite` — a push's mutations, a reviewer's action, a nightly job.

It reads what the changes depend on (in one query per kind for a whole push, kept for
the unit: sites, hazards and their row locks, the open hazard of each (site, item),
which ids are in use, which photos are stored), takes the changes as plain rows (new
inspections, findings, events projected by `projection.step`) and writes them once with
`write()`: one executemany per table, version-checked updates of the hazards it changed,
their photo references, and their change-log entries, noted explicitly.

Nothing reaches the database before `write()`, so a change refused halfway is undone
in memory: `mark()` before it, `undo(mark)` after the refusal. A refused *transition* is
not undone: its event is kept, refused, because evidence is never lost.

Concurrency: hazards are read `FOR UPDATE` (PostgreSQL; SQLite writers are serialized
by BEGIN IMMEDIATE) and every UPDATE carries `WHERE version = <read>`; a unique index
(one open hazard per site and item, primary keys) is the backstop for inserts. A
collision raises, and the caller's transaction is retried.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import String, and_, bindparam, cast, literal, null, or_, select, union_all

from server.errors import Conflict, DomainError, InvalidTransition, NotAllowed, NotFound
from server.models import Blob, Hazard, HazardAlias, HazardEvent, Inspection, Region, Site
from server.models.changelog import note_entries
from server.models.types import jsonable, utcnow
from server.register import lifecycle as lc
from server.register.projection import STATE_FIELDS, step
from server.register.rows import write_all
from server.register.settings import RegisterSettings

_H = Hazard.__table__
_HAZARD_COLUMNS = [_H.c[f] for f in STATE_FIELDS]

# The unit's reads, built once (SQLAlchemy caches their compiled form; building a select
# costs more than running it).
_E = HazardEvent.__table__
_A = HazardAlias.__table__
_SITES = (select(Site.id, Site.code, Site.name, Site.kind, Site.region_code, Region.path,
                 Site.lat, Site.lon, Site.version)
          .join(Region, Region.code == Site.region_code)
          .where(Site.id.in_(bindparam("ids", expanding=True))))
_BLOBS = select(Blob.sha256).where(Blob.sha256.in_(bindparam("hashes", expanding=True)))
_IDS = union_all(
    select(Hazard.id, literal("hazard")).where(Hazard.id.in_(bindparam("ids", expanding=True))),
    select(HazardAlias.alias_id, literal("alias"))
    .where(HazardAlias.alias_id.in_(bindparam("ids", expanding=True))),
    select(Inspection.id, literal("inspection"))
    .where(Inspection.id.in_(bindparam("ids", expanding=True))))
# Sites (with their region's path), stored photos and ids in use, in one round trip.
_PROBE = union_all(
    select(literal("site"), cast(Site.id, String), Site.code, Site.name, Site.kind,
           Site.region_code, Region.path, Site.lat, Site.lon, Site.version)
    .join(Region, Region.code == Site.region_code)
    .where(Site.id.in_(bindparam("sites", expanding=True))),
    *(select(literal(kind), cast(key, String), *[null()] * 8)
      .where(key.in_(bindparam(name, expanding=True)))
      for kind, key, name in (("blob", Blob.sha256, "hashes"), ("hazard", Hazard.id, "ids"),
                              ("alias", HazardAlias.alias_id, "ids"),
                              ("inspection", Inspection.id, "ids"))))
_HAZARD = (select(*_HAZARD_COLUMNS, Region.path).join(Region, Region.code == _H.c.region_code))
_OPEN = (_HAZARD.where(_H.c.site_id.in_(bindparam("sites", expanding=True)),
                       _H.c.item.in_(bindparam("items", expanding=True)),
                       _H.c.status != lc.CLOSED)
         .with_for_update(of=_H))
_HAZARDS = (_HAZARD.add_columns(_A.c.alias_id)
            .outerjoin(_A, and_(_A.c.hazard_id == _H.c.id,
                                _A.c.alias_id.in_(bindparam("ids", expanding=True))))
            .where(or_(_H.c.id.in_(bindparam("ids", expanding=True)), _A.c.alias_id.isnot(None)))
            .with_for_update(of=_H))
_INSPECTION = (select(Inspection.review_state, Inspection.site_id, Inspection.superseded_by,
                      Region.path).join(Region, Region.code == Inspection.region_code)
               .where(Inspection.id == bindparam("id")).with_for_update(of=Inspection.__table__))
_EVENTS_SINCE = (select(_E.c.type, _E.c.data)
                 .where(_E.c.hazard_id == bindparam("id"), _E.c.version > bindparam("version"),
                        _E.c.refused.is_(False)).order_by(_E.c.seq))


@dataclass
class Needs:
    """What some changes will read, so that a unit reads each kind in one query."""

    sites: set = field(default_factory=set)
    hashes: set = field(default_factory=set)
    ids: set = field(default_factory=set)  # ids that must be free (new inspections, hazards)
    pairs: set = field(default_factory=set)  # (site id, item): their open hazards
    hazards: set = field(default_factory=set)  # hazard ids (merged ids too)

    def update(self, other: Needs) -> None:
        for name in ("sites", "hashes", "ids", "pairs", "hazards"):
            getattr(self, name).update(getattr(other, name))


@dataclass(frozen=True)
class SiteRef:
    """What the register needs of a site (read with its region's path, for scope)."""

    id: uuid.UUID
    code: str | None
    name: str
    kind: str
    region_code: str
    region_path: str
    lat: float | None
    lon: float | None
    version: int


@dataclass
class HazardRecord:
    """A hazard as the unit holds it: its state (projection fields), the version it was
    read at (None: new in this unit), whether the unit changed it, its region's path."""

    state: dict
    read_version: int | None
    region_path: str
    dirty: bool = False

    @property
    def id(self) -> uuid.UUID:
        return self.state["id"]

    @property
    def version(self) -> int:
        return self.state["version"]

    def __getattr__(self, name):
        try:
            return self.__dict__["state"][name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class Outcome:
    """What one event did: the hazard, the event row, and the refusal if any."""

    hazard: HazardRecord
    event: dict | None
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


def actor_path(actor) -> str | None:
    """The region path that bounds what `actor` may touch; None for the system."""
    return None if actor is None else actor.region.path


def in_scope(actor, path: str) -> bool:
    scope = actor_path(actor)
    return scope is None or path.startswith(scope)


def refusal_error(decision: lc.Decision, state: dict | None) -> DomainError:
    details = {"reason": decision.reason}
    if state is not None:
        details.update(hazard_id=str(state["id"]), status=state["status"])
    if decision.code == "forbidden":
        return NotAllowed(decision.message, details=details)
    return InvalidTransition(decision.message, details=details)


class RegisterWrite:
    def __init__(self, session, settings: RegisterSettings | None = None):
        """`settings`: the deadlines and calendar of new hazards (a unit that only appends
        to existing ones, as the nightly jobs do, needs none)."""
        self.session = session
        self.settings = settings
        self._sites: dict = {}  # id → SiteRef | None
        self._hazards: dict = {}  # id → HazardRecord
        self._alias: dict = {}  # merged id → hazard id
        self._absent: set = set()  # ids known to name no hazard
        self._open: dict = {}  # (site id, item) → hazard id | None
        self._taken: dict = {}  # id → "hazard" | "alias" | "inspection"
        self._free: set = set()
        self._stored: set = set()
        self._missing: set = set()
        self._staged_clear()
        self._journal: list = []

    def _staged_clear(self) -> None:
        self._inspections: dict = {}  # id → new row
        self._inspection_changes: dict = {}  # id → {column: value}
        self._events: list = []
        self._aliases: list = []
        self._refs: list = []
        self._notes: list = []

    # --- undo ---------------------------------------------------------------------------

    def mark(self) -> int:
        return len(self._journal)

    def undo(self, mark: int) -> None:
        """Forget every change made since `mark` (reads stay known)."""
        while len(self._journal) > mark:
            self._journal.pop()()

    def _set(self, mapping: dict, key, value) -> None:
        had, old = key in mapping, mapping.get(key)
        mapping[key] = value
        self._journal.append(lambda: mapping.__setitem__(key, old) if had
                             else mapping.pop(key, None))

    def _append(self, items: list, value) -> None:
        items.append(value)
        self._journal.append(items.pop)

    # --- reads --------------------------------------------------------------------------

    def load(self, actor, needs: Needs) -> None:
        """Read what `needs` names and the unit does not know yet: the sites, stored
        photos and ids in use in one query, the open hazards (locked) in another, the
        named hazards (locked) in a third."""
        sites = {uuid.UUID(str(i)) for i in needs.sites} - self._sites.keys()
        hashes = needs.hashes - self._stored - self._missing
        ids = needs.ids - self._free - self._taken.keys()
        if sites or hashes or ids:
            self._probe(sites, hashes, ids)
        self._load_pairs(needs.pairs - self._open.keys())
        self._load_hazards(needs.hazards - self._hazards.keys() - self._alias.keys()
                           - self._absent)

    def _rows(self, stmt, **params):
        """Run one of the unit's reads on the session's connection (no ORM objects), once
        whatever the ORM holds has been flushed (a site made earlier in the push)."""
        session = self.session
        if session.new or session.dirty or session.deleted:
            session.flush()
        return session.connection().execute(stmt, params)

    def _probe(self, sites, hashes, ids) -> None:
        rows = self._rows(_PROBE, sites=list(sites), hashes=list(hashes), ids=list(ids))
        stored = set()
        for kind, key, *site in rows:
            if kind == "site":
                ident = uuid.UUID(key)
                self._sites[ident] = SiteRef(ident, *site)
            elif kind == "blob":
                stored.add(key)
            else:
                self._taken[uuid.UUID(key)] = kind
        for ident in sites:
            self._sites.setdefault(ident, None)
        self._stored |= stored
        self._missing |= set(hashes) - stored
        self._free |= {i for i in ids if i not in self._taken}

    def _load_sites(self, ids) -> None:
        if not ids:
            return
        for row in self._rows(_SITES, ids=list(ids)):
            self._sites[row.id] = SiteRef(*row)
        for ident in ids:
            self._sites.setdefault(ident, None)

    def _load_blobs(self, hashes) -> None:
        if hashes:
            stored = set(self._rows(_BLOBS, hashes=list(hashes)).scalars())
            self._stored |= stored
            self._missing |= set(hashes) - stored

    def _load_ids(self, ids) -> None:
        if not ids:
            return
        ids = list(ids)
        for taken_id, kind in self._rows(_IDS, ids=ids):
            self._taken[uuid.UUID(str(taken_id))] = kind
        self._free |= {i for i in ids if i not in self._taken}

    def _keep(self, row) -> HazardRecord:
        record = self._hazards.get(row.id)
        if record is None:
            state = {f: row._mapping[f] for f in STATE_FIELDS}
            record = self._hazards[row.id] = HazardRecord(state, state["version"], row.path)
        return record

    def _load_pairs(self, pairs) -> None:
        if not pairs:
            return
        rows = self._rows(_OPEN, sites=list({s for s, _ in pairs}),
                          items=list({i for _, i in pairs}))
        for row in rows:
            if (row.site_id, row.item) in pairs:
                self._open[(row.site_id, row.item)] = self._keep(row).id
        for pair in pairs:
            self._open.setdefault(pair, None)

    def _load_hazards(self, ids) -> None:
        if not ids:
            return
        for row in self._rows(_HAZARDS, ids=list(ids)):
            self._keep(row)
            if row.alias_id is not None:
                self._alias[row.alias_id] = row.id
        self._absent |= {i for i in ids if i not in self._hazards and i not in self._alias}

    def site(self, actor, site_id) -> SiteRef:
        """The site, in the actor's scope, or NotFound."""
        site_id = uuid.UUID(str(site_id))
        if site_id not in self._sites:
            self._load_sites({site_id})
        site = self._sites[site_id]
        if site is None or not in_scope(actor, site.region_path):
            raise NotFound(f"No site {site_id}.")
        return site

    def forget_sites(self) -> None:
        """Sites may have changed outside the unit (a site mutation): read them again."""
        self._sites.clear()

    def missing(self, hashes) -> set[str]:
        """Which of these photos are not stored yet."""
        hashes = set(hashes)
        self._load_blobs(hashes - self._stored - self._missing)
        return hashes & self._missing

    def taken(self, ident) -> str | None:
        """What uses this id: "hazard", "alias", "inspection", or None."""
        ident = uuid.UUID(str(ident))
        if ident not in self._taken and ident not in self._free:
            self._load_ids({ident})
        return self._taken.get(ident)

    def check_free(self, ident) -> None:
        if self.taken(ident) in ("hazard", "alias"):
            raise Conflict(f"Hazard id {ident} is already in use.", details={"id": str(ident)})

    def open_hazard(self, site_id, item: str) -> HazardRecord | None:
        pair = (site_id, item)
        if pair not in self._open:
            self._load_pairs({pair})
        hazard_id = self._open[pair]
        return None if hazard_id is None else self._hazards[hazard_id]

    def hazard(self, actor, hazard_id) -> HazardRecord:
        """The hazard an id names (itself, or the one a merged id joined), locked, in the
        actor's scope; NotFound otherwise."""
        hazard_id = uuid.UUID(str(hazard_id))
        real = self._alias.get(hazard_id, hazard_id)
        if real not in self._hazards and real not in self._absent:
            self._load_hazards({hazard_id})
            real = self._alias.get(hazard_id, hazard_id)
        record = self._hazards.get(real)
        if record is None or not in_scope(actor, record.region_path):
            raise NotFound(f"No hazard {hazard_id}.", details={"id": str(hazard_id)})
        return record

    def inspection(self, actor, inspection_id) -> dict | None:
        """A stored (or staged) inspection's review facts (review_state, site_id,
        superseded_by), locked, with the unit's own changes; None when out of sight."""
        ident = uuid.UUID(str(inspection_id))
        row = self._inspections.get(ident)
        if row is None:
            found = self._rows(_INSPECTION, id=ident).first()
            if found is None or not in_scope(actor, found.path):
                return None
            row = dict(found._mapping)
        return {**row, **self._inspection_changes.get(ident, {})}

    def events_since(self, record: HazardRecord, version: int) -> list[dict]:
        """The accepted events after `version` (stored and staged), oldest first."""
        stored = []
        if record.read_version is not None and version < record.read_version:
            stored = [{"type": t, "data": d or {}}
                      for t, d in self._rows(_EVENTS_SINCE, id=record.id, version=version)]
        staged = [e for e in self._events if e["hazard_id"] == record.id
                  and e["version"] > version and not e["refused"]]
        return stored + staged

    # --- changes ------------------------------------------------------------------------

    def append(self, record: HazardRecord | None, kind: str, actor, data: dict, *,
               inspection_id=None, device_at: datetime | None = None,
               region_path: str | None = None) -> Outcome:
        """Append one event and project it onto the hazard; a refusal is kept as a
        refused event. `record` None: a "found" that makes a new hazard."""
        event = {"type": kind, "at": utcnow(), "actor_id": getattr(actor, "id", None),
                 "actor_role": getattr(actor, "role", None), "inspection_id": inspection_id,
                 "data": jsonable(data), "refused": False}
        before = record.state if record is not None else None
        after, decision = step(before, event)
        if not decision.ok and record is None:
            raise refusal_error(decision, None)
        if decision.ok:
            if record is None:
                record = HazardRecord(after, None, region_path, dirty=True)
                self._set(self._hazards, record.id, record)
            elif any(after[f] != before[f] for f in STATE_FIELDS):
                self._change(record, after)
        row = {"hazard_id": record.id, "type": kind, "at": event["at"], "device_at": device_at,
               "actor_id": event["actor_id"], "actor_role": event["actor_role"],
               "inspection_id": inspection_id, "data": event["data"],
               "refused": not decision.ok, "error_code": decision.code,
               "version": record.version}
        self._append(self._events, row)
        self._ref("hazard", record.id, event["data"].get("photos"))
        return Outcome(record, row, None if decision.ok else refusal_error(decision, record.state))

    def _change(self, record: HazardRecord, state: dict) -> None:
        old_state, old_dirty = record.state, record.dirty
        record.state, record.dirty = state, True

        def back():
            record.state, record.dirty = old_state, old_dirty

        self._journal.append(back)
        pair = (state["site_id"], state["item"])
        if state["item"] and state["status"] == lc.CLOSED and self._open.get(pair) == record.id:
            self._set(self._open, pair, None)

    def found(self, actor, site: SiteRef, data: dict, *, inspection_id=None,
              device_at: datetime | None = None) -> tuple[HazardRecord, bool]:
        """Register a hazard found at `site`, or add the finding to the open one of its
        item (its id then lives on as a merged id). Returns (hazard, merged).

        `data`: id, sector, item?, description, severity, source, photos, and optionally
        standard, supplier, supplier_major, deadline_days, note."""
        hazard_id = uuid.UUID(str(data["id"]))
        existing = self.open_hazard(site.id, data["item"]) if data.get("item") else None
        if existing is not None:
            self.append(existing, lc.REFOUND, actor,
                        {"alias_id": hazard_id, "photos": data.get("photos") or [],
                         "note": data.get("note")},
                        inspection_id=inspection_id, device_at=device_at)
            if self.taken(hazard_id) is None:
                self._set(self._taken, hazard_id, "alias")
                self._set(self._alias, hazard_id, existing.id)
                self._append(self._aliases, {"alias_id": hazard_id, "hazard_id": existing.id,
                                             "inspection_id": inspection_id,
                                             "created_at": utcnow()})
                self.note_removal("hazard", hazard_id, site.region_code, merged_into=existing.id)
            return existing, True
        self.check_free(hazard_id)
        outcome = self.append(None, lc.FOUND, actor, self._found_data(site, data, hazard_id),
                              inspection_id=inspection_id, device_at=device_at,
                              region_path=site.region_path)
        self._set(self._taken, hazard_id, "hazard")
        if data.get("item"):
            self._set(self._open, (site.id, data["item"]), hazard_id)
        return outcome.hazard, False

    def _found_data(self, site: SiteRef, data: dict, hazard_id: uuid.UUID) -> dict:
        if self.settings is None:
            raise TypeError("a RegisterWrite that finds hazards needs RegisterSettings")
        days = data.get("deadline_days") or self.settings.deadline_days(data["sector"],
                                                                         data["severity"])
        return {
            "id": hazard_id, "site_id": site.id, "region_code": site.region_code,
            "sector": data["sector"], "item": data.get("item"),
            "description": data.get("description") or "", "severity": data["severity"],
            "grade": data.get("grade"), "source": data["source"], "standard": data.get("standard"),
            "supplier": data.get("supplier"), "supplier_major": bool(data.get("supplier_major")),
            "photos": data.get("photos") or [], "note": data.get("note"),
            "deadline": self.settings.today() + timedelta(days=int(days)),
        }

    def add_inspection(self, row: dict, media) -> None:
        """A new inspection (its columns as plain values) and the photos it refers to."""
        self.check_inspection_free(row["id"])
        self._set(self._inspections, row["id"], row)
        self._set(self._taken, row["id"], "inspection")
        self._ref("inspection", row["id"], media)

    def check_inspection_free(self, ident) -> None:
        if self.taken(ident):
            raise Conflict(f"Inspection {ident} already exists.", details={"id": str(ident)})

    def change_inspection(self, inspection_id, **values) -> None:
        """Change columns of a stored inspection (its version moves on at `write`)."""
        changes = dict(self._inspection_changes.get(inspection_id) or {}, **values)
        self._set(self._inspection_changes, inspection_id, changes)

    def note_removal(self, pull_type: str, entity_id, region_code: str, *,
                     merged_into=None) -> None:
        """Tell devices that a thing with no row of its own left the feed."""
        self._append(self._notes, {"type": pull_type, "entity_id": entity_id, "op": "remove",
                                   "version": 0, "region_code": region_code, "owner_id": None,
                                   "merged_into": merged_into})

    def _ref(self, owner_type: str, owner_id, hashes) -> None:
        for sha in sorted(set(hashes or ())):
            self._append(self._refs, {"sha256": sha, "owner_type": owner_type,
                                      "owner_id": owner_id})

    # --- the write ----------------------------------------------------------------------

    def write(self) -> None:
        """Write everything staged: inserts, then version-checked updates, then photo
        references and change-log entries. The unit stays usable afterwards."""
        new = [r for r in self._hazards.values() if r.read_version is None]
        changed = [r for r in self._hazards.values() if r.read_version is not None and r.dirty]
        if not (new or changed or self._inspections or self._inspection_changes
                or self._events or self._notes):
            return
        versions = write_all(self.session, inspections=list(self._inspections.values()),
                             inspection_changes=self._inspection_changes,
                             new_hazards=new, changed_hazards=changed, events=self._events,
                             aliases=self._aliases, refs=self._refs)
        notes = [self._hazard_note(r, fresh=r.read_version is None) for r in new + changed]
        notes += [_inspection_note(row, row["version"], fresh=True)
                  for row in self._inspections.values()]
        notes += [_inspection_note(v, v["version"]) for v in versions]
        note_entries(self.session, notes + self._notes)
        for record in new + changed:
            record.read_version, record.dirty = record.version, False
        self._staged_clear()
        self._journal.clear()

    @staticmethod
    def _hazard_note(record: HazardRecord, fresh: bool) -> dict:
        return {"type": "hazard", "entity_id": record.id, "op": "put", "version": record.version,
                "region_code": record.state["region_code"], "owner_id": None,
                "merged_into": None, "fresh": fresh}


def _inspection_note(row: dict, version: int, fresh: bool = False) -> dict:
    return {"type": "inspection", "entity_id": row["id"], "op": "put", "version": version,
            "region_code": row["region_code"], "owner_id": row["inspector_id"],
            "merged_into": None, "fresh": fresh}
