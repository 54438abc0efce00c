"""Site services: plain functions of (session, actor, ...) that flush, never commit."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass

from marshmallow import ValidationError
from sqlalchemy import func, or_, select

from server.auth.scope import get_in_scope, region_in_scope, scoped
from server.errors import Invalid, NotFound
from server.models import Region, Site, User
from server.sites import codes


def _assign_code(session, site: Site) -> None:
    for attempt in range(50):
        code = codes.make_code(str(site.id), attempt)
        if session.scalar(select(Site.id).where(Site.code == code)) is None:
            site.code = code
            return
    raise RuntimeError("no free site code after 50 attempts")  # pragma: no cover


def create_site(session, actor: User | None, data: dict) -> Site:
    """Register a site. `data` is already validated by SiteCreateSchema.

    With an actor, the site's region must lie in the actor's scope (404 otherwise);
    the CLI import passes actor=None.
    """
    if actor is not None:
        region_in_scope(session, actor, data["region_code"])
    elif session.get(Region, data["region_code"]) is None:
        raise NotFound(f"No region {data['region_code']!r}.")
    site = Site(id=data.get("id") or uuid.uuid4(), created_by=getattr(actor, "id", None),
                **{k: v for k, v in data.items() if k != "id"})
    site.sectors = sorted(set(site.sectors or []))
    _assign_code(session, site)
    session.add(site)
    session.flush()
    return site


def get_site(session, actor: User, site_id) -> Site:
    return get_in_scope(session, Site, site_id, actor, what="site")


def find_by_code(session, actor: User, code: str) -> Site:
    code = codes.normalize(code)
    if not codes.is_valid(code):
        raise NotFound(f"No site with code {code!r}.")
    site = session.scalar(scoped(select(Site).where(Site.code == code), Site.region_code, actor))
    if site is None:
        raise NotFound(f"No site with code {code!r}.")
    return site


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int


def search_sites(session, actor: User, *, q: str | None = None, region: str | None = None,
                 kind: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    stmt = scoped(select(Site), Site.region_code, actor)
    if region:
        root = region_in_scope(session, actor, region)
        stmt = stmt.where(Site.region_code.in_(
            select(Region.code).where(Region.path.startswith(root.path, autoescape=True))))
    if kind:
        stmt = stmt.where(Site.kind == kind)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Site.name.ilike(like), Site.address.ilike(like),
                              Site.code == codes.normalize(q)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = session.scalars(stmt.order_by(Site.name, Site.id)
                            .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), total, page, per_page)


SITE_CSV_COLUMNS = ("name", "kind", "region_code", "address")


def import_sites(session, text: str) -> int:
    """Import sites from CSV all-or-nothing; every bad row is reported, none is written.

    Columns: name, kind, region_code, address, and optionally id, lat, lon,
    contact_name, contact_phone, sectors (separated by ; or |).
    """
    from server.schemas.sites import SiteImportSchema

    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in SITE_CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise Invalid("The site file has errors; nothing was imported.",
                      details={"rows": [f"line 1: missing column(s): {', '.join(missing)}"]})
    schema = SiteImportSchema()
    known_regions = set(session.scalars(select(Region.code)))
    errors, valid = [], []
    seen_ids = set()
    for line, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        row = {k: v for k, v in row.items() if v != ""}
        if "sectors" in row:
            row["sectors"] = [s.strip() for s in row["sectors"].replace("|", ";").split(";")
                              if s.strip()]
        try:
            data = schema.load(row)
        except ValidationError as exc:
            for field, messages in sorted(exc.messages.items()):
                msgs = messages if isinstance(messages, list) else [str(messages)]
                errors.append(f"line {line}: {field}: {'; '.join(map(str, msgs))}")
            continue
        if data["region_code"] not in known_regions:
            errors.append(f"line {line}: region_code: no region {data['region_code']!r}")
            continue
        if data.get("id"):
            if data["id"] in seen_ids or session.get(Site, data["id"]) is not None:
                errors.append(f"line {line}: id: duplicate site id {data['id']}")
                continue
            seen_ids.add(data["id"])
        valid.append(data)
    if errors:
        raise Invalid("The site file has errors; nothing was imported.",
                      details={"rows": errors})
    for data in valid:
        create_site(session, None, data)
    return len(valid)
