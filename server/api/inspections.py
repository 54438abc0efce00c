"""Inspections: the review queue, one inspection, the review decision."""

from __future__ import annotations

from flask import Blueprint

from server.api.decorators import arguments, doc, response
from server.auth import current_user, login_required
from server.extensions import db
from server.inspections import service
from server.models.user import REVIEWER_ROLES
from server.schemas.inspections import (
    InspectionPageSchema,
    InspectionQuerySchema,
    InspectionSchema,
    ReviewSchema,
)

bp = Blueprint("inspections", __name__)


@bp.get("/inspections")
@doc(summary="Inspections in my area (the review queue: review_state=submitted)",
     tags=["inspections"])
@login_required
@arguments(InspectionQuerySchema(), location="query")
@response(InspectionPageSchema())
def list_inspections(args):
    return service.search_inspections(db.session, current_user(), **args)


@bp.get("/inspections/<uuid:inspection_id>")
@doc(summary="One inspection with its answers, flags and hazards", tags=["inspections"],
     errors=["not_found"])
@login_required
@response(InspectionSchema())
def get_inspection(inspection_id):
    return service.get_inspection(db.session, current_user(), inspection_id)


@bp.post("/inspections/<uuid:inspection_id>/review")
@doc(summary="Approve, return for correction, or reject an inspection", tags=["inspections"],
     errors=["forbidden", "not_found", "invalid_transition", "validation_error"])
@login_required(*REVIEWER_ROLES)
@arguments(ReviewSchema())
@response(InspectionSchema())
def review(args, inspection_id):
    return service.review(db.session, current_user(), inspection_id, args["decision"],
                          args["comment"])
