"""Sync wire schemas: the push envelope, push results, pull query and page.

Mutation `args` are validated per mutation by the schema in `sync.registry`, so one bad
mutation is recorded as rejected instead of failing the whole push.
"""

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

MUTATION_STATUSES = ("applied", "duplicate", "rejected")
PULL_TYPES = ("site", "hazard", "inspection", "checklist", "task")
# A lost range larger than this is not a restore's doing (a day holds a few hundred).
MAX_LOST = 100_000


class MutationSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**53))
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    at = fields.AwareDateTime(load_default=None, allow_none=True)
    # A JSON object's keys are strings already; the mutation's own schema checks them.
    args = fields.Dict(required=True)


class PushSchema(Schema):
    class Meta:
        unknown = RAISE

    client_id = fields.UUID(required=True)
    sent_at = fields.AwareDateTime(load_default=None, allow_none=True)
    # The count limit (413) is checked by the engine; this only keeps absurd bodies out.
    mutations = fields.List(fields.Nested(MutationSchema), required=True)


class EntityRefSchema(Schema):
    type = fields.String(dump_only=True)
    id = fields.UUID(dump_only=True)
    version = fields.Integer(dump_only=True)


class ErrorObjectSchema(Schema):
    code = fields.String(dump_only=True)
    message = fields.String(dump_only=True)
    details = fields.Dict(dump_only=True)


class MutationResultSchema(Schema):
    id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": list(MUTATION_STATUSES)})
    entity = fields.Nested(EntityRefSchema, dump_only=True, allow_none=True)
    error = fields.Nested(ErrorObjectSchema, dump_only=True, allow_none=True)
    # Extensions beyond the contract: what a duplicate first was; derived hazards merged
    # into open ones; fields that lost a merge; plausibility flags; verification outcomes.
    first_status = fields.String(dump_only=True)
    merged = fields.List(fields.Dict(), dump_only=True)
    conflicts = fields.List(fields.String(), dump_only=True)
    flags = fields.List(fields.String(), dump_only=True)
    verifications = fields.List(fields.Dict(), dump_only=True)


class _RecoveryStamp(Schema):
    """Extensions for the recovery after a restore (sync.recovery), in push and pull answers."""

    epoch = fields.Integer(dump_only=True, metadata={"description": (
        "Sync epoch: 0 until the server is first restored from a backup, new with every "
        "restore. An acknowledgment seen in another epoch may have been lost by a restore.")})
    safe_mutation_id = fields.Integer(dump_only=True, metadata={"description": (
        "This client's last_mutation_id as the latest backup holds it: acknowledged "
        "mutations up to it survive a restore and may be forgotten by the client; later "
        "ones should be kept (bounded) to resend after a restore.")})


class PushResponseSchema(_RecoveryStamp):
    last_mutation_id = fields.Integer(dump_only=True)
    server_time = fields.AwareDateTime(dump_only=True)
    # Served as the engine built them (JSON already; a push answers up to 100); each item
    # has MutationResultSchema's shape, which the OpenAPI document describes.
    results = fields.Raw(dump_only=True, metadata={
        "type": "array", "items": {"$ref": "#/components/schemas/MutationResult"},
        "description": "One per mutation of the push, in order."})


class LostSchema(Schema):
    """Mutations a client can no longer resend after a restore (POST /sync/lost)."""

    class Meta:
        unknown = RAISE

    client_id = fields.UUID(required=True)
    from_ = fields.Integer(required=True, strict=True, data_key="from",
                           validate=validate.Range(min=1, max=2**53))
    to = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**53))
    epoch = fields.Integer(required=True, strict=True, allow_none=True, metadata={
        "description": "The epoch in which the client saw these acknowledged (null: unknown)."})

    @validates_schema
    def _range(self, data, **_kwargs):
        if "from_" in data and "to" in data:
            if data["to"] < data["from_"]:
                raise ValidationError("must not be below from", "to")
            if data["to"] - data["from_"] >= MAX_LOST:
                raise ValidationError(f"at most {MAX_LOST} ids per report", "to")

    @post_load
    def _rename(self, data, **_kwargs):
        data["from"] = data.pop("from_")
        return data


class LostResponseSchema(Schema):
    last_mutation_id = fields.Integer(dump_only=True)
    epoch = fields.Integer(dump_only=True)
    safe_mutation_id = fields.Integer(dump_only=True)
    lost = fields.Dict(dump_only=True, metadata={"description": "{from, to} as recorded"})


class PullQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    cursor = fields.String(load_default=None, validate=validate.Length(max=2000))
    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=1000))


class ChangeSchema(Schema):
    type = fields.String(dump_only=True, metadata={"enum": list(PULL_TYPES)})
    id = fields.String(dump_only=True)
    op = fields.String(dump_only=True, metadata={"enum": ["put", "remove"]})
    version = fields.Integer(dump_only=True)
    data = fields.Dict(dump_only=True)


class PullResponseSchema(_RecoveryStamp):
    # Served as built (a first pull carries thousands); each item has ChangeSchema's shape.
    changes = fields.Raw(dump_only=True, metadata={
        "type": "array", "description": "Items: {type, id, op: put|remove, version, data}."})
    cursor = fields.String(dump_only=True)
    has_more = fields.Boolean(dump_only=True)
    last_mutation_id = fields.Integer(dump_only=True)
    server_time = fields.AwareDateTime(dump_only=True)
