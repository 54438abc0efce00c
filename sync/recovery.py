"""After a restore: what a phone may forget, and how it gets unstuck when it forgot too much.

A restore brings the database back to a backup. Mutations a phone pushed after that
backup are gone from the server, whose `last_mutation_id` for the device is now below what
the phone saw acknowledged; the phone's next push answers 409 `mutation_gap`. Two things
get it going again, both extensions of the sync protocol (see static/pwa/README.md):

- Push and pull answers carry the sync `epoch` (0 until the first restore, new with every
  restore) and `safe_mutation_id`, this device's counter as the latest backup holds it.
  The phone keeps acknowledged mutations until they are safe (or for a bounded time) and,
  on a gap, sends them again with the same ids: the restored server has never seen them,
  so they apply once.
- What the phone no longer has, it reports (`POST /sync/lost`). The server records the
  lost range as an audit event (`mutations_lost`) and moves the counter past it, so a
  device is never blocked for good. Only a range that a restore can explain is accepted:
  it starts at the expected id, and the phone saw it acknowledged in another epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from server import audit
from server import restore_epoch as epochs
from server.errors import Conflict, NotAllowed
from server.models import Device, User

LOST_ACTION = "mutations_lost"


def stamp(session, device: Device) -> dict:
    """The fields push and pull answers carry for the recovery path."""
    return {"epoch": epochs.current_epoch(session),
            "safe_mutation_id": device.backed_up_mutation_id or 0}


def stamp_for(session, client_id) -> dict:
    device = session.get(Device, client_id)
    if device is None:  # a token always has its device; keep the answer well-formed anyway
        return {"epoch": epochs.current_epoch(session), "safe_mutation_id": 0}
    return stamp(session, device)


@dataclass
class LossOutcome:
    last_mutation_id: int
    epoch: int
    safe_mutation_id: int
    lost: dict


def report_lost(session, actor: User, client_id, body: dict) -> LossOutcome:
    """Record mutations `from`..`to` as lost by a restore and move the counter past them."""
    if body["client_id"] != client_id:
        raise NotAllowed("This client_id does not belong to your login.",
                         code="client_id_mismatch", details={"client_id": str(body["client_id"])})
    stmt = select(Device).where(Device.client_id == client_id).with_for_update()
    device = session.execute(stmt.execution_options(populate_existing=True)).scalar_one()
    if device.user_id != actor.id:
        raise NotAllowed(code="client_id_mismatch", details={"client_id": str(client_id)})
    first, last = body["from"], body["to"]
    expected = device.last_mutation_id + 1
    if first != expected:
        # Below: the server holds some of them (send them, they are duplicates). Above:
        # an earlier gap comes first. Either way the answer is the push's.
        raise Conflict("The lost range must start at the expected id.", code="mutation_gap",
                       details={"expected": expected})
    current = epochs.current_epoch(session)
    seen_in = body.get("epoch")
    if current == 0 or seen_in == current:
        # No restore since the phone saw these acknowledged: the server cannot have lost
        # them, so the phone is wrong about what it sent. Skipping would hide that.
        raise Conflict("No restore explains this loss; the server never received these "
                       "mutations.", code="loss_not_explained",
                       details={"epoch": current, "expected": expected})
    device.last_mutation_id = last
    lost = {"from": first, "to": last}
    audit.record(session, LOST_ACTION, actor=actor, target_type="device", target_id=client_id,
                 details={"client_id": str(client_id), **lost, "count": last - first + 1,
                          "acknowledged_epoch": seen_in, "epoch": current})
    session.flush()
    return LossOutcome(last_mutation_id=last, epoch=current,
                       safe_mutation_id=device.backed_up_mutation_id or 0, lost=lost)
