"""Inspection schemas: the record as reviewers see it, the review decision, the queue."""

from marshmallow import Schema, fields, validate

from server.models.inspection import KINDS, REVIEW_STATES
from server.schemas.common import PageQuery, page_schema


class ChecklistRefSchema(Schema):
    code = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)


class PersonSchema(Schema):
    id = fields.UUID(dump_only=True)
    name = fields.String(dump_only=True)


class LocationSchema(Schema):
    lat = fields.Float(dump_only=True)
    lon = fields.Float(dump_only=True)
    accuracy_m = fields.Float(dump_only=True, allow_none=True)


class InspectionSchema(Schema):
    id = fields.UUID(dump_only=True)
    site_id = fields.UUID(dump_only=True)
    site_name = fields.Function(lambda i: i.site.name, dump_only=True)
    region_code = fields.String(dump_only=True)
    inspector = fields.Nested(PersonSchema, dump_only=True)
    checklist = fields.Nested(ChecklistRefSchema, dump_only=True)
    kind = fields.String(dump_only=True)
    started_at = fields.DateTime(dump_only=True)
    finished_at = fields.DateTime(dump_only=True)
    location = fields.Nested(LocationSchema, dump_only=True, allow_none=True)
    scan_verified = fields.Boolean(dump_only=True)
    answers = fields.List(fields.Dict(), dump_only=True)
    verifications = fields.List(fields.Dict(), dump_only=True)
    signatures = fields.Dict(dump_only=True)
    flags = fields.List(fields.String(), dump_only=True)
    hazard_ids = fields.List(fields.String(), dump_only=True)
    review_state = fields.String(dump_only=True)
    review_comment = fields.String(dump_only=True, allow_none=True)
    reviewer_id = fields.UUID(dump_only=True, allow_none=True)
    reviewed_at = fields.DateTime(dump_only=True, allow_none=True)
    awaiting_media = fields.Boolean(dump_only=True)
    supersedes = fields.UUID(dump_only=True, allow_none=True)
    superseded_by = fields.UUID(dump_only=True, allow_none=True)
    notice_no = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "Contract 1.1: the rectification notice the visit ended with."})
    received_at = fields.DateTime(dump_only=True)
    version = fields.Integer(dump_only=True)


class ReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return", "reject")))
    comment = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=2000))


class InspectionQuerySchema(PageQuery):
    review_state = fields.String(validate=validate.OneOf(REVIEW_STATES))
    kind = fields.String(validate=validate.OneOf(KINDS))
    region = fields.String(validate=validate.Length(max=20))
    site_id = fields.UUID()
    awaiting_media = fields.Boolean()


InspectionPageSchema = page_schema(InspectionSchema, "InspectionPage")
