"""Sync: push (idempotent mutations) and pull (the scoped change feed)."""

from __future__ import annotations

from flask import Blueprint, current_app

from server.api.decorators import arguments, doc, response
from server.auth import current_device, current_user, login_required
from server.extensions import db
from server.schemas.sync import (
    LostResponseSchema,
    LostSchema,
    PullQuerySchema,
    PullResponseSchema,
    PushResponseSchema,
    PushSchema,
)
from sync import pull as pull_engine
from sync import push as push_engine
from sync import recovery

bp = Blueprint("sync", __name__)


@bp.post("/sync/push")
@doc(summary="Push offline mutations (applied exactly once, in order)", tags=["sync"],
     errors=["client_id_mismatch", "mutation_gap", "payload_too_large", "retry_later",
             "validation_error"])
@login_required
@arguments(PushSchema())
@response(PushResponseSchema())
def push(body):
    settings = push_engine.Settings.from_config(current_app.config)
    return push_engine.push(db.session, current_user(), current_device().client_id, body,
                            settings)


@bp.get("/sync/pull")
@doc(summary="Pull the changes in my area since a cursor", tags=["sync"],
     errors=["cursor_reset", "validation_error"])
@login_required
@arguments(PullQuerySchema(), location="query")
@response(PullResponseSchema())
def pull(args):
    config = current_app.config
    limit = args["limit"] or config["PULL_DEFAULT_LIMIT"]
    return pull_engine.pull(db.session, current_user(), current_device().client_id,
                            args["cursor"], min(limit, config["PULL_MAX_LIMIT"]),
                            config["SECRET_KEY"])


@bp.post("/sync/lost")
@doc(summary="Report mutations lost by a server restore, so the device can carry on",
     tags=["sync"], errors=["client_id_mismatch", "mutation_gap", "loss_not_explained",
                            "validation_error"])
@login_required
@arguments(LostSchema())
@response(LostResponseSchema())
def lost(body):
    return recovery.report_lost(db.session, current_user(), current_device().client_id, body)
