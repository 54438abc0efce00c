"""Site tags: a site's QR image and printable A4 label sheets (API contract, Labels)."""

from __future__ import annotations

from flask import Blueprint, Response

from server.api.decorators import arguments, doc
from server.auth import current_user, login_required
from server.evidence import keys, tags
from server.extensions import db
from server.schemas.blobs import LabelQuerySchema

bp = Blueprint("labels", __name__)


@bp.get("/sites/<uuid:site_id>/qr.png")
@doc(summary="The site's QR tag (PNG)", tags=["labels"], errors=["not_found"])
@login_required
def site_qr(site_id):
    png = tags.site_qr_png(db.session, current_user(), site_id,
                           keys.tag_settings())
    return Response(png, mimetype="image/png", headers={
        "Cache-Control": "private, no-cache", "X-Content-Type-Options": "nosniff"})


@bp.get("/labels.pdf")
@doc(summary="A4 label sheets for a region's sites or listed sites (PDF)", tags=["labels"],
     errors=["not_found", "validation_error", "no_sites", "too_many_labels"])
@login_required
@arguments(LabelQuerySchema(), location="query")
def label_sheet(args):
    pdf = tags.label_sheet(db.session, current_user(),
                           keys.tag_settings(), **args)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": 'inline; filename="labels.pdf"',
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})
