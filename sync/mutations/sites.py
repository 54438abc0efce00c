"""site.create and site.update (field-level merge against base_version)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select

from server.auth.scope import region_in_scope
from server.errors import Conflict, Invalid
from server.models import Site, SiteConflict, SiteRevision
from server.schemas.sites import SiteCreateSchema
from server.sites import service as sites
from sync.merge import merge_fields
from sync.registry import Applied, Context, entity, mutation

EDITABLE = ("name", "kind", "region_code", "address", "lat", "lon", "contact_name",
            "contact_phone", "sectors")


class SiteCreateArgs(SiteCreateSchema):
    class Meta:
        unknown = RAISE


class SiteChangesSchema(SiteCreateSchema):
    class Meta:
        unknown = RAISE
        exclude = ("id",)


class SiteUpdateArgs(Schema):
    class Meta:
        unknown = RAISE

    id = fields.UUID(required=True)
    base_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    changes = fields.Nested(SiteChangesSchema(partial=True), required=True,
                            validate=validate.Length(min=1))


@mutation("site.create", SiteCreateArgs(), savepoint=True)
def create(ctx: Context, args: dict) -> Applied:
    if ctx.session.get(Site, args["id"]) is not None:
        raise Conflict("A site with this id already exists.", code="already_exists",
                       details={"id": str(args["id"])})
    site = sites.create_site(ctx.session, ctx.actor, args)
    return Applied(entity("site", site))


def changed_since(session, site_id, base_version: int, client_id) -> set[str]:
    """Fields changed after base_version by anyone but this device itself."""
    rows = session.execute(select(SiteRevision.fields, SiteRevision.client_id).where(
        SiteRevision.site_id == site_id, SiteRevision.version > base_version))
    return {f for fields_, cid in rows if cid is None or cid != client_id for f in fields_}


@mutation("site.update", SiteUpdateArgs(), savepoint=True)
def update(ctx: Context, args: dict) -> Applied:
    session = ctx.session
    site = sites.get_site(session, ctx.actor, args["id"])
    if args["base_version"] > site.version:
        raise Invalid(details={"base_version": [f"The site is only at version {site.version}."]})
    changes = dict(args["changes"])
    if "sectors" in changes:
        changes["sectors"] = sorted(set(changes["sectors"]))
    if "region_code" in changes:
        region_in_scope(session, ctx.actor, changes["region_code"])
    current = {name: getattr(site, name) for name in EDITABLE}
    merge = merge_fields(changes, changed_since(session, site.id, args["base_version"],
                                                ctx.client_id), current)
    for name, value in merge.apply.items():
        setattr(site, name, value)
    for c in merge.conflicts:
        session.add(SiteConflict(site_id=site.id, region_code=site.region_code, field=c.field,
                                 base_version=args["base_version"],
                                 server_value=c.server_value, losing_value=c.losing_value,
                                 actor_id=ctx.actor.id, client_id=ctx.client_id,
                                 mutation_id=ctx.mutation_id))
    session.flush()
    out = Applied(entity("site", site))
    if merge.conflicts:
        out.extra["conflicts"] = [c.field for c in merge.conflicts]
    return out
