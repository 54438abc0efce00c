"""Append-only, hash-chained audit log (审计日志).

Each entry's hash covers the previous entry's hash and the entry's own content, so an
edited, deleted or reordered row breaks the chain at that row. Appends are serialized
(PostgreSQL advisory lock; SQLite's IMMEDIATE write lock) and `prev_hash` is unique, so
concurrent appends can never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import select, text

from server.models import AuditEntry
from server.models.types import utcnow

GENESIS = "0" * 64
_LOCK_KEY = 0x78756E6368  # "xunch": the advisory lock id for audit appends


def _canonical(entry: AuditEntry) -> bytes:
    body = {
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "remote_addr": entry.remote_addr,
        "details": entry.details or {},
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str).encode("utf-8")


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + _canonical(entry)).hexdigest()


def record(session, action: str, *, actor=None, actor_name: str | None = None,
           target_type: str | None = None, target_id=None, details: dict | None = None,
           remote_addr: str | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction (flushed, not committed)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    head = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1))
    entry = AuditEntry(
        at=utcnow(),
        actor_id=getattr(actor, "id", None) if not isinstance(actor, uuid.UUID) else actor,
        actor_name=actor_name or getattr(actor, "username", None),
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        remote_addr=remote_addr,
        details=details or {},
        prev_hash=head or GENESIS,
    )
    entry.hash = entry_hash(entry.prev_hash, entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass
class ChainReport:
    checked: int
    first_bad_seq: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify(session, batch: int = 1000) -> ChainReport:
    """Walk the chain in order; report the first row whose hash or link is wrong."""
    prev = GENESIS
    checked = 0
    last_seq = 0
    while True:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.seq > last_seq)
                               .order_by(AuditEntry.seq).limit(batch)).all()
        if not rows:
            return ChainReport(checked, None, None)
        for row in rows:
            if row.prev_hash != prev:
                return ChainReport(checked, row.seq, "link to the previous entry is broken")
            if entry_hash(prev, row) != row.hash:
                return ChainReport(checked, row.seq, "content does not match its hash")
            prev = row.hash
            checked += 1
            last_seq = row.seq
        session.expunge_all()
