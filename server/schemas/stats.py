"""Statistics schemas: the query and the figures."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.models.site import SECTORS
from server.schemas.sites import RegionRefSchema


class SignalsQuerySchema(Schema):
    region = fields.String(validate=validate.Length(max=20))
    date_from = fields.Date()
    date_to = fields.Date()

    @validates_schema
    def _ordered(self, data, **_kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError({"date_from": ["Must not be after date_to."]})


class StatsQuerySchema(SignalsQuerySchema):
    sector = fields.String(validate=validate.OneOf(SECTORS))


class PeriodSchema(Schema):
    from_ = fields.Date(dump_only=True, data_key="from", attribute="from")
    to = fields.Date(dump_only=True)


class FiguresSchema(Schema):
    found = fields.Integer(dump_only=True)
    major = fields.Integer(dump_only=True)
    closed = fields.Integer(dump_only=True)
    rectification_rate = fields.Float(dump_only=True, allow_none=True)
    overdue = fields.Integer(dump_only=True)
    major_listed = fields.Integer(dump_only=True)
    listed_rate = fields.Float(dump_only=True, allow_none=True)
    median_days_to_close = fields.Float(dump_only=True, allow_none=True)
    inspections = fields.Integer(dump_only=True)
    sites_covered = fields.Integer(dump_only=True)
    sites = fields.Integer(dump_only=True)


class RegionFiguresSchema(FiguresSchema):
    region = fields.Nested(RegionRefSchema, dump_only=True)


class SectorFiguresSchema(FiguresSchema):
    sector = fields.String(dump_only=True)


class SourceFiguresSchema(Schema):
    source = fields.String(dump_only=True)
    found = fields.Integer(dump_only=True)
    major = fields.Integer(dump_only=True)
    closed = fields.Integer(dump_only=True)


class SummarySchema(Schema):
    region = fields.Nested(RegionRefSchema, dump_only=True)
    period = fields.Nested(PeriodSchema, dump_only=True)
    sector = fields.String(dump_only=True, allow_none=True)
    total = fields.Nested(FiguresSchema, dump_only=True)
    rows = fields.List(fields.Nested(RegionFiguresSchema), dump_only=True)
    by_sector = fields.List(fields.Nested(SectorFiguresSchema), dump_only=True)
    by_source = fields.List(fields.Nested(SourceFiguresSchema), dump_only=True, metadata={
        "description": "Hazards found in the period by source (self_check, inspection, "
                       "cross_check, public_report): found, major, closed (issue 17)."})


class NoMajorSchema(Schema):
    region = fields.Nested(RegionRefSchema, dump_only=True)
    found = fields.Integer(dump_only=True)
    major = fields.Integer(dump_only=True)


class LowRateSchema(Schema):
    region = fields.Nested(RegionRefSchema, dump_only=True)
    sector = fields.String(dump_only=True)
    inspections = fields.Integer(dump_only=True)
    found = fields.Integer(dump_only=True)
    rate = fields.Float(dump_only=True)
    peer_median_rate = fields.Float(dump_only=True)


class SignalsSchema(Schema):
    region = fields.Nested(RegionRefSchema, dump_only=True)
    period = fields.Nested(PeriodSchema, dump_only=True)
    many_found_no_major = fields.List(fields.Nested(NoMajorSchema), dump_only=True)
    low_finding_rate = fields.List(fields.Nested(LowRateSchema), dump_only=True)
