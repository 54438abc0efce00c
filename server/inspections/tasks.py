"""Which open tasks of a site an inspection does (pure): a follow-up visit (回头看) is done
by an inspection of kind `follow_up`; a campaign's site by an inspection of one of the
campaign's sectors' checklists, made in its window (issue 17, point 4)."""

from __future__ import annotations

from datetime import date


def completes(task: dict, *, kind: str, sector: str, day: date) -> bool:
    """Whether an inspection of `kind`, with a checklist of `sector`, finished on `day`
    (local), does `task` ({"kind", "data"})."""
    data = task.get("data") or {}
    if task["kind"] == "follow_up":
        return kind == "follow_up"
    if task["kind"] == "campaign":
        if kind == "verification":  # a re-check of one hazard is not the campaign's visit
            return False
        starts = data.get("starts_on")
        if starts and day < date.fromisoformat(starts):
            return False
        sectors = data.get("sectors") or []
        return not sectors or sector in sectors
    return False


def result(inspection_id, kind: str, hazards: int, actor, at) -> dict:
    """What the task records of the visit that did it."""
    return {"inspection_id": str(inspection_id), "kind": kind, "hazards": hazards,
            "outcome": "hazards_found" if hazards else "no_hazards",
            "by": getattr(actor, "name", None), "at": at.isoformat()}
