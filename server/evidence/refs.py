"""Which inspection or hazard refers to which blob (`BlobRef`), kept in one place.

Photo scope (API contract, Blobs) is "the user's scope holds something that references
the blob". Answering that by searching every inspection's JSON for a hash would be a scan
of the register per photo view; instead a `BlobRef` row per (blob, owner) is written in
the same flush as the row that refers to it, and the check is one indexed lookup joined
to the owner's region.

The rows are written by one session listener rather than by calls in the register's
code: inspections are inserted only by `submit_inspection` and hazard facts only as
`HazardEvent`s (append-only, photos in `data["photos"]`), so watching those two inserts
covers every reference, including the photos of refused events (evidence is never lost),
without the register having to remember to call us. The owner of an event's photos is
its hazard, whose region is the one scope is decided by.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from server.models.blob import BlobRef
from server.models.hazard import Hazard, HazardEvent
from server.models.inspection import Inspection

_SHA256 = re.compile(r"[0-9a-f]{64}")


def record_refs(session, owner_type: str, owner_id, hashes: Iterable[str]) -> int:
    """Add a `BlobRef` for each valid hash not yet recorded for this owner; return how many.

    Anything that is not a blob name is skipped (the sync schemas already refuse such
    values; this keeps a stray one from becoming a reference to nothing).
    """
    return _record_all(session, [(owner_type, owner_id, hashes)])


def _wanted(owners: list[tuple[str, object, Iterable[str]]]) -> list[tuple[str, str, object]]:
    """(sha256, owner type, owner id) for each valid hash of each owner, once per owner."""
    wanted = []
    for owner_type, owner_id, hashes in owners:
        for sha in sorted({h for h in hashes if isinstance(h, str) and _SHA256.fullmatch(h)}):
            wanted.append((sha, owner_type, owner_id))
    return wanted


def _record_all(session, owners: list[tuple[str, object, Iterable[str]]],
                new_owners: frozenset = frozenset()) -> int:
    """`record_refs` for many owners with one lookup of the refs already stored (a push
    flushes an inspection and its hazards' events together: one query, not one per photo).
    Owners in `new_owners` are being inserted by this flush: they have no refs to look up."""
    wanted = _wanted(owners)
    if not wanted:
        return 0
    # Pending rows are not in the database yet: two events of one hazard in one flush
    # may name the same photo.
    seen = {(ref.sha256, ref.owner_type, ref.owner_id) for ref in session.new
            if isinstance(ref, BlobRef)}
    lookup = [key for key in wanted if key[2] not in new_owners]
    if lookup:
        with session.no_autoflush:
            stored = session.execute(
                select(BlobRef.sha256, BlobRef.owner_type, BlobRef.owner_id)
                .where(BlobRef.owner_id.in_({key[2] for key in lookup}),
                       BlobRef.sha256.in_({key[0] for key in lookup})))
            seen.update((sha, owner_type, owner_id) for sha, owner_type, owner_id in stored)
    rows = _new_rows(wanted, seen)
    if rows:
        # Plain rows in one executemany, through the flushing transaction (savepoints
        # included): no ORM object per photo reference, nothing reads them back here.
        session.connection().execute(insert(BlobRef.__table__), rows)
    return len(rows)


def _new_rows(wanted, seen: set) -> list[dict]:
    rows = []
    for key in wanted:
        if key not in seen:
            seen.add(key)
            rows.append({"sha256": key[0], "owner_type": key[1], "owner_id": key[2]})
    return rows


def rows_for_inserted(inspections: list[dict], events: list[dict]) -> list[dict]:
    """The `BlobRef` rows of inspection and hazard-event rows that the caller inserts
    itself as plain column dicts (a push's batch): what this listener writes when they
    are flushed as objects. Their owners are all new, so there is nothing to look up."""
    owners = [_inspection_owner(row["id"], row) for row in inspections]
    owners += [_event_owner(row["hazard_id"], row["data"]) for row in events]
    return _new_rows(_wanted(owners), set())


def _inspection_owner(inspection_id, values) -> tuple[str, object, set[str]]:
    """`values`: the inspection's answers, verifications and signatures, by key."""
    from server.inspections.service import referenced_media

    return ("inspection", inspection_id, referenced_media(
        {"answers": values["answers"], "verifications": values["verifications"],
         "signatures": values["signatures"]}))


def _event_owner(hazard_id, data) -> tuple[str, object, list]:
    # An event's photos belong to its hazard, whose region decides their scope.
    return ("hazard", hazard_id, (data or {}).get("photos") or [])


@event.listens_for(Session, "before_flush")
def _record_new_references(session, _flush_context, _instances):
    owners, new_owners = [], set()
    for obj in list(session.new):
        if isinstance(obj, Inspection):
            owners.append(_inspection_owner(obj.id, {
                "answers": obj.answers, "verifications": obj.verifications,
                "signatures": obj.signatures}))
            new_owners.add(obj.id)
        elif isinstance(obj, HazardEvent):
            owners.append(_event_owner(obj.hazard_id, obj.data))
        elif isinstance(obj, Hazard):
            new_owners.add(obj.id)
    if owners:
        _record_all(session, owners, frozenset(new_owners))
