"""Reading and merging gas suppliers: per-supplier counts of the register, and a
reviewer's merge of two names for one company. Plain functions of (session, actor, …)
that flush, never commit."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict

from sqlalchemy import func, select

from server import audit
from server.auth.scope import scoped
from server.errors import Invalid, NotAllowed, NotFound
from server.models import Hazard, Region, Site, SupplierMerge, User
from server.register import lifecycle as lc
from server.suppliers.identity import county_code

REVIEWERS = ("county_reviewer", "city_admin")


def _merged(session) -> dict[uuid.UUID, uuid.UUID]:
    return dict(session.execute(select(SupplierMerge.supplier_id, SupplierMerge.merged_into)).all())


def root(merges: dict, supplier_id: uuid.UUID) -> uuid.UUID:
    """The supplier `supplier_id` is counted under, following merges."""
    seen = set()
    while supplier_id in merges and supplier_id not in seen:
        seen.add(supplier_id)
        supplier_id = merges[supplier_id]
    return supplier_id


def members(session, supplier_id) -> list[uuid.UUID]:
    """Every supplier id counted under `supplier_id` (itself and what was merged into it)."""
    supplier_id = uuid.UUID(str(supplier_id))
    merges = _merged(session)
    return [supplier_id, *(s for s in merges if s != supplier_id and root(merges, s) == supplier_id)]


def per_supplier(session, actor: User) -> list[dict]:
    """The suppliers named in the actor's scope, merged ones counted under the one they
    were merged into: name, county, hazards; clues (燃气企业重大隐患线索) waiting for the
    county's judgement, confirmed and dismissed ones; and the open ones of the first two."""
    stmt = scoped(select(Hazard.supplier_id, Hazard.supplier, Hazard.supplier_major,
                         Hazard.supplier_confirmed, Hazard.status, Region.path)
                  .join(Site, Site.id == Hazard.site_id).join(Region, Region.code == Site.region_code)
                  .where(Hazard.supplier_id.is_not(None)), Hazard.region_code, actor)
    merges = _merged(session)
    rows: dict[uuid.UUID, dict] = {}
    names: dict[uuid.UUID, Counter] = defaultdict(Counter)
    for supplier_id, name, clue, confirmed, status, path in session.execute(stmt):
        key = root(merges, supplier_id)
        entry = rows.setdefault(key, {"id": key, "hazards": 0, "clues": 0, "confirmed": 0,
                                      "dismissed": 0, "open_clues": 0,
                                      "county": county_code(path), "merged": set()})
        entry["hazards"] += 1
        entry["clues"] += bool(clue) and confirmed is None
        entry["confirmed"] += bool(clue) and confirmed is True
        entry["dismissed"] += bool(clue) and confirmed is False
        entry["open_clues"] += bool(clue) and confirmed is not False and status != lc.CLOSED
        names[key][name] += 1
        if supplier_id != key:
            entry["merged"].add(name)
    counties = {r["county"] for r in rows.values() if r["county"]}
    county_names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(counties))).all())
    for key, entry in rows.items():
        entry["name"] = names[key].most_common(1)[0][0]
        entry["merged"] = sorted(entry["merged"] - {entry["name"]})
        entry["county"] = county_names.get(entry["county"], "")
    return sorted(rows.values(),
                  key=lambda r: (-r["confirmed"] - r["clues"], -r["hazards"], r["name"]))


def _county_of(session, actor: User, supplier_id: uuid.UUID) -> tuple[str, str]:
    """(county code, a name) of a supplier named in the actor's scope; NotFound otherwise."""
    row = session.execute(scoped(
        select(Hazard.supplier, Region.path).join(Site, Site.id == Hazard.site_id)
        .join(Region, Region.code == Site.region_code).where(Hazard.supplier_id == supplier_id),
        Hazard.region_code, actor).limit(1)).first()
    if row is None:
        raise NotFound(f"No supplier {supplier_id}.")
    return county_code(row.path), row.supplier


def merge(session, actor: User, source, target) -> SupplierMerge:
    """A reviewer says `source` is the same gas company as `target` (same county)."""
    if actor.role not in REVIEWERS:
        raise NotAllowed("Only county and city reviewers merge suppliers. 仅县、市级审核人员可合并燃气企业。")
    source, target = uuid.UUID(str(source)), uuid.UUID(str(target))
    merges = _merged(session)
    target = root(merges, target)
    if root(merges, source) == target or source in merges:
        raise Invalid("These names are already one supplier. 已是同一燃气企业。",
                      details={"source": ["already merged"]})
    (source_county, name), (target_county, _) = _county_of(session, actor, source), _county_of(session, actor, target)
    if source_county != target_county:
        raise Invalid("Suppliers of different counties cannot be merged. 不同县区的燃气企业不能合并。",
                      details={"target": ["another county"]})
    row = SupplierMerge(supplier_id=source, merged_into=target, county_code=source_county,
                        name=name, merged_by=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, "supplier.merged", actor=actor, target_type="supplier", target_id=source,
                 details={"merged_into": str(target), "name": name})
    return row


def count_clues(session, actor: User) -> int:
    """Open gas company clues in the actor's scope, waiting or confirmed (for the
    dashboard's headline)."""
    stmt = scoped(select(func.count()).select_from(Hazard).where(
        Hazard.supplier_major.is_(True), Hazard.supplier_confirmed.is_not(False),
        Hazard.status != lc.CLOSED), Hazard.region_code, actor)
    return session.scalar(stmt) or 0

