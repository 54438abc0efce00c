"""Sync: push (idempotent mutations) and pull (the scoped change feed)."""

from __future__ import annotations

from flask import Blueprint, current_app

from server.api.decorators import arguments, doc, response
from server.auth import current_device, current_user, login_required
from server.auth.guard import recheck_token
from server.database import begin_write, writes_after_parsing
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


# Where this server extends the contract's mutations (design/API-CONTRACT.md), without
# changing a name or a meaning there.
PUSH_DESCRIPTION = """\
Mutations and their `args` are those of design/API-CONTRACT.md, with these extensions:

- `inspection.submit` with `kind: "verification"` (复查) records the re-check of the
  hazards it names and need not walk the checklist: `verifications` must hold at least
  one entry (else the mutation is rejected with `validation_error`,
  `details.verifications`), and `answers` may hold any subset of the checklist's items,
  none at all included. Each answer given is checked as in any inspection (known item of
  that checklist version, a value of the item's kind, a photo on a failed item that needs
  one), and a failed answer derives a hazard by the checklist's rules. The other kinds
  answer every required item.
- A verification's outcome follows the hazard lifecycle: `rectified` needs at least one
  photo; a refused one (another site, out of scope, wrong state, no photo) does not
  reject the inspection: the result lists it under `verifications` with its error and
  the evidence stays on the hazard as a refused event.
- The `too_fast` flag measures the time against the answers given plus the hazards
  verified.
"""


@bp.post("/sync/push")
@doc(summary="Push offline mutations (applied exactly once, in order)", tags=["sync"],
     description=PUSH_DESCRIPTION,
     errors=["client_id_mismatch", "mutation_gap", "payload_too_large", "retry_later",
             "validation_error"])
@writes_after_parsing
@login_required
@arguments(PushSchema(), deferred=lambda path: path[::2] == ("mutations", "args"))
@response(PushResponseSchema())
def push(body):
    settings = push_engine.Settings.from_config(current_app.config)
    client_id = current_device().client_id
    push_engine.check_envelope(client_id, body, settings)
    # Token, body and mutation args are read and loaded without the write lock, and a
    # push of plain submissions is worked out there too (sync.push.Plan); the write
    # transaction then checks the token again, locks the device's counter and keeps the
    # plan only if what it was made of still holds.
    preloaded = push_engine.preload(db.session, client_id, body, actor=current_user(),
                                    settings=settings)
    begin_write(db.session)
    recheck_token()
    # The token (rechecked) still names the same device: its id need not be read again.
    return push_engine.push(db.session, current_user(), client_id, body, settings,
                            preloaded=preloaded)


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
