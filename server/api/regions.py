"""The regions of my area, by name: the phone shows village names, never codes."""

from __future__ import annotations

from flask import Blueprint
from marshmallow import Schema, fields

from server.api.decorators import doc, response
from server.auth import current_user, login_required
from server.extensions import db
from server.regions import subtree


class AreaRegionSchema(Schema):
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    level = fields.String(dump_only=True)
    parent_code = fields.String(dump_only=True, allow_none=True)


class AreaRegionListSchema(Schema):
    regions = fields.List(fields.Nested(AreaRegionSchema), dump_only=True)


bp = Blueprint("regions", __name__)


@bp.get("/regions")
@doc(summary="My region and the regions under it (code, name, level, parent)",
     tags=["regions"])
@login_required
@response(AreaRegionListSchema())
def list_regions():
    return {"regions": subtree(db.session, current_user())}
