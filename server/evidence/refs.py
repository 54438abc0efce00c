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

from sqlalchemy import event
from sqlalchemy.orm import Session

from server.models.blob import BlobRef
from server.models.hazard import HazardEvent
from server.models.inspection import Inspection

_SHA256 = re.compile(r"[0-9a-f]{64}")


def record_refs(session, owner_type: str, owner_id, hashes: Iterable[str]) -> int:
    """Add a `BlobRef` for each valid hash not yet recorded for this owner; return how many.

    Anything that is not a blob name is skipped (the sync schemas already refuse such
    values; this keeps a stray one from becoming a reference to nothing).
    """
    added = 0
    # Pending rows are not in the identity map yet: two events of one hazard in one flush
    # may name the same photo.
    pending = {(ref.sha256, ref.owner_type, ref.owner_id) for ref in session.new
               if isinstance(ref, BlobRef)}
    with session.no_autoflush:
        for sha in sorted({h for h in hashes if isinstance(h, str) and _SHA256.fullmatch(h)}):
            key = (sha, owner_type, owner_id)
            if key not in pending and session.get(BlobRef, key) is None:
                pending.add(key)
                session.add(BlobRef(sha256=sha, owner_type=owner_type, owner_id=owner_id))
                added += 1
    return added


def _inspection_hashes(inspection: Inspection) -> set[str]:
    from server.inspections.service import referenced_media

    return referenced_media({"answers": inspection.answers,
                             "verifications": inspection.verifications,
                             "signatures": inspection.signatures})


@event.listens_for(Session, "before_flush")
def _record_new_references(session, _flush_context, _instances):
    for obj in list(session.new):
        if isinstance(obj, Inspection):
            record_refs(session, "inspection", obj.id, _inspection_hashes(obj))
        elif isinstance(obj, HazardEvent):
            record_refs(session, "hazard", obj.hazard_id, (obj.data or {}).get("photos") or [])
