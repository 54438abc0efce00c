"""Review queue (审核队列): new inspections in scope, one page each, approve/return/reject."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import current_app, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from werkzeug.datastructures import MultiDict

from server.console import service
from server.console.blueprint import bp
from server.console.forms import parse
from server.console.session import current_staff
from server.extensions import db
from server.inspections import service as inspections
from server.models.inspection import REVIEW_STATES
from server.models.site import SECTORS


class QueueQuery(Schema):
    township = fields.String(validate=validate.Length(max=20))
    sector = fields.String(validate=validate.OneOf(SECTORS))
    checklist = fields.String(validate=validate.Length(max=64))
    flag = fields.List(fields.String(validate=validate.OneOf(service.QUEUE_FLAGS)))
    awaiting = fields.Boolean()
    state = fields.String(load_default="submitted", validate=validate.OneOf(REVIEW_STATES))
    date_from = fields.Date()
    date_to = fields.Date()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=10, max=200))


class ReviewForm(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return",
                                                                     "reject")))
    comment = fields.String(validate=validate.Length(max=2000))
    # Where to go next: the queue's following inspection (kept in the same filter).
    next_id = fields.UUID()
    queue = fields.String(validate=validate.Length(max=2000))

    @validates_schema
    def _reason_required(self, data, **_kwargs):
        if data["decision"] in ("return", "reject") and not data.get("comment"):
            raise ValidationError("A reason is required. 请填写理由。", "comment")


QUEUE_QUERY = QueueQuery()
REVIEW_FORM = ReviewForm()


def _queue_args() -> dict:
    """The queue filter an inspection page was opened from (its ?q= carries it along)."""
    pairs = parse_qsl(request.args.get("q", ""), keep_blank_values=True)
    return parse(QUEUE_QUERY, MultiDict(pairs))


@bp.get("/review")
def review_queue():
    args = parse(QUEUE_QUERY, request.args)
    staff = current_staff()
    page = service.review_queue(db.session, staff, tz=current_app.config["TZ"], **args)
    return render_template("console/review_queue.html", page=page, args=args,
                           townships=service.townships(db.session, staff),
                           checklists=service.checklist_codes(), all_flags=service.QUEUE_FLAGS,
                           sectors=SECTORS, states=REVIEW_STATES,
                           query=request.query_string.decode())


@bp.get("/inspections/<uuid:inspection_id>")
def inspection(inspection_id):
    filters = _queue_args()
    view = service.inspection_view(db.session, current_staff(), inspection_id)
    prev_id, next_id = service.queue_neighbours(db.session, current_staff(),
                                                view.inspection, tz=current_app.config["TZ"],
                                                **filters)
    return render_template("console/inspection.html", v=view, prev_id=prev_id,
                           next_id=next_id, queue=request.args.get("q", ""))


@bp.post("/inspections/<uuid:inspection_id>/review")
def review(inspection_id):
    args = parse(REVIEW_FORM, request.form)
    inspections.review(db.session, current_staff(), inspection_id, args["decision"],
                       args.get("comment"))
    if args.get("next_id"):
        return redirect(url_for("console.inspection", inspection_id=args["next_id"],
                                q=args.get("queue", "")))
    return redirect(url_for("console.review_queue") + "?" + args.get("queue", ""))
