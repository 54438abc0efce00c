"""Hazard register schemas: the list query, the hazard, its timeline, staff actions."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.models.hazard import LISTING_LEVELS, SEVERITIES, SOURCES, STATUSES
from server.models.site import SECTORS
from server.register.queries import SORTS
from server.schemas.common import PageQuery, page_schema

_phone = validate.Regexp(r"^[0-9+\-() ]{3,32}$", error="Not a phone number.")


class HazardQuerySchema(PageQuery):
    region = fields.String(validate=validate.Length(max=20))
    sector = fields.List(fields.String(validate=validate.OneOf(SECTORS)))
    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)))
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    overdue = fields.Boolean()
    listed = fields.Boolean()
    source = fields.String(validate=validate.OneOf(SOURCES))
    found_from = fields.Date()
    found_to = fields.Date()
    site_id = fields.UUID()
    item = fields.String(validate=validate.Length(max=32))
    supplier = fields.UUID(metadata={"description": "Hazards naming this gas supplier (or one "
                                                    "merged into it)."})
    sort = fields.String(load_default="-found_at", validate=validate.OneOf(sorted(SORTS)))


class ListingSchema(Schema):
    level = fields.String(dump_only=True)
    listed_at = fields.DateTime(dump_only=True)


class ActorSchema(Schema):
    id = fields.UUID(dump_only=True)
    name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)


class HazardSchema(Schema):
    id = fields.UUID(dump_only=True)
    site_id = fields.UUID(dump_only=True)
    site_name = fields.Function(lambda h: h.site.name, dump_only=True)
    region_code = fields.String(dump_only=True)
    sector = fields.String(dump_only=True)
    item = fields.String(dump_only=True, allow_none=True)
    description = fields.String(dump_only=True)
    severity = fields.String(dump_only=True)
    grade = fields.Integer(dump_only=True, allow_none=True)
    source = fields.String(dump_only=True)
    standard = fields.Dict(dump_only=True, allow_none=True)
    basis = fields.Function(lambda h: h.standard or None, dump_only=True, allow_none=True, metadata={
        "description": "Contract 1.1: the standard and clause the hazard is judged by."})
    elements = fields.List(fields.String(), dump_only=True, metadata={
        "description": "Contract 1.1: item codes of a combined judgement's elements."})
    status = fields.String(dump_only=True)
    overdue = fields.Boolean(dump_only=True)
    deadline = fields.Date(dump_only=True, allow_none=True)
    measures = fields.String(dump_only=True, allow_none=True)
    responsible_name = fields.String(dump_only=True, allow_none=True)
    responsible_phone = fields.String(dump_only=True, allow_none=True)
    listing = fields.Nested(ListingSchema, dump_only=True, allow_none=True)
    stop_work = fields.Boolean(dump_only=True)
    stop_work_order_no = fields.String(dump_only=True, allow_none=True)
    supplier = fields.Function(
        lambda h: {"id": str(h.supplier_id), "name": h.supplier} if h.supplier_id else None,
        dump_only=True, allow_none=True, metadata={
            "description": "Contract 1.1: the gas supplier named, an entity of its county."})
    supplier_major = fields.Boolean(dump_only=True, metadata={
        "description": "A gas company major-hazard clue (燃气企业重大隐患线索)."})
    supplier_confirmed = fields.Boolean(dump_only=True, allow_none=True, metadata={
        "description": "Contract 1.1: the county's judgement of that clue: null while it "
                       "waits (待认定), true confirmed (已认定), false dismissed (不予认定); "
                       "actions `confirm_supplier_clue` / `dismiss_supplier_clue` (reason)."})
    before_photos = fields.List(fields.String(), dump_only=True)
    after_photos = fields.List(fields.String(), dump_only=True)
    inspection_id = fields.UUID(dump_only=True, allow_none=True)
    notice_no = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "Contract 1.1: the rectification notice it was first given in."})
    found_at = fields.DateTime(dump_only=True)
    closed_at = fields.DateTime(dump_only=True, allow_none=True)
    updated_at = fields.DateTime(dump_only=True)
    version = fields.Integer(dump_only=True)


class FindingSchema(Schema):
    inspection_id = fields.UUID(dump_only=True, allow_none=True)
    at = fields.DateTime(dump_only=True)
    alias_id = fields.UUID(dump_only=True, allow_none=True)


class HazardEventSchema(Schema):
    seq = fields.Integer(dump_only=True)
    type = fields.String(dump_only=True)
    at = fields.DateTime(dump_only=True)
    device_at = fields.DateTime(dump_only=True, allow_none=True)
    actor = fields.Nested(ActorSchema, dump_only=True, allow_none=True)
    actor_role = fields.String(dump_only=True, allow_none=True)
    inspection_id = fields.UUID(dump_only=True, allow_none=True)
    data = fields.Dict(dump_only=True)
    refused = fields.Boolean(dump_only=True)
    error_code = fields.String(dump_only=True, allow_none=True)
    version = fields.Integer(dump_only=True)


class HazardDetailSchema(HazardSchema):
    findings = fields.List(fields.Nested(FindingSchema), dump_only=True)
    events = fields.List(fields.Nested(HazardEventSchema), dump_only=True)


HazardPageSchema = page_schema(HazardSchema, "HazardPage")

# Staff actions: the fields each action takes (allowlist) and which of them are required.
ACTION_FIELDS = {
    "plan": ({"measures", "deadline", "responsible_name"}, {"responsible_phone"}),
    "set_severity": ({"severity", "reason"}, {"grade"}),
    "sign_off": (set(), {"note"}),
    "list": ({"level"}, set()),
    "delist": ({"reason"}, set()),
    "stop_work": ({"order_no"}, set()),
    "lift_stop_work": ({"reason"}, set()),
    "comment": ({"text"}, set()),
    "confirm_supplier_clue": ({"reason"}, set()),
    "dismiss_supplier_clue": ({"reason"}, set()),
    "reopen": ({"reason"}, set()),
}


class HazardActionSchema(Schema):
    """`POST /hazards/<id>/actions`: {"action": name, …that action's args}.

    `version` (optional, an extension) makes the action conditional on the version the
    caller saw: a stale one answers 409 conflict.
    """

    action = fields.String(required=True, validate=validate.OneOf(sorted(ACTION_FIELDS)))
    version = fields.Integer(validate=validate.Range(min=1))
    measures = fields.String(validate=validate.Length(min=1, max=2000))
    deadline = fields.Date()
    responsible_name = fields.String(validate=validate.Length(min=1, max=100))
    responsible_phone = fields.String(validate=_phone)
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    grade = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=3))
    reason = fields.String(validate=validate.Length(min=1, max=1000))
    note = fields.String(validate=validate.Length(max=1000))
    level = fields.String(validate=validate.OneOf(LISTING_LEVELS))
    order_no = fields.String(validate=validate.Length(min=1, max=64))
    text = fields.String(validate=validate.Length(min=1, max=2000))

    @validates_schema
    def _fields_of_the_action(self, data, **_kwargs):
        action = data.get("action")
        if action not in ACTION_FIELDS:
            return
        required, optional = ACTION_FIELDS[action]
        given = set(data) - {"action", "version"}
        errors = {f: [f"Not an argument of {action}."] for f in sorted(given - required - optional)}
        errors.update({f: ["Missing data for required field."] for f in sorted(required - given)})
        if errors:
            raise ValidationError(errors)
