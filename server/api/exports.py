"""Files: the ledger (XLSX), one hazard's file (PDF), the weekly bulletins."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, current_app
from marshmallow import Schema, fields

from server.api.decorators import arguments, doc, response
from server.auth import current_user, login_required
from server.extensions import db, register_settings
from server.register import exports
from server.schemas.hazards import HazardQuerySchema

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
bp = Blueprint("exports", __name__)


def _file(content: bytes, name: str, mimetype: str) -> Response:
    resp = Response(content, mimetype=mimetype)
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


class LedgerQuerySchema(HazardQuerySchema):
    pass


class BulletinSchema(Schema):
    id = fields.UUID(dump_only=True)
    region_code = fields.String(dump_only=True)
    period_start = fields.Date(dump_only=True)
    period_end = fields.Date(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class BulletinListSchema(Schema):
    items = fields.List(fields.Nested(BulletinSchema), dump_only=True)


class BulletinQuerySchema(Schema):
    region = fields.String()


@bp.get("/exports/hazards.xlsx")
@doc(summary="The hazard ledger (隐患台账) as XLSX, with the list's filters", tags=["exports"])
@login_required
@arguments(LedgerQuerySchema(), location="query")
def ledger(args):
    for key in ("page", "per_page"):
        args.pop(key, None)
    content = exports.ledger_xlsx(db.session, current_user(), register_settings(), **args)
    return _file(content, "隐患台账.xlsx", XLSX)


@bp.get("/hazards/<uuid:hazard_id>/file.pdf")
@doc(summary="One hazard's file (一患一档) as PDF: facts, timeline, photos", tags=["exports"],
     errors=["not_found"])
@login_required
def hazard_file(hazard_id):
    reader = exports.blob_reader(current_app.config["BLOB_DIR"])
    content = exports.hazard_pdf(db.session, current_user(), register_settings(), hazard_id,
                                 reader)
    return _file(content, f"一患一档_{hazard_id}.pdf", "application/pdf")


@bp.get("/bulletins")
@doc(summary="Weekly bulletins (定期通报) of the counties in my area", tags=["exports"])
@login_required
@arguments(BulletinQuerySchema(), location="query")
@response(BulletinListSchema())
def bulletins(args):
    return {"items": exports.list_bulletins(db.session, current_user(), **args)}


@bp.get("/bulletins/<uuid:bulletin_id>.<any(xlsx, pdf):kind>")
@doc(summary="A stored bulletin as XLSX or PDF", tags=["exports"], errors=["not_found"])
@login_required
def bulletin_file(bulletin_id, kind):
    content, name = exports.bulletin_file(db.session, current_user(), bulletin_id, kind)
    return _file(content, name, XLSX if kind == "xlsx" else "application/pdf")
