"""What the register's unit of work knows: the sites, hazards (read and locked), open
hazards per site and item, ids in use and stored photos that its changes depend on,
read in as few round trips as a push's mutations allow and kept for the unit.

Every read here is a statement built once at import (SQLAlchemy caches the compiled
form; building a select costs more than running it) and run on the session's connection,
without ORM objects.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import String, and_, bindparam, cast, literal, null, or_, select, union_all

from server.campaigns.grants import granted_sites
from server.errors import Conflict, NotFound
from server.evidence import provenance
from server.models import (
    Blob,
    Device,
    Hazard,
    HazardAlias,
    HazardEvent,
    Inspection,
    Region,
    Site,
    Task,
)
from server.models.blob import BlobUpload
from server.models.campaign import CampaignAssignment
from server.register import lifecycle as lc
from server.register.projection import STATE_FIELDS
from server.register.settings import today_in

_H = Hazard.__table__
_HAZARD_COLUMNS = [_H.c[f] for f in STATE_FIELDS]

# The unit's reads, built once (SQLAlchemy caches their compiled form; building a select
# costs more than running it).
_E = HazardEvent.__table__
_A = HazardAlias.__table__

# Sites (with their region's path), stored photos (with who uploaded them) and ids in
# use, in one round trip.
_PROBE = union_all(
    select(literal("site"), cast(Site.id, String), Site.code, Site.name, Site.kind,
           Site.region_code, Region.path, Site.lat, Site.lon, Site.version)
    .join(Region, Region.code == Site.region_code)
    .where(Site.id.in_(bindparam("sites", expanding=True))),
    select(literal("blob"), Blob.sha256, cast(BlobUpload.user_id, String), *[null()] * 7)
    .outerjoin(BlobUpload, BlobUpload.sha256 == Blob.sha256)
    .where(Blob.sha256.in_(bindparam("hashes", expanding=True))),
    *(select(literal(kind), cast(key, String), *[null()] * 8)
      .where(key.in_(bindparam("ids", expanding=True)))
      for kind, key in (("hazard", Hazard.id), ("alias", HazardAlias.alias_id),
                        ("inspection", Inspection.id))))
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
_HISTORY = (select(_E.c.type, _E.c.at, _E.c.actor_id, _E.c.actor_role, _E.c.inspection_id,
                   _E.c.data, _E.c.refused)
            .where(_E.c.hazard_id == bindparam("id")).order_by(_E.c.seq))
_VERIFIED_BY = (select(_E.c.hazard_id).distinct()
                .where(_E.c.inspection_id == bindparam("id"),
                       _E.c.type == lc.VERIFIED_RECTIFIED, _E.c.refused.is_(False)))
_DEVICE_NOTICE = select(Device.notice_township, Device.notice_serial).where(
    Device.client_id == bindparam("id"))
_OPEN_TASKS = (select(Task.site_id, Task.id, Task.kind, Task.data, Task.region_code,
                      Task.version)
               .where(Task.site_id.in_(bindparam("sites", expanding=True)),
                      Task.status == "open")
               .order_by(Task.due_date, Task.id))
_NOTICE_TAKEN = select(Inspection.id).where(Inspection.notice_no == bindparam("no"))
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


def actor_path(actor) -> str | None:
    """The region path that bounds what `actor` may touch; None for the system."""
    return None if actor is None else actor.region.path


def in_scope(actor, path: str) -> bool:
    scope = actor_path(actor)
    return scope is None or path.startswith(scope)


class UnitReads:
    """The unit's reads and what they found (see RegisterWrite for the changes)."""

    def __init__(self, session, *, recording: bool = False):
        """`recording`: keep every read and what it returned, so that `reads_hold` can
        tell later (in another transaction) whether the database still says the same."""
        self.session = session
        self._recorded: list | None = [] if recording else None
        self._sites: dict = {}  # id → SiteRef | None
        self._hazards: dict = {}  # id → HazardRecord
        self._alias: dict = {}  # merged id → hazard id
        self._absent: set = set()  # ids known to name no hazard
        self._open: dict = {}  # (site id, item) → hazard id | None
        self._taken: dict = {}  # id → "hazard" | "alias" | "inspection"
        self._free: set = set()
        self._stored: set = set()
        self._missing: set = set()
        self._uploaders: dict = {}  # stored photo → ids of the users who uploaded it
        self._tasks: dict = {}  # site id → its open tasks

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

    def _rows(self, stmt, **params) -> list:
        """Run one of the unit's reads on the session's connection (no ORM objects), once
        whatever the ORM holds has been flushed (a site made earlier in the push)."""
        session = self.session
        if session.new or session.dirty or session.deleted:
            session.flush()
        rows = session.connection().execute(stmt, params).all()
        if self._recorded is not None:
            self._recorded.append((stmt, params, rows))
        return rows

    def reads_hold(self) -> bool:
        """Whether every read the unit made (recording) reads the same now. The unit's
        decisions are a function of its reads, the args, the actor and the clock: when
        this holds, what it staged is what it would stage now."""
        connection = self.session.connection()
        return all(_same_rows(connection.execute(stmt, params).all(), rows)
                   for stmt, params, rows in self._recorded or ())

    def _probe(self, sites, hashes, ids) -> None:
        rows = self._rows(_PROBE, sites=list(sites), hashes=list(hashes), ids=list(ids))
        stored = set()
        for kind, key, *site in rows:
            if kind == "site":
                ident = uuid.UUID(key)
                self._sites[ident] = SiteRef(ident, *site)
            elif kind == "blob":
                stored.add(key)
                uploaders = self._uploaders.setdefault(key, set())
                if site[0] is not None:
                    uploaders.add(uuid.UUID(site[0]))
            else:
                self._taken[uuid.UUID(key)] = kind
        for ident in sites:
            self._sites.setdefault(ident, None)
        self._stored |= stored
        self._missing |= set(hashes) - stored
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
            self._probe({site_id}, (), ())
        site = self._sites[site_id]
        if site is None or not (in_scope(actor, site.region_path) or self.lent(actor, site_id)):
            raise NotFound(f"No site {site_id}.")
        return site

    def lent(self, actor, site_id) -> bool:
        """Whether a cross-check campaign lends the site to the actor today."""
        if actor is None:
            return False
        settings = getattr(self, "settings", None)
        today = settings.today() if settings is not None else today_in(None)
        stmt = granted_sites(actor.id, today).where(
            CampaignAssignment.site_id == uuid.UUID(str(site_id)))
        return bool(self._rows(stmt))

    def forget_sites(self) -> None:
        """Sites may have changed outside the unit (a site mutation): read them again."""
        self._sites.clear()

    def missing(self, hashes) -> set[str]:
        """Which of these photos are not stored yet."""
        hashes = set(hashes)
        unknown = hashes - self._stored - self._missing
        if unknown:
            self._probe((), unknown, ())
        return hashes & self._missing

    def refused_photos(self, actor, hashes) -> list[str]:
        """The photos among `hashes` that `actor` may not reference (provenance, API
        contract 1.1): stored, not uploaded by them, referenced by nothing in their scope."""
        hashes = set(hashes)
        if not hashes or actor is None:
            return []
        self.missing(hashes)  # read them, if not yet
        unknown = provenance.strangers({h: self._uploaders.get(h, set()) for h in hashes
                                        if h in self._stored}, actor.id)
        if not unknown:
            return []
        seen = {row[0] for row in self._rows(provenance.IN_SCOPE, hashes=sorted(unknown),
                                             prefix=provenance.subtree(actor.region.path))}
        return sorted(unknown - seen)

    def taken(self, ident) -> str | None:
        """What uses this id: "hazard", "alias", "inspection", or None."""
        ident = uuid.UUID(str(ident))
        if ident not in self._taken and ident not in self._free:
            self._probe((), (), {ident})
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
            found = next(iter(self._rows(_INSPECTION, id=ident)), None)
            if found is None or not in_scope(actor, found.path):
                return None
            row = dict(found._mapping)
        return {**row, **self._inspection_changes.get(ident, {})}

    def stored_events_since(self, record: HazardRecord, version: int) -> list[dict]:
        """The hazard's stored accepted events after `version`, oldest first."""
        if record.read_version is None or version >= record.read_version:
            return []
        return [{"type": t, "data": d or {}}
                for t, d in self._rows(_EVENTS_SINCE, id=record.id, version=version)]


    def history(self, record: HazardRecord) -> list[dict]:
        """The hazard's stored events, oldest first, as `projection.step` reads them."""
        return [dict(row._mapping, data=row.data or {})
                for row in self._rows(_HISTORY, id=record.id)]

    def closed_by(self, inspection_id) -> list[uuid.UUID]:
        """The hazards a stored inspection's verifications closed (or sent to sign-off)."""
        return [row[0] for row in self._rows(_VERIFIED_BY, id=uuid.UUID(str(inspection_id)))]


    def open_tasks(self, site_id) -> list[dict]:
        """The site's open tasks ({"id", "kind", "data", "region_code", "version"}), read
        with those of every other site the unit knows, in one query per unit."""
        site_id = uuid.UUID(str(site_id))
        if site_id not in self._tasks:
            sites = {site_id} | {s for s in self._sites if s not in self._tasks}
            for s in sites:
                self._tasks[s] = []
            for row in self._rows(_OPEN_TASKS, sites=sorted(sites, key=str)):
                task = dict(row._mapping, data=row.data or {})
                self._tasks[task.pop("site_id")].append(task)
        return self._tasks[site_id]

    def notice_serial(self, client_id) -> tuple[str | None, int | None]:
        """The township and serial of a device's notice numbers (None, None: none)."""
        if client_id is None:
            return None, None
        row = next(iter(self._rows(_DEVICE_NOTICE, id=uuid.UUID(str(client_id)))), None)
        return (None, None) if row is None else (row[0], row[1])

    def notice_taken(self, number: str) -> bool:
        """Whether an inspection (stored, or staged in this unit) has this notice number."""
        if any(row.get("notice_no") == number for row in self._inspections.values()):
            return True
        return bool(self._rows(_NOTICE_TAKEN, no=number))


def _same_rows(now: list, then: list) -> bool:
    """The same rows, in any order (a read without ORDER BY may return them otherwise)."""
    return now == then or sorted(map(repr, now)) == sorted(map(repr, then))
