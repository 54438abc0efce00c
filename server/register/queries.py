"""Reading the register: one hazard (merged ids resolved), its timeline, the filtered
and sorted list that the API, the console, the ledger and the statistics share."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from server.auth.scope import region_in_scope, scoped
from server.errors import NotFound
from server.models import Hazard, HazardAlias, HazardEvent, Region, User
from server.register import lifecycle as lc
from server.register.settings import day_start
from server.sites.service import Page
from server.suppliers import service as supplier_service


def resolve_id(session, hazard_id) -> uuid.UUID:
    """The hazard an id names: itself, or the hazard a merged derived id was merged into."""
    hazard_id = uuid.UUID(str(hazard_id))
    if session.scalar(select(Hazard.id).where(Hazard.id == hazard_id)) is not None:
        return hazard_id
    target = session.scalar(select(HazardAlias.hazard_id).where(HazardAlias.alias_id == hazard_id))
    return target or hazard_id


def get_hazard(session, actor: User, hazard_id) -> Hazard:
    """One hazard in the actor's scope (merged ids resolved), or NotFound."""
    real_id = resolve_id(session, hazard_id)
    hazard = session.scalar(scoped(select(Hazard).where(Hazard.id == real_id),
                                   Hazard.region_code, actor)
                            .execution_options(populate_existing=True))
    if hazard is None:
        raise NotFound(f"No hazard {hazard_id}.", details={"id": str(hazard_id)})
    return hazard


def events_of(session, hazard_id) -> list[HazardEvent]:
    return list(session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard_id)
                                .order_by(HazardEvent.seq)))


SORTS = {
    "found_at": (Hazard.found_at,), "-found_at": (Hazard.found_at.desc(),),
    "deadline": (Hazard.deadline,), "-deadline": (Hazard.deadline.desc(),),
    "updated_at": (Hazard.updated_at,), "-updated_at": (Hazard.updated_at.desc(),),
    "severity": (Hazard.severity.desc(), Hazard.found_at.desc()),
    "status": (Hazard.status, Hazard.found_at.desc()),
}


def filtered(session, actor: User, *, tz=None, region=None, sector=None, status=None,
             severity=None, overdue=None, listed=None, source=None, found_from=None,
             found_to=None, site_id=None, item=None, supplier=None, **_ignored):
    """The scoped select of hazards for the list, the ledger export and the statistics.
    `found_from` / `found_to` are local dates in `tz`."""
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
        stmt = stmt.where(Hazard.found_at >= day_start(found_from, tz))
    if found_to:
        stmt = stmt.where(Hazard.found_at < day_start(found_to + timedelta(days=1), tz))
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
