"""notification.read — the phone marks reminders read offline (contract 1.1 extension):
`{ids: [uuid, …]}` (1–200), each a reminder of the caller's; any other id rejects the
mutation with `not_found`, as if it did not exist, and marks nothing."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from server.register import notifications as service
from sync.registry import Applied, Context, mutation


class NotificationReadArgs(Schema):
    class Meta:
        unknown = RAISE

    ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=200))


@mutation("notification.read", NotificationReadArgs(), savepoint=True)
def read(ctx: Context, args: dict) -> Applied:
    marked = service.mark_read_many(ctx.session, ctx.actor, args["ids"])
    return Applied(None, extra={"read": marked})
