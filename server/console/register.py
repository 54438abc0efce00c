"""Hazard register (隐患台账): the filtered table, a hazard's page and the staff actions.

Every action is `register.actions.act` (the register's own permission checks, lifecycle
and audit entry); the page only collects the arguments and the version it showed.
"""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from server.console.blueprint import bp
from server.console.forms import parse
from server.console.session import current_staff
from server.extensions import db
from server.models.hazard import LISTING_LEVELS, SEVERITIES, SOURCES, STATUSES
from server.models.site import SECTORS
from server.register import actions, queries
from server.register.settings import RegisterSettings
from server.schemas.hazards import HazardQuerySchema
from server.suppliers.clues import clue_state

PER_PAGE = (25, 50, 100, 200)


class HazardQuery(HazardQuerySchema):
    """The API's register filters (one definition), with the console's page sizes."""

    per_page = fields.Integer(load_default=50, validate=validate.OneOf(PER_PAGE))


def _action_form(**extra) -> Schema:
    extra["version"] = fields.Integer(required=True)
    return Schema.from_dict(extra)()


_text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
ACTION_FORMS = {
    "plan": _action_form(
        measures=_text, deadline=fields.Date(required=True),
        responsible_name=fields.String(required=True, validate=validate.Length(min=1, max=100)),
        responsible_phone=fields.String(validate=validate.Length(max=32))),
    "set_severity": _action_form(severity=fields.String(
        required=True, validate=validate.OneOf(SEVERITIES)), reason=_text),
    "sign_off": _action_form(),
    "list": _action_form(level=fields.String(required=True,
                                             validate=validate.OneOf(LISTING_LEVELS))),
    "delist": _action_form(reason=_text),
    "stop_work": _action_form(order_no=fields.String(
        required=True, validate=validate.Length(min=1, max=64))),
    "lift_stop_work": _action_form(reason=_text),
    "comment": _action_form(text=_text),
    "confirm_supplier_clue": _action_form(reason=_text),
    "dismiss_supplier_clue": _action_form(reason=_text),
    "reopen": _action_form(reason=_text),
}
HAZARD_QUERY = HazardQuery()


@bp.get("/hazards")
def hazards():
    args = parse(HAZARD_QUERY, request.args)
    from server.console.service import COUNT_CAP, register_page, townships

    page = register_page(db.session, current_staff(), tz=current_app.config["TZ"], **args)
    return render_template("console/hazards.html", page=page, args=args, cap=COUNT_CAP,
                           regions=townships(db.session, current_staff()),
                           sectors=SECTORS, statuses=STATUSES, sources=SOURCES,
                           severities=SEVERITIES, per_pages=PER_PAGE)


@bp.get("/hazards/<uuid:hazard_id>")
def hazard(hazard_id):
    detail = queries.hazard_detail(db.session, current_staff(), hazard_id)
    if detail.id != hazard_id:  # a merged derived id: show the hazard under its own id
        return redirect(url_for("console.hazard", hazard_id=detail.id))
    from server.checklists.catalogue import statement
    from server.register.conflicts import resolved_conflicts

    elements = [statement(db.session, code) or code for code in detail.elements or []]
    return render_template("console/hazard.html", h=detail, levels=LISTING_LEVELS,
                           severities=SEVERITIES, resolved=resolved_conflicts(detail.events),
                           elements=elements, clue=clue_state(detail))


@bp.post("/hazards/<uuid:hazard_id>/actions/<any(" + ",".join(ACTION_FORMS) + "):action>")
def hazard_action(hazard_id, action):
    args = parse(ACTION_FORMS[action], request.form)
    version = args.pop("version")
    actions.act(db.session, RegisterSettings.from_config(current_app.config), current_staff(),
                hazard_id, action, args, expected_version=version)
    return redirect(url_for("console.hazard", hazard_id=hazard_id))


class ResolveForm(Schema):
    choice = fields.String(required=True, validate=validate.OneOf(("keep", "apply")))
    version = fields.Integer(required=True)


@bp.post("/hazards/<uuid:hazard_id>/conflicts/<int:seq>/resolve")
def resolve_conflict(hazard_id, seq):
    from server.register.conflicts import resolve_hazard_conflict

    args = parse(ResolveForm(), request.form)
    resolve_hazard_conflict(db.session, RegisterSettings.from_config(current_app.config),
                            current_staff(), hazard_id, seq, args["choice"], args["version"])
    return redirect(url_for("console.hazard", hazard_id=hazard_id))
