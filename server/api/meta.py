"""The API's own description and a health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from server.api.decorators import doc
from server.extensions import db
from server.models.types import utcnow

bp = Blueprint("meta", __name__)


@bp.get("/openapi.json")
@doc(summary="This API as OpenAPI 3", tags=["meta"])
def openapi():
    from server.api.openapi import build_spec

    cache = current_app.extensions.setdefault("xuncha", {})
    if "openapi" not in cache:
        cache["openapi"] = build_spec(current_app)
    return jsonify(cache["openapi"])


@bp.get("/health")
@doc(summary="Liveness and database reachability", tags=["meta"])
def health():
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok", "server_time": utcnow().isoformat()})
