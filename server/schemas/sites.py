"""Site schemas: the contract's site fields."""

from marshmallow import Schema, fields, validate

from server.models.site import SECTORS, SITE_KINDS
from server.schemas.common import PageQuery, page_schema

_phone = validate.Regexp(r"^[0-9+\-() ]{3,32}$", error="Not a phone number.")


class RegionRefSchema(Schema):
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    level = fields.String(dump_only=True)


class SiteCreateSchema(Schema):
    """`site.create` arguments (the sync mutation) and the import row."""

    id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(SITE_KINDS))
    region_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    address = fields.String(required=True, validate=validate.Length(max=300))
    lat = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    contact_phone = fields.String(allow_none=True, validate=_phone)
    sectors = fields.List(fields.String(validate=validate.OneOf(SECTORS)), required=True,
                          validate=validate.Length(max=len(SECTORS)))


class SiteImportSchema(SiteCreateSchema):
    id = fields.UUID(required=False)
    address = fields.String(load_default="", validate=validate.Length(max=300))
    sectors = fields.List(fields.String(validate=validate.OneOf(SECTORS)), load_default=list)


class SiteSchema(Schema):
    id = fields.UUID(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)
    region_code = fields.String(dump_only=True)
    region = fields.Nested(RegionRefSchema, dump_only=True)
    address = fields.String(dump_only=True)
    lat = fields.Float(dump_only=True, allow_none=True)
    lon = fields.Float(dump_only=True, allow_none=True)
    contact_name = fields.String(dump_only=True, allow_none=True)
    contact_phone = fields.String(dump_only=True, allow_none=True)
    sectors = fields.List(fields.String(), dump_only=True)
    version = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class SiteQuerySchema(PageQuery):
    q = fields.String(validate=validate.Length(max=100))
    region = fields.String(validate=validate.Length(max=20))
    kind = fields.String(validate=validate.OneOf(SITE_KINDS))


SitePageSchema = page_schema(SiteSchema, "SitePage")
