"""Reminders (消息提醒) in the console: overdue hazards, listing proposals to accept (the
hazard is listed) or decline with a reason, weekly bulletins; read per staff member, the
unread count in the navigation bar."""

from __future__ import annotations

from flask import current_app, g, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.console.blueprint import bp
from server.console.forms import parse
from server.console.session import current_staff
from server.extensions import db
from server.register import notifications as service
from server.register import proposals
from server.register.settings import RegisterSettings

SECTIONS = ("listing_proposed", "overdue", "bulletin", "due_soon", "task", "returned")


class ListQuery(Schema):
    kind = fields.String(validate=validate.OneOf(SECTIONS))
    unread = fields.Boolean()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))


class ReadForm(Schema):
    ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=200))
    all = fields.Boolean()
    kind = fields.String(validate=validate.OneOf(SECTIONS))

    @validates_schema
    def one_way(self, data, **_kwargs):
        if bool(data.get("ids")) == bool(data.get("all")):
            raise ValidationError("Give either ids or all.", "_schema")


class DecisionForm(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "decline")))
    reason = fields.String(validate=validate.Length(min=1, max=500))

    @validates_schema
    def reason_to_decline(self, data, **_kwargs):
        if data["decision"] == "decline" and not data.get("reason"):
            raise ValidationError("A decline needs a reason. 不予挂牌须说明理由。", "reason")


@bp.app_context_processor
def _unread_reminders():
    staff = g.get("staff")
    if staff is None or not (request.endpoint or "").startswith("console."):
        return {}
    return {"unread_reminders": service.unread_counts(db.session, staff)["unread"]}


@bp.get("/notifications")
def notifications_page():
    args = parse(ListQuery(), request.args)
    staff = current_staff()
    page = service.list_notifications(db.session, staff, kind=args.get("kind"),
                                      unread=True if args.get("unread") else None,
                                      page=args["page"], per_page=50)
    return render_template("console/notifications.html", page=page, args=args,
                           about=service.what_they_are_about(db.session, page.items),
                           sections=SECTIONS,
                           counts=service.unread_counts(db.session, staff)["by_kind"])


@bp.post("/notifications/read")
def notifications_read():
    args = parse(ReadForm(), request.form)
    staff = current_staff()
    if args.get("all"):
        service.mark_all_read(db.session, staff, args.get("kind"))
    else:
        service.mark_read_many(db.session, staff, args["ids"])
    return redirect(url_for("console.notifications_page", **(
        {"kind": args["kind"]} if args.get("kind") else {})))


@bp.post("/notifications/<uuid:notification_id>/decide")
def decide_proposal(notification_id):
    args = parse(DecisionForm(), request.form)
    proposals.decide(db.session, RegisterSettings.from_config(current_app.config),
                     current_staff(), notification_id, accept=args["decision"] == "accept",
                     reason=args.get("reason"))
    return redirect(url_for("console.notifications_page", kind="listing_proposed"))
