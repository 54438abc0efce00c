"""The hazard row as a projection of its events (pure).

`step(state, event)` applies one event to a state dict and says whether the lifecycle
allowed it; `project(events)` folds a hazard's whole history. The services write the
hazard row through `step`, and the replay test rebuilds every row with `project`, so the
row can never say something its events don't.

An event is a mapping with `type`, `at` (aware datetime), `actor_id`, `actor_role`,
`inspection_id`, `data` (JSON facts) and `refused`.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from server.register import lifecycle as lc

STATE_FIELDS = (
    "id", "site_id", "region_code", "sector", "item", "description", "severity", "grade",
    "source", "standard", "status", "overdue", "deadline", "measures", "responsible_name",
    "responsible_phone", "listing_level", "listed_at", "stop_work", "stop_work_order_no",
    "supplier", "supplier_id", "supplier_major", "supplier_confirmed", "elements", "before_photos",
    "after_photos", "inspection_id", "notice_no", "found_by", "found_at", "closed_at", "version",
)
PLAN_FIELDS = ("deadline", "measures", "responsible_name", "responsible_phone")


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _uuid(value) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


def _merge_photos(existing: list, new) -> list:
    out = list(existing or [])
    for sha in new or []:
        if sha not in out:
            out.append(sha)
    return out


def decision_for(state: dict | None, event: dict) -> lc.Decision:
    """Ask the lifecycle about `event` in `state`, with the facts it needs."""
    data = event.get("data") or {}
    status = state["status"] if state else None
    plan_complete = False
    if event["type"] == lc.PLANNED and state:
        merged = {f: state.get(f) for f in PLAN_FIELDS}
        merged.update(data.get("fields") or {})
        plan_complete = bool(merged.get("deadline")) and bool(merged.get("measures"))
    return lc.decide(
        status, event["type"], event.get("actor_role"),
        severity=state["severity"] if state else data.get("severity", "general"),
        photos=len(data.get("photos") or []),
        plan_complete=plan_complete,
        listed=bool(state and state.get("listing_level")),
        stop_work=bool(state and state.get("stop_work")),
        clue_pending=bool(state and state.get("supplier_major")
                          and state.get("supplier_confirmed") is None),
        back_to=data.get("status_before"),
    )


def step(state: dict | None, event: dict) -> tuple[dict | None, lc.Decision]:
    """Apply one event. Returns (new state, decision); a refusal leaves the state as is."""
    decision = decision_for(state, event)
    if not decision.ok:
        return state, decision
    new = _apply(dict(state) if state else {}, event, decision.state)
    if state is not None and any(new[f] != state[f] for f in STATE_FIELDS if f != "version"):
        new["version"] = state["version"] + 1
    return new, decision


def _apply(s: dict, event: dict, status: str) -> dict:
    kind, at, data = event["type"], event["at"], event.get("data") or {}
    if kind == lc.FOUND:
        s.update({f: None for f in STATE_FIELDS})
        s.update(
            id=_uuid(data.get("id")), site_id=_uuid(data["site_id"]), region_code=data["region_code"],
            sector=data["sector"], item=data.get("item"),
            description=data.get("description") or "", severity=data["severity"],
            grade=data.get("grade"), source=data["source"], standard=data.get("standard"),
            overdue=False, deadline=_date(data.get("deadline")), stop_work=False,
            supplier=data.get("supplier"), supplier_major=bool(data.get("supplier_major")),
            supplier_id=_uuid(data.get("supplier_id")), elements=list(data.get("elements") or []),
            before_photos=_merge_photos([], data.get("photos")), after_photos=[],
            inspection_id=event.get("inspection_id"), notice_no=data.get("notice_no"),
            found_by=event.get("actor_id"),
            found_at=at, version=1)
    elif kind == lc.REFOUND:
        s["before_photos"] = _merge_photos(s["before_photos"], data.get("photos"))
    elif kind == lc.PLANNED:
        fields = data.get("fields") or {}
        for f in PLAN_FIELDS:
            if f in fields:
                s[f] = _date(fields[f]) if f == "deadline" else fields[f]
        if "deadline" in fields:
            # A new deadline ends the overdue flag; the nightly job raises it again if
            # the new date has passed too.
            s["overdue"] = False
    elif kind == lc.VERIFIED_RECTIFIED:
        s["after_photos"] = _merge_photos(s["after_photos"], data.get("photos"))
    elif kind == lc.SEVERITY_SET:
        s["severity"] = data["severity"]
        if "grade" in data:
            s["grade"] = data["grade"]
    elif kind == lc.LISTED:
        s["listing_level"], s["listed_at"] = data["level"], at
    elif kind == lc.DELISTED:
        s["listing_level"], s["listed_at"] = None, None
    elif kind == lc.STOP_WORK_ORDERED:
        s["stop_work"], s["stop_work_order_no"] = True, data.get("order_no")
    elif kind == lc.STOP_WORK_LIFTED:
        s["stop_work"], s["stop_work_order_no"] = False, None
    elif kind == lc.OVERDUE_FLAGGED:
        s["overdue"] = True
    elif kind == lc.SUPPLIER_CLUE_CONFIRMED:
        s["supplier_confirmed"] = True
    elif kind == lc.SUPPLIER_CLUE_DISMISSED:
        s["supplier_confirmed"] = False
    elif kind in (lc.REOPENED, lc.VERIFICATION_VOIDED):
        s["closed_at"] = None
    if status == lc.CLOSED and s.get("status") != lc.CLOSED:
        s["closed_at"], s["overdue"] = at, False
    s["status"] = status
    return s


def project(events) -> dict | None:
    """The hazard state after `events` (in server order); refused events change nothing."""
    state: dict | None = None
    for event in events:
        if event.get("refused"):
            continue
        state, _ = step(state, event)
    return state


def status_before(events, inspection_id) -> str | None:
    """The status a hazard had just before the last accepted `verified_rectified` event
    of `inspection_id` in `events` (server order); None when that inspection did not
    close it (or send it to sign-off), or a later verification or reopening overtook it."""
    state: dict | None = None
    before = None
    for event in events:
        if event.get("refused"):
            continue
        kind = event["type"]
        if kind == lc.VERIFIED_RECTIFIED:
            before = state["status"] if str(event.get("inspection_id")) == str(inspection_id) \
                else None
        elif kind in (lc.REOPENED, lc.VERIFICATION_VOIDED, lc.VERIFIED_NOT_RECTIFIED):
            before = None
        state, _ = step(state, event)
    if state is None or state["status"] not in (lc.CLOSED, lc.PENDING_CLOSURE):
        return None
    return before


def event_dict(row: Any) -> dict:
    """A HazardEvent row as the mapping `step` and `project` read."""
    return {"type": row.type, "at": row.at, "actor_id": row.actor_id,
            "actor_role": row.actor_role, "inspection_id": row.inspection_id,
            "data": row.data or {}, "refused": row.refused}


def state_of(hazard: Any) -> dict:
    """The current state dict of a Hazard row."""
    return {f: getattr(hazard, f) for f in STATE_FIELDS}
