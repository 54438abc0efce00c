"""hazard.report, hazard.update (field-level merge), hazard.rectification_reported,
hazard.comment — thin adapters onto the register's field entry points
(server.register.field), applied to the push's unit of work.

A refused lifecycle transition does not raise: the register keeps the evidence as a
refused event and answers with `.error`; the mutation is then rejected but what was
staged stays.
"""

from __future__ import annotations

from datetime import date

from marshmallow import RAISE, Schema, fields, validate

from server.register import field as register
from server.register.write import Needs
from sync.merge import earlier, merge_fields
from sync.registry import Applied, Context, entity, mutation

_sha256 = validate.Regexp(r"^[0-9a-f]{64}$", error="Not a lowercase SHA-256 hex digest.")
Photos = fields.List(fields.String(validate=_sha256), validate=validate.Length(max=20))
_phone = validate.Regexp(r"^[0-9+\-() ]{3,32}$", error="Not a phone number.")


class HazardReportArgs(Schema):
    class Meta:
        unknown = RAISE

    id = fields.UUID(required=True)
    site_id = fields.UUID(required=True)
    sector = fields.String(required=True, validate=validate.OneOf(
        ("gas", "fire", "construction", "fireworks", "forest", "rural")))
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    severity = fields.String(required=True, validate=validate.OneOf(("general", "major")))
    source = fields.String(required=True, validate=validate.OneOf(
        ("self_check", "public_report", "inspection")))
    item = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    photos = fields.List(fields.String(validate=_sha256), load_default=list,
                         validate=validate.Length(max=20))


class HazardChangesSchema(Schema):
    class Meta:
        unknown = RAISE

    deadline = fields.Date(allow_none=True)
    measures = fields.String(allow_none=True, validate=validate.Length(max=2000))
    responsible_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    responsible_phone = fields.String(allow_none=True, validate=_phone)


class HazardUpdateArgs(Schema):
    class Meta:
        unknown = RAISE

    id = fields.UUID(required=True)
    base_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    changes = fields.Nested(HazardChangesSchema, required=True, validate=validate.Length(min=1))


class RectificationArgs(Schema):
    class Meta:
        unknown = RAISE

    id = fields.UUID(required=True)
    note = fields.String(required=True, validate=validate.Length(max=2000))
    photos = fields.List(fields.String(validate=_sha256), required=True,
                         validate=validate.Length(max=20))


class CommentArgs(Schema):
    class Meta:
        unknown = RAISE

    id = fields.UUID(required=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    photos = fields.List(fields.String(validate=_sha256), load_default=list,
                         validate=validate.Length(max=20))


def _hazard_needs(args: dict, _pure) -> Needs:
    return Needs(hazards={args["id"]}, hashes=set(args.get("photos") or ()))


def _report_needs(args: dict, _pure) -> Needs:
    pairs = {(args["site_id"], args["item"])} if args.get("item") else set()
    return Needs(sites={args["site_id"]}, ids={args["id"]}, pairs=pairs,
                 hashes=set(args["photos"]))


@mutation("hazard.report", HazardReportArgs(), needs=_report_needs)
def report(ctx: Context, args: dict) -> Applied:
    hazard, merged = register.report_hazard(ctx.uow, ctx.actor, args, device_at=ctx.device_at)
    out = Applied(entity("hazard", hazard))
    if merged:
        # The site already had this item open: the report became a finding of that one.
        out.extra["merged"] = [{"derived_id": str(args["id"]), "hazard_id": str(hazard.id)}]
    return out


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value


@mutation("hazard.update", HazardUpdateArgs(), needs=_hazard_needs)
def update(ctx: Context, args: dict) -> Applied:
    record = ctx.uow.hazard(ctx.actor, args["id"])
    changes = args["changes"]
    changed = register.changed_since(ctx.uow, record, args["base_version"])
    current = {name: record.state[name] for name in changes}
    merge = merge_fields(changes, changed, current, rules={"deadline": earlier})
    conflicts = [{k: _jsonable(v) for k, v in c.as_dict().items()} for c in merge.conflicts]
    outcome = register.update_hazard(ctx.uow, ctx.actor, record, merge.apply, conflicts,
                                     device_at=ctx.device_at)
    out = Applied(entity("hazard", outcome.hazard), error=outcome.error)
    if merge.conflicts:
        out.extra["conflicts"] = [c.field for c in merge.conflicts]
    return out


@mutation("hazard.rectification_reported", RectificationArgs(), needs=_hazard_needs)
def rectification_reported(ctx: Context, args: dict) -> Applied:
    outcome = register.report_rectification(ctx.uow, ctx.actor, args["id"], args["note"],
                                            args["photos"], device_at=ctx.device_at)
    return Applied(entity("hazard", outcome.hazard), error=outcome.error)


@mutation("hazard.comment", CommentArgs(), needs=_hazard_needs)
def comment(ctx: Context, args: dict) -> Applied:
    outcome = register.comment(ctx.uow, ctx.actor, args["id"], args["text"], args["photos"],
                               device_at=ctx.device_at)
    return Applied(entity("hazard", outcome.hazard), error=outcome.error)
