"""My reminders: overdue hazards, escalation proposals, bulletins."""

from __future__ import annotations

from flask import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from server.api.decorators import arguments, doc, response
from server.auth import current_user, login_required
from server.extensions import db
from server.register import notifications as service
from server.schemas.common import PageQuery, page_schema


class NotificationSchema(Schema):
    id = fields.UUID(dump_only=True)
    kind = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    body = fields.String(dump_only=True)
    hazard_id = fields.UUID(dump_only=True, allow_none=True)
    data = fields.Dict(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    read_at = fields.DateTime(dump_only=True, allow_none=True)


KINDS = ("overdue", "due_soon", "task", "returned", "listing_proposed", "bulletin")


class NotificationQuerySchema(PageQuery):
    unread = fields.Boolean()
    kind = fields.String(validate=validate.OneOf(KINDS))


class UnreadSchema(Schema):
    unread = fields.Integer(dump_only=True)
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer(), dump_only=True)


class ReadSchema(Schema):
    """Either `ids` (reminders of mine), or `all: true` (optionally of one `kind`)."""

    class Meta:
        unknown = RAISE

    ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=200))
    all = fields.Boolean()
    kind = fields.String(validate=validate.OneOf(KINDS))

    @validates_schema
    def one_way(self, data, **_kwargs):
        if bool(data.get("ids")) == bool(data.get("all")):
            raise ValidationError("Give either ids or all: true.", "_schema")
        if data.get("ids") and data.get("kind"):
            raise ValidationError("kind goes with all: true only.", "kind")


class ReadAnswerSchema(Schema):
    read = fields.Integer(dump_only=True)


NotificationPageSchema = page_schema(NotificationSchema, "NotificationPage")
bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@doc(summary="My reminders, newest first", tags=["notifications"])
@login_required
@arguments(NotificationQuerySchema(), location="query")
@response(NotificationPageSchema())
def list_notifications(args):
    return service.list_notifications(db.session, current_user(), **args)


@bp.post("/notifications/<uuid:notification_id>/read")
@doc(summary="Mark one of my reminders read", tags=["notifications"], errors=["not_found"])
@login_required
@response(NotificationSchema())
def mark_read(notification_id):
    return service.mark_read(db.session, current_user(), notification_id)


@bp.get("/notifications/unread")
@doc(summary="How many of my reminders are unread, in all and per kind", tags=["notifications"])
@login_required
@response(UnreadSchema())
def unread():
    return service.unread_counts(db.session, current_user())


@bp.post("/notifications/read")
@doc(summary="Mark reminders of mine read: these ids, or all (of one kind)",
     tags=["notifications"], errors=["not_found", "validation_error"])
@login_required
@arguments(ReadSchema())
@response(ReadAnswerSchema())
def mark_many_read(args):
    if args.get("all"):
        return {"read": service.mark_all_read(db.session, current_user(), args.get("kind"))}
    return {"read": service.mark_read_many(db.session, current_user(), args["ids"])}
