"""Sync: push (idempotent mutations) and pull (the scoped change feed)."""

from __future__ import annotations

import functools

from flask import Blueprint, current_app

from server.api.decorators import arguments, doc, response
from server.auth import current_device, current_user, login_required
from server.auth.guard import recheck_token
from server.database import begin_write, one_writer_at_a_time, reads_first
from server.extensions import db, register_settings
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
- `notification.read` `{ids: [uuid, …]}` (1–200): the phone marks the caller's reminders
  read offline. An id that is not one of the caller's reminders rejects the mutation
  with `not_found` and marks nothing. Reminders come in the pull as `type:
  "notification"` (to their recipient only), `read_at` set once read.
"""


@bp.post("/sync/push")
@doc(summary="Push offline mutations (applied exactly once, in order)", tags=["sync"],
     description=PUSH_DESCRIPTION,
     errors=["client_id_mismatch", "mutation_gap", "payload_too_large", "retry_later",
             "validation_error"])
@response(PushResponseSchema())
@arguments(PushSchema(), deferred=lambda path: path[::2] == ("mutations", "args"),
           defer_errors=True)
@login_required(lock_device=lambda body: body is not None and not _plans(body))
@reads_first
def push(body):
    # The body is parsed before any database work (a body refused by its schema arrives
    # as None and its error is raised once the caller is known). The token check reads the device's
    # counter and locks it (a row lock, or SQLite's write lock) in the same query; only
    # where a larger push is planned (SQLite) is it a read: the push is worked out on it,
    # and `_relock` begins the write transaction and reads the caller again there.
    settings = push_engine.Settings.from_config(current_app.config)
    plans = _plans(body)
    caller = push_engine.Caller(current_user(), current_device(),
                                functools.partial(_relock, new_transaction=plans),
                                plans_ahead=plans)
    return push_engine.push(db.session, caller, body, settings)


def _plans(body) -> bool:
    """Whether this push is worked out before its write transaction: where writers go one
    at a time (SQLite), when it carries enough mutations for the lock time it saves to
    pay for reading twice. Then the token check is a read; else it locks the counter."""
    return (len(body["mutations"]) >= current_app.config["PUSH_PLAN_MIN_MUTATIONS"]
            and one_writer_at_a_time(db.session.get_bind()))


def _relock(*, new_transaction: bool):
    """The write transaction: a new one after a plan (the caller read again there), or
    the token check's own, whose row lock on the device it holds."""
    if begin_write(db.session, new_transaction=new_transaction):
        recheck_token(lock_device=True)
    return current_user(), current_device()


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
                            config["SECRET_KEY"], today=register_settings().today())


@bp.post("/sync/lost")
@doc(summary="Report mutations lost by a server restore, so the device can carry on",
     tags=["sync"], errors=["client_id_mismatch", "mutation_gap", "loss_not_explained",
                            "validation_error"])
@login_required
@arguments(LostSchema())
@response(LostResponseSchema())
def lost(body):
    return recovery.report_lost(db.session, current_user(), current_device().client_id, body)
