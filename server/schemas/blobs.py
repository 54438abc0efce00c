"""Blob and label schemas: the contract's Blobs and Labels sections."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

_SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="Not a lowercase SHA-256 hex digest.")
# One inspection refers to at most a few hundred photos; a check is one inspection's
# worth or a whole outbox, never more than this.
MAX_CHECK = 1000
# A label sheet of a whole township is a few hundred sites; beyond this the request is a
# mistake (or an attempt to make the server render a city), and the answer is 422.
MAX_LABELS = 2000


class BlobCheckItemSchema(Schema):
    sha256 = fields.String(required=True, validate=_SHA256)
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class BlobCheckSchema(Schema):
    blobs = fields.List(fields.Nested(BlobCheckItemSchema), required=True,
                        validate=validate.Length(max=MAX_CHECK))


class BlobMissingSchema(Schema):
    missing = fields.List(fields.String(), dump_only=True)


class BlobSchema(Schema):
    sha256 = fields.String(dump_only=True)
    size = fields.Integer(dump_only=True)
    width = fields.Integer(dump_only=True)
    height = fields.Integer(dump_only=True)
    media_type = fields.String(dump_only=True)


class LabelQuerySchema(Schema):
    """`?region=<code>` or `?ids=<uuid>,<uuid>…` (exactly one of them)."""

    region = fields.String(validate=validate.Length(min=1, max=20))
    ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=MAX_LABELS))

    @validates_schema
    def _one_selection(self, data, **_kwargs):
        if ("region" in data) == ("ids" in data):
            raise ValidationError("Give either region or ids.", "_schema")
