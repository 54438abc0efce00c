"""Staff actions on a hazard (`POST /hazards/<id>/actions`, the console): permission
checked, audited, written through the register's unit of work.

Unlike field work, a refusal raises (403 forbidden, 409 invalid_transition or conflict)
and the request rolls back: there is no field evidence to keep, and the reviewer sees
the answer at once.
"""

from __future__ import annotations

from server import audit
from server.errors import Conflict, NotAllowed
from server.models import Hazard
from server.models.types import jsonable
from server.register import lifecycle as lc
from server.register.queries import get_hazard
from server.register.settings import RegisterSettings
from server.register.write import HazardRecord, RegisterWrite

LEVEL_RANK = {"county": 1, "city": 2, "province": 3}
ROLE_MAX_LISTING = {"county_reviewer": 1, "city_admin": 3}

ACTIONS = {
    "plan": lc.PLANNED,
    "set_severity": lc.SEVERITY_SET,
    "sign_off": lc.SIGNED_OFF,
    "list": lc.LISTED,
    "delist": lc.DELISTED,
    "stop_work": lc.STOP_WORK_ORDERED,
    "lift_stop_work": lc.STOP_WORK_LIFTED,
    "comment": lc.COMMENT,
    "confirm_supplier_clue": lc.SUPPLIER_CLUE_CONFIRMED,
    "dismiss_supplier_clue": lc.SUPPLIER_CLUE_DISMISSED,
}


def act(session, settings: RegisterSettings, actor, hazard_id, action: str, args: dict, *,
        expected_version: int | None = None) -> Hazard:
    """One staff action, written; returns the hazard as it now stands."""
    uow = RegisterWrite(session, settings)
    record = apply_action(uow, actor, hazard_id, action, args, expected_version=expected_version)
    uow.write()
    return get_hazard(session, actor, record.id)


def apply_action(uow: RegisterWrite, actor, hazard_id, action: str, args: dict, *,
                 expected_version: int | None = None) -> HazardRecord:
    """A staff action staged in `uow` (several may share one unit); refusals raise.

    `expected_version`: the version the reviewer saw; another one is a 409 conflict.
    """
    record = uow.hazard(actor, hazard_id)
    if expected_version is not None and expected_version != record.version:
        raise Conflict("The hazard changed since you loaded it; reload and try again. "
                       "隐患已被他人修改,请刷新。",
                       details={"version": record.version, "expected": expected_version})
    if action == "list":
        allowed = ROLE_MAX_LISTING.get(actor.role, 0)
        if LEVEL_RANK[args["level"]] > allowed:
            raise NotAllowed(f"A {actor.role} cannot list at {args['level']} level. "
                             "无权在该级别挂牌督办。", details={"level": args["level"]})
    data = {"fields": args} if action == "plan" else dict(args)
    outcome = uow.append(record, ACTIONS[action], actor, data)
    if outcome.error is not None:
        raise outcome.error
    audit.record(uow.session, f"hazard.{action}", actor=actor, target_type="hazard",
                 target_id=record.id, details=jsonable(dict(args, version=record.version)))
    return record
