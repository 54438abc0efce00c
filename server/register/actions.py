"""Staff actions on a hazard (`POST /hazards/<id>/actions`, the console): permission
checked, audited, written through the register's unit of work.

Unlike field work, a refusal raises (403 forbidden, 409 invalid_transition or conflict)
and the request rolls back: there is no field evidence to keep, and the reviewer sees
the answer at once.
"""

from __future__ import annotations

from server import audit
from server.errors import Conflict, Invalid, NotAllowed
from server.models import Hazard
from server.models.types import jsonable
from server.register import lifecycle as lc
from server.register.projection import status_before
from server.register.queries import get_hazard
from server.register.settings import RegisterSettings
from server.register.write import HazardRecord, RegisterWrite

LEVEL_RANK = {"county": 1, "city": 2, "province": 3}
ROLE_MAX_LISTING = {"county_reviewer": 1, "city_admin": 3}
# Signing off a listed hazard needs the listing's level (contract 1.1). The city admin is
# the highest role the system has: it signs off a provincial listing too.
ROLE_SIGN_OFF_LEVEL = {"county_reviewer": 1, "city_admin": 3}

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
    "reopen": lc.REOPENED,
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
    if action == "sign_off" and record.listing_level and (
            LEVEL_RANK[record.listing_level] > ROLE_SIGN_OFF_LEVEL.get(actor.role, 0)):
        raise NotAllowed(f"A hazard listed at {record.listing_level} level is signed off "
                         "at that level. 挂牌督办的隐患须由挂牌级别的审核人员审核销号。",
                         details={"level": record.listing_level})
    if action == "plan" and args.get("deadline") is not None \
            and args["deadline"] < uow.settings.today():
        raise Invalid("The deadline has already passed. 整改期限不能早于今天。",
                      details={"deadline": ["The deadline is before today."]})
    data = {"fields": args} if action == "plan" else dict(args)
    outcome = uow.append(record, ACTIONS[action], actor, data)
    if outcome.error is not None:
        raise outcome.error
    audit.record(uow.session, f"hazard.{action}", actor=actor, target_type="hazard",
                 target_id=record.id, details=jsonable(dict(args, version=record.version)))
    return record


def void_verifications(uow: RegisterWrite, actor, inspection_id) -> list[HazardRecord]:
    """A rejected inspection closed nothing: each hazard its verification closed (or sent
    to sign-off) goes back to the status it had before (event `verification_voided`).
    A hazard reopened or verified again since is left as it stands."""
    voided = []
    for hazard_id in uow.closed_by(inspection_id):
        record = uow.hazard(actor, hazard_id)
        back_to = status_before(uow.history(record), inspection_id)
        if back_to is None:
            continue
        outcome = uow.append(record, lc.VERIFICATION_VOIDED, actor,
                             {"status_before": back_to, "inspection": str(inspection_id)},
                             inspection_id=inspection_id)
        if outcome.error is not None:
            raise outcome.error
        voided.append(record)
    return voided
