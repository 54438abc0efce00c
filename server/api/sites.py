"""Sites: search, one site, lookup by the code on its QR tag."""

from __future__ import annotations

from flask import Blueprint

from server.api.decorators import arguments, doc, response
from server.auth import current_user, login_required
from server.extensions import db
from server.schemas.sites import SitePageSchema, SiteQuerySchema, SiteSchema
from server.sites import service

bp = Blueprint("sites", __name__)


@bp.get("/sites")
@doc(summary="Search sites in my area", tags=["sites"])
@login_required
@arguments(SiteQuerySchema(), location="query")
@response(SitePageSchema())
def list_sites(args):
    return service.search_sites(db.session, current_user(), **args)


@bp.get("/sites/<uuid:site_id>")
@doc(summary="One site", tags=["sites"])
@login_required
@response(SiteSchema())
def get_site(site_id):
    return service.get_site(db.session, current_user(), site_id)


@bp.get("/sites/by-code/<string:code>")
@doc(summary="The site with this tag code", tags=["sites"])
@login_required
@response(SiteSchema())
def by_code(code):
    return service.find_by_code(db.session, current_user(), code)
