"""Sector checklists: the latest of each in the caller's area, and any version a submission
may name (the repository's, or one published for the caller's area)."""

from __future__ import annotations

from flask import Blueprint

import forms
from server.api.decorators import doc, response
from server.auth import login_required
from server.auth.guard import current_user
from server.checklists import catalogue
from server.errors import NotFound
from server.extensions import db
from server.schemas.checklists import ChecklistListSchema, ChecklistSchema

bp = Blueprint("checklists", __name__)


@bp.get("/checklists")
@doc(summary="The latest version of each sector checklist", tags=["checklists"])
@login_required
@response(ChecklistListSchema())
def list_checklists():
    region = current_user().region
    return {"checklists": [forms.summary(c) for c in catalogue.latest(db.session, region)]}


@bp.get("/checklists/<string:code>/<int:version>")
@doc(summary="One checklist version, as the field app renders and evaluates it",
     tags=["checklists"])
@login_required
@response(ChecklistSchema())
def get_checklist(code, version):
    try:
        checklist, scope = catalogue.lookup(code, version)
    except forms.UnknownChecklist:
        checklist = scope = None
    if checklist is None or not catalogue.visible(scope, current_user().region):
        raise NotFound(f"There is no checklist {code} version {version}.")
    return forms.served(checklist)
