"""My reminders: overdue hazards, escalation proposals, bulletins."""

from __future__ import annotations

from flask import Blueprint
from marshmallow import Schema, fields

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


class NotificationQuerySchema(PageQuery):
    unread = fields.Boolean()


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
