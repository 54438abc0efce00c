"""Register statistics and the shallow-inspection signals (统计与预警)."""

from __future__ import annotations

from flask import Blueprint

from server.api.decorators import arguments, doc, response
from server.auth import current_user, login_required
from server.extensions import db, register_settings
from server.register import stats
from server.schemas.stats import SignalsQuerySchema, SignalsSchema, StatsQuerySchema, SummarySchema

bp = Blueprint("stats", __name__)


@bp.get("/stats/summary")
@doc(summary="Figures of a region and each of its children for a period (default: the "
             "last 30 days), with a breakdown by sector", tags=["stats"], errors=["not_found"])
@login_required
@arguments(StatsQuerySchema(), location="query")
@response(SummarySchema())
def summary(args):
    return stats.summary(db.session, current_user(), register_settings(), **args)


@bp.get("/stats/signals")
@doc(summary="Child regions that find many hazards but no major ones, and those whose "
             "finding rate in a sector is far below their peers'", tags=["stats"],
     errors=["not_found"])
@login_required
@arguments(SignalsQuerySchema(), location="query")
@response(SignalsSchema())
def signals(args):
    return stats.signals(db.session, current_user(), register_settings(), **args)
