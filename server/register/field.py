"""The register's entry points for field work (the sync mutations), on a unit of work.

A transition the lifecycle refuses does not raise here: its evidence is kept as a refused
event and `Outcome.error` says why (the engine reports the mutation `rejected` and keeps
what was written). Only what makes the request meaningless raises: a hazard or site out
of sight (NotFound), an id already in use (Conflict), bad input (Invalid).
"""

from __future__ import annotations

from datetime import datetime

from server.errors import Invalid
from server.models.hazard import EDITABLE_FIELDS
from server.register import lifecycle as lc
from server.register.write import HazardRecord, Outcome, RegisterWrite


def report_hazard(uow: RegisterWrite, actor, args: dict, *,
                  device_at: datetime | None = None) -> tuple[HazardRecord, bool]:
    """`hazard.report`: {id, site_id, sector, description, severity, source, item?, photos}.

    With an item that the site already has an open hazard for, the report becomes a
    finding of that hazard: (that hazard, merged=True)."""
    site = uow.site(actor, args["site_id"])
    return uow.found(actor, site, dict(args), device_at=device_at)


def changed_since(uow: RegisterWrite, record: HazardRecord, base_version: int) -> set[str]:
    """Which editable fields accepted plans changed after `base_version` (field merge)."""
    if base_version > record.version:
        raise Invalid(details={"base_version": [
            f"The hazard is only at version {record.version}."]})
    changed: set[str] = set()
    for event in uow.events_since(record, base_version):
        if event["type"] == lc.PLANNED:
            changed.update(set(event["data"].get("fields") or {}) & set(EDITABLE_FIELDS))
    return changed


def update_hazard(uow: RegisterWrite, actor, record: HazardRecord, apply: dict,
                  conflicts: list[dict], *, device_at: datetime | None = None) -> Outcome:
    """`hazard.update` after the field merge: each conflict (field, server value, device
    value, kept) becomes a "conflict" event for reviewers, then `apply` is planned."""
    outcome = Outcome(record, None)
    for conflict in conflicts or []:
        outcome = uow.append(record, lc.CONFLICT, actor, dict(conflict), device_at=device_at)
    fields = {k: v for k, v in (apply or {}).items() if k in EDITABLE_FIELDS}
    if fields:
        outcome = uow.append(record, lc.PLANNED, actor, {"fields": fields}, device_at=device_at)
    return outcome


def report_rectification(uow: RegisterWrite, actor, hazard_id, note: str | None,
                         photos: list, *, device_at: datetime | None = None) -> Outcome:
    """`hazard.rectification_reported`: the site says it is fixed; wait for verification."""
    record = uow.hazard(actor, hazard_id)
    return uow.append(record, lc.FIX_REPORTED, actor, {"note": note, "photos": photos or []},
                      device_at=device_at)


def comment(uow: RegisterWrite, actor, hazard_id, text: str, photos: list | None = None, *,
            device_at: datetime | None = None) -> Outcome:
    """`hazard.comment`: a note (and photos) on the hazard's timeline."""
    record = uow.hazard(actor, hazard_id)
    return uow.append(record, lc.COMMENT, actor, {"text": text, "photos": photos or []},
                      device_at=device_at)


def verify(uow: RegisterWrite, actor, record: HazardRecord, result: str, note: str | None,
           photos: list, *, inspection_id=None, device_at: datetime | None = None) -> Outcome:
    """An on-site verification (复查): rectified closes (or awaits sign-off), else back."""
    kind = lc.VERIFIED_RECTIFIED if result == "rectified" else lc.VERIFIED_NOT_RECTIFIED
    return uow.append(record, kind, actor, {"note": note, "photos": photos or []},
                      inspection_id=inspection_id, device_at=device_at)
