"""Content seals: inspections and hazard events anchored in the audit chain.

The audit chain covers security actions, not the register: an edited inspection (its
answers, photos, signatures) or a deleted hazard event left no trace. `seal` hashes the
facts of every inspection and hazard event not sealed yet (only what never changes: an
inspection's review state, flags and hazard links move on, its answers do not; an event
never changes), stores each hash (`ContentSeal`) and appends one `content_sealed` audit
entry per kind whose details hold the batch's count and digest. The chain protects the
digests, the digests protect the seal rows, the seal rows protect the content. `verify`
reports each row edited or deleted since it was sealed, and any seal row edited, deleted
or added outside a batch. Rows written since the last seal are covered by the next one
(every backup and every `xuncha verify-audit` seals).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import String, and_, cast, insert, select

from server import audit
from server.models import AuditEntry, ContentSeal, HazardEvent, Inspection

ACTION = "content_sealed"
# The facts of an inspection as received (what a reviewer judged; never changed after).
_INSPECTION_FACTS = ("id", "site_id", "inspector_id", "client_id", "checklist_code",
                     "checklist_version", "kind", "started_at", "finished_at",
                     "device_sent_at", "lat", "lon", "accuracy_m", "scan_code", "scan_sig",
                     "answers", "verifications", "signatures", "supersedes", "received_at")
_EVENT_FACTS = ("seq", "hazard_id", "type", "at", "device_at", "actor_id", "actor_role",
                "inspection_id", "data", "refused", "error_code", "version")
KINDS = {"inspection": (Inspection, Inspection.id, _INSPECTION_FACTS),
         "event": (HazardEvent, HazardEvent.seq, _EVENT_FACTS)}
NAMES = {"inspection": "inspection", "event": "hazard event"}
_BATCH = 1000


def content_hash(row, facts) -> str:
    body = {name: getattr(row, name) for name in facts}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value) -> str:
    return value.isoformat(timespec="microseconds") if hasattr(value, "isoformat") else str(value)


def _key(column):
    # The row's key as this database writes it as text (the same on every run).
    return cast(column, String)


def _digest(pairs) -> tuple[int, str]:
    h, n = hashlib.sha256(), 0
    for row_key, value in pairs:
        h.update(f"{row_key}:{value}\n".encode())
        n += 1
    return n, h.hexdigest()


def seal(session, batch_rows: int = 20_000) -> dict[str, int]:
    """Seal every row not sealed yet, at most `batch_rows` per audit entry; {kind: rows
    sealed}. Flushes, never commits."""
    out: dict[str, int] = {}
    for kind, (model, ident, facts) in KINDS.items():
        while True:
            rows = session.execute(
                select(model, _key(ident).label("row_key")).outerjoin(ContentSeal, and_(
                    ContentSeal.kind == kind, ContentSeal.row_key == _key(ident)))
                .where(ContentSeal.row_key.is_(None)).order_by(_key(ident))
                .limit(batch_rows)).all()
            if not rows:
                break
            pairs = [(row_key, content_hash(obj, facts)) for obj, row_key in rows]
            for obj, _row_key in rows:
                session.expunge(obj)  # keep memory flat over a first seal of a city
            count, digest = _digest(pairs)
            entry = audit.record(session, ACTION, actor_name="system", target_type=kind,
                                 details={"kind": kind, "count": count, "digest": digest})
            for i in range(0, len(pairs), _BATCH):
                session.execute(insert(ContentSeal), [
                    {"kind": kind, "row_key": key, "hash": value, "batch": entry.seq}
                    for key, value in pairs[i:i + _BATCH]])
            session.flush()
            out[kind] = out.get(kind, 0) + count
    return out


@dataclass(frozen=True)
class Finding:
    kind: str
    row_key: str | None
    message: str

    def __str__(self) -> str:
        return self.message


def verify(session) -> list[Finding]:
    """Every sealed row edited or deleted since, and every seal batch tampered with."""
    return list(_batches(session)) + [f for kind in KINDS for f in _rows(session, kind)]


def _batches(session) -> Iterator[Finding]:
    entries = {e.seq: e for e in session.scalars(
        select(AuditEntry).where(AuditEntry.action == ACTION))}
    batches = set(session.scalars(select(ContentSeal.batch).distinct()))
    for seq in sorted(batches - set(entries)):
        yield Finding("seal", None, f"seal rows of batch {seq} have no audit entry: "
                                    "added outside the chain")
    for seq, entry in sorted(entries.items()):
        details = entry.details or {}
        pairs = session.execute(select(ContentSeal.row_key, ContentSeal.hash).where(
            ContentSeal.batch == seq, ContentSeal.kind == details.get("kind"))
            .order_by(ContentSeal.row_key))
        count, digest = _digest(pairs)
        if (count, digest) != (details.get("count"), details.get("digest")):
            yield Finding("seal", None, f"the seals of audit entry {seq} were altered "
                                        f"({details.get('count')} sealed, {count} found)")


def _rows(session, kind: str) -> Iterator[Finding]:
    model, ident, facts = KINDS[kind]
    result = session.execute(
        select(ContentSeal.row_key, ContentSeal.hash, model)
        .outerjoin(model, _key(ident) == ContentSeal.row_key)
        .where(ContentSeal.kind == kind).order_by(ContentSeal.row_key)
        .execution_options(yield_per=_BATCH))
    for row_key, sealed, obj in result:
        if obj is None:
            yield Finding(kind, row_key, f"{NAMES[kind]} {row_key} was deleted after it "
                                         "was sealed")
        elif content_hash(obj, facts) != sealed:
            yield Finding(kind, row_key, f"{NAMES[kind]} {row_key} was changed after it "
                                         "was sealed")
