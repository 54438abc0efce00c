"""Sector checklists: the latest of each, and any version a submission may name."""

from __future__ import annotations

from flask import Blueprint

import forms
from server.api.decorators import doc, response
from server.auth import login_required
from server.errors import NotFound
from server.schemas.checklists import ChecklistListSchema, ChecklistSchema

bp = Blueprint("checklists", __name__)


@bp.get("/checklists")
@doc(summary="The latest version of each sector checklist", tags=["checklists"])
@login_required
@response(ChecklistListSchema())
def list_checklists():
    return {"checklists": [forms.summary(checklist) for checklist in forms.latest()]}


@bp.get("/checklists/<string:code>/<int:version>")
@doc(summary="One checklist version, as the field app renders and evaluates it",
     tags=["checklists"])
@login_required
@response(ChecklistSchema())
def get_checklist(code, version):
    try:
        return forms.served(forms.get(code, version))
    except forms.UnknownChecklist:
        raise NotFound(f"There is no checklist {code} version {version}.") from None
