"""Inspections: the review queue, one inspection, the review decision."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from server.api.decorators import arguments, doc, response
from server.auth import current_user, login_required
from server.extensions import db, register_settings
from server.inspections import service
from server.models.user import REVIEWER_ROLES
from server.notices import document
from server.register.exports import blob_reader
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


@bp.get("/inspections/<uuid:inspection_id>/notice.pdf")
@doc(summary="The inspection's document as A4 PDF: the rectification notice (隐患整改通知书) "
             "when it found hazards, the re-check opinion (整改复查意见书) when it verified "
             "them (contract 1.1)", tags=["inspections"], errors=["not_found"])
@login_required
def notice_pdf(inspection_id):
    reader = blob_reader(current_app.config["BLOB_DIR"])
    content = document.notice_pdf(db.session, current_user(), register_settings(),
                                  inspection_id, reader)
    resp = Response(content, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="notice-{inspection_id}.pdf"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
