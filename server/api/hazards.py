"""The hazard register (隐患台账): list, one hazard with its timeline, staff actions."""

from __future__ import annotations

from flask import Blueprint, current_app

from server.api.decorators import arguments, doc, response
from server.auth import current_user, login_required
from server.extensions import db
from server.register import actions, queries
from server.register.settings import RegisterSettings
from server.schemas.hazards import (
    HazardActionSchema,
    HazardDetailSchema,
    HazardPageSchema,
    HazardQuerySchema,
    HazardSchema,
)

bp = Blueprint("hazards", __name__)


@bp.get("/hazards")
@doc(summary="Hazards in my area, filtered, sorted and paginated", tags=["hazards"])
@login_required
@arguments(HazardQuerySchema(), location="query")
@response(HazardPageSchema())
def list_hazards(args):
    return queries.search_hazards(db.session, current_user(), tz=current_app.config["TZ"],
                                  **args)


@bp.get("/hazards/<uuid:hazard_id>")
@doc(summary="One hazard with its findings and events (a merged id answers its target)",
     tags=["hazards"], errors=["not_found"])
@login_required
@response(HazardDetailSchema())
def get_hazard(hazard_id):
    return queries.hazard_detail(db.session, current_user(), hazard_id)


@bp.post("/hazards/<uuid:hazard_id>/actions")
@doc(summary="A staff action: plan, set_severity, sign_off, list, delist, stop_work, "
             "lift_stop_work, comment, reopen (contract 1.1)", tags=["hazards"],
     errors=["invalid_transition", "conflict", "forbidden", "not_found", "validation_error"])
@login_required
@arguments(HazardActionSchema())
@response(HazardSchema())
def act(args, hazard_id):
    action, version = args.pop("action"), args.pop("version", None)
    return actions.act(db.session, RegisterSettings.from_config(current_app.config),
                       current_user(), hazard_id, action, args, expected_version=version)
