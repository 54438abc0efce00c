"""Site services: plain functions of (session, actor, ...) that flush, never commit."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass

from marshmallow import ValidationError
from sqlalchemy import func, or_, select

from server import text as text_rule
from server.auth.scope import get_in_scope, region_in_scope, scoped
from server.errors import Invalid, NotFound
from server.models import Region, Site, User
from server.sites import codes
from server.sites.files import MAX_COLUMNS, MAX_ROWS, too_many_columns, too_many_rows


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


@dataclass
class ImportCheck:
    """A dry run of a site file: the rows that would be written and every row's errors."""

    rows: list[dict]
    errors: list[str]
    lines: list[int]


def check_site_rows(session, text: str, actor: User | None = None) -> ImportCheck:
    """Validate a site CSV without writing anything (the console's import preview).

    Columns: name, kind, region_code, address, and optionally id, lat, lon,
    contact_name, contact_phone, sectors (separated by ; or |). With an actor, a row's
    region must lie in the actor's scope, reported like an unknown region.
    """
    from server.schemas.sites import SiteImportSchema

    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if len(reader.fieldnames or []) > MAX_COLUMNS:
        raise too_many_columns(len(reader.fieldnames))
    missing = [c for c in SITE_CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return ImportCheck([], [f"line 1: missing column(s): {', '.join(missing)}"], [])
    schema = SiteImportSchema()
    region_stmt = select(Region.code)
    if actor is not None:
        region_stmt = scoped(region_stmt, Region.code, actor)
    known_regions = set(session.scalars(region_stmt))
    errors, valid, lines = [], [], []
    seen_ids = set()
    for line, raw in enumerate(reader, start=2):
        if line > MAX_ROWS + 1:
            raise too_many_rows()
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        unshowable = sorted(k for k, v in row.items() if text_rule.describe(v))
        if unshowable:
            errors.append(f"line {line}: {unshowable[0]}: {text_rule.describe(row[unshowable[0]])}")
            continue
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
        lines.append(line)
    return ImportCheck(valid, errors, lines)


def import_sites(session, text: str, actor: User | None = None) -> int:
    """Import sites from CSV all-or-nothing; every bad row is reported, none is written."""
    check = check_site_rows(session, text, actor)
    if check.errors:
        raise Invalid("The site file has errors; nothing was imported.",
                      details={"rows": check.errors})
    for data in check.rows:
        create_site(session, actor, data)
    return len(check.rows)


# Site fields a phone edits (sync's site.update) and so the only ones a conflict can name.
CONFLICT_FIELDS = ("name", "kind", "region_code", "address", "lat", "lon", "contact_name",
                   "contact_phone", "sectors")


def site_conflicts(session, actor: User, *, resolved: bool = False) -> list:
    """(conflict, site name) for the field conflicts sync recorded on sites in the actor's
    scope, newest first."""
    from server.models import SiteConflict

    stmt = scoped(select(SiteConflict, Site.name).join(Site, Site.id == SiteConflict.site_id),
                  SiteConflict.region_code, actor).where(
        SiteConflict.resolved_at.isnot(None) if resolved else SiteConflict.resolved_at.is_(None))
    return [tuple(row) for row in session.execute(
        stmt.order_by(SiteConflict.at.desc()).limit(500))]


def resolve_site_conflict(session, actor: User, conflict_id, choice: str):
    """Settle a site field conflict: keep the server's value, or apply the losing one.

    Applying writes the field like any site change (the change log bumps the version, so
    phones pull it); a value that would move the site out of the actor's scope is refused.
    """
    from server import audit
    from server.errors import Conflict, NotAllowed
    from server.models import SiteConflict
    from server.models.types import utcnow

    conflict = get_in_scope(session, SiteConflict, conflict_id, actor, what="conflict")
    if conflict.resolved_at is not None:
        raise Conflict("This conflict is already resolved. 该冲突已处理。")
    if not actor.has_role("county_reviewer", "city_admin"):
        raise NotAllowed()
    if choice == "apply":
        if conflict.field not in CONFLICT_FIELDS:
            raise Invalid(details={"field": [f"{conflict.field} cannot be set here."]})
        site = get_site(session, actor, conflict.site_id)
        value = conflict.losing_value
        if conflict.field == "region_code":
            region_in_scope(session, actor, value)
        if conflict.field == "sectors":
            value = sorted(set(value or []))
        setattr(site, conflict.field, value)
    conflict.resolved_at = utcnow()
    conflict.resolved_by = actor.id
    conflict.resolution = "applied" if choice == "apply" else "kept"
    session.flush()
    audit.record(session, "site_conflict_resolved", actor=actor, target_type="site",
                 target_id=conflict.site_id,
                 details={"field": conflict.field, "resolution": conflict.resolution})
    return conflict
