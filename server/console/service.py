"""Reads the console pages need beyond the register's own services.

Every query starts from `scoped(...)`; nothing here changes data. Writes go through the
owning services (inspections.service.review, register.actions.act, register.conflicts,
campaigns.service, auth.service, …).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import String, and_, cast, func, or_, select

import forms
from server.auth.scope import region_in_scope, scoped
from server.inspections import service as inspections
from server.models import Hazard, Inspection, Region, User
from server.register.settings import day_start
from server.sites.service import Page

QUEUE_FLAGS = ("gps_far", "clock_skew", "no_qr_scan", "qr_invalid", "too_fast",
               "no_location", "gps_inaccurate", "future_timestamp", "supersedes_invalid")


def checklist_codes(sector: str | None = None) -> list[str]:
    return sorted({c.code for c in forms.latest() if sector is None or c.sector == sector})


def townships(session, actor: User) -> list[Region]:
    """The townships in the actor's scope, for the filter menus."""
    stmt = scoped(select(Region).where(Region.level == "township"), Region.code, actor)
    return list(session.scalars(stmt.order_by(Region.code)))


def _subtree(session, actor: User, code: str):
    root = region_in_scope(session, actor, code)
    return select(Region.code).where(Region.path.startswith(root.path, autoescape=True))


def queue_select(session, actor: User, *, township=None, sector=None, checklist=None,
                 flag=None, awaiting=None, state="submitted", date_from: date | None = None,
                 date_to: date | None = None, tz=None, **_page):
    stmt = scoped(select(Inspection), Inspection.region_code, actor)
    if state:
        stmt = stmt.where(Inspection.review_state == state)
    if township:
        stmt = stmt.where(Inspection.region_code.in_(_subtree(session, actor, township)))
    if sector:
        stmt = stmt.where(Inspection.checklist_code.in_(checklist_codes(sector)))
    if checklist:
        stmt = stmt.where(Inspection.checklist_code == checklist)
    for code in flag or ():
        # Flags are a short JSON list of fixed codes; matching the quoted code in its
        # text form works the same on SQLite (JSON text) and PostgreSQL (jsonb::text).
        stmt = stmt.where(cast(Inspection.flags, String).like(f'%"{code}"%'))
    if awaiting is not None:
        stmt = stmt.where(Inspection.awaiting_media.is_(awaiting))
    if date_from:
        stmt = stmt.where(Inspection.received_at >= day_start(date_from, tz))
    if date_to:
        stmt = stmt.where(Inspection.received_at < day_start(date_to + timedelta(days=1), tz))
    return stmt


# Oldest first: a queue is worked in the order it arrived.
_ORDER = (Inspection.received_at, Inspection.id)


def review_queue(session, actor: User, *, page: int = 1, per_page: int = 50, **filters) -> Page:
    stmt = queue_select(session, actor, **filters)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = session.scalars(stmt.order_by(*_ORDER).limit(per_page)
                            .offset((page - 1) * per_page)).all()
    return Page(list(items), total, page, per_page)


def queue_neighbours(session, actor: User, inspection: Inspection, **filters):
    """The previous and next inspection in the same filtered queue (j/k and after acting)."""
    base = queue_select(session, actor, **filters).where(Inspection.id != inspection.id)
    at, ident = inspection.received_at, inspection.id
    after = or_(Inspection.received_at > at, and_(Inspection.received_at == at,
                                                  Inspection.id > ident))
    before = or_(Inspection.received_at < at, and_(Inspection.received_at == at,
                                                   Inspection.id < ident))
    nxt = session.scalar(base.where(after).order_by(*_ORDER).limit(1).with_only_columns(
        Inspection.id))
    prev = session.scalar(base.where(before).order_by(Inspection.received_at.desc(),
                                                      Inspection.id.desc())
                          .limit(1).with_only_columns(Inspection.id))
    return prev, nxt


# Beyond this many matches the register table says "10000+" instead of counting them
# all: an exact count of a million rows costs more than the rest of the page together.
COUNT_CAP = 10_000


def register_page(session, actor: User, *, sort: str = "-found_at", page: int = 1,
                  per_page: int = 50, **filters) -> Page:
    """The register table: the register's own scoped filter, a capped count, one page."""
    from server.register import queries

    stmt = queries.filtered(session, actor, **filters)
    ids = stmt.with_only_columns(Hazard.id)
    total = session.scalar(select(func.count()).select_from(
        ids.limit(COUNT_CAP + 1).subquery()))
    # Late row lookup: choose the page's ids first (from an index where one fits), then
    # load only those rows, instead of reading every skipped row of a deep page.
    page_ids = session.scalars(ids.order_by(*queries.SORTS[sort], Hazard.id).limit(per_page)
                               .offset((page - 1) * per_page)).all()
    rows = {h.id: h for h in session.scalars(select(Hazard).where(Hazard.id.in_(page_ids)))
            } if page_ids else {}
    return Page([rows[i] for i in page_ids if i in rows], total, page, per_page)


@dataclass
class InspectionView:
    inspection: Inspection
    answers: list[dict]
    hazards: list[Hazard]
    distance_m: float | None
    title: str
    sector: str | None
    photos: list[str] = field(default_factory=list)
    # The evidence metadata of each photo that has arrived (capture time, GPS from EXIF).
    media: dict = field(default_factory=dict)


def inspection_view(session, actor: User, inspection_id) -> InspectionView:
    """An inspection with everything a reviewer decides on (scope checked by the service)."""
    from sync.flags import haversine_m

    inspection = inspections.get_inspection(session, actor, inspection_id)
    try:
        from server.checklists import catalogue

        checklist = catalogue.get(inspection.checklist_code, inspection.checklist_version)
    except forms.UnknownChecklist:
        checklist = None
    answers = []
    for answer in inspection.answers or []:
        item = checklist.item(answer.get("item")) if checklist else None
        choice = next((c.text for c in item.choices if c.key == answer.get("value")),
                      None) if item else None
        answers.append({**answer, "text": item.text if item else None,
                        "unit": item.unit if item else None, "choice": choice,
                        "failed": bool(item and forms.fails(item, answer.get("value")))})
    ids = [uuid.UUID(h) for h in inspection.hazard_ids or []]
    hazards = list(session.scalars(scoped(select(Hazard).where(Hazard.id.in_(ids)),
                                          Hazard.region_code, actor))) if ids else []
    site = inspection.site
    distance = None
    if None not in (inspection.lat, inspection.lon, site.lat, site.lon):
        distance = haversine_m(inspection.lat, inspection.lon, site.lat, site.lon)
    photos = sorted(inspections.referenced_media({"answers": inspection.answers,
                                                  "verifications": inspection.verifications,
                                                  "signatures": inspection.signatures}))
    from server.models import Blob

    media = {b.sha256: b for b in session.scalars(select(Blob).where(Blob.sha256.in_(photos)))
             } if photos else {}
    return InspectionView(inspection, answers, hazards, distance,
                          checklist.title.zh if checklist else inspection.checklist_code,
                          checklist.sector if checklist else None, photos, media)


def users_in_scope(session, actor: User, *, q: str | None = None) -> list[User]:
    stmt = scoped(select(User), User.region_code, actor)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(User.username.ilike(like), User.name.ilike(like)))
    return list(session.scalars(stmt.order_by(User.region_code, User.username).limit(500)))


def user_devices(session, actor: User, user_id) -> tuple[User, list[dict]]:
    """A user's phones with their last sync and how many inspections still wait for photos."""
    from server.auth.scope import get_in_scope
    from server.models import Device

    user = get_in_scope(session, User, user_id, actor, what="user")
    devices = list(session.scalars(select(Device).where(Device.user_id == user.id)
                                   .order_by(Device.created_at)))
    waiting = dict(session.execute(
        select(Inspection.client_id, func.count()).where(
            Inspection.client_id.in_([d.client_id for d in devices]),
            Inspection.awaiting_media.is_(True)).group_by(Inspection.client_id)).all()
    ) if devices else {}
    return user, [{"device": d, "awaiting_media": waiting.get(d.client_id, 0)} for d in devices]


def assignable_regions(session, actor: User) -> list[Region]:
    stmt = scoped(select(Region), Region.code, actor)
    return list(session.scalars(stmt.order_by(Region.path)))
