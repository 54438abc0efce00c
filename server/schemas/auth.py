"""Auth schemas (contract: Auth)."""

from marshmallow import Schema, fields, validate


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    client_id = fields.UUID(required=True)
    device_name = fields.String(allow_none=True, validate=validate.Length(max=100))


class RegionSchema(Schema):
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    level = fields.String(dump_only=True)


class UserSchema(Schema):
    id = fields.UUID(dump_only=True)
    username = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
    region = fields.Nested(RegionSchema, dump_only=True)


_PREFIX_DOC = ("The prefix of the rectification notice numbers this device issues, "
               "\"<township code>-<device serial>\" (an extension of contract 1.1, see "
               "README: Contract additions); null for users above the township.")


class MeSchema(UserSchema):
    notice_prefix = fields.String(dump_only=True, allow_none=True,
                                  metadata={"description": _PREFIX_DOC})


class LoginResultSchema(Schema):
    token = fields.String(dump_only=True)
    client_id = fields.UUID(dump_only=True)
    user = fields.Nested(UserSchema, dump_only=True)
    notice_prefix = fields.String(dump_only=True, allow_none=True,
                                  metadata={"description": _PREFIX_DOC})


class DeviceSchema(Schema):
    client_id = fields.UUID(dump_only=True)
    name = fields.String(dump_only=True, allow_none=True)
    user = fields.Function(lambda d: d.user.username, dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    last_seen_at = fields.DateTime(dump_only=True, allow_none=True)
    last_sync_at = fields.DateTime(dump_only=True, allow_none=True)
    last_mutation_id = fields.Integer(dump_only=True)
    revoked_at = fields.DateTime(dump_only=True, allow_none=True)
