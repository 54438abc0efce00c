"""The audit chain's head, anchored outside the table.

A hash chain shows an edited or deleted row in its middle, but not rows removed from its
end: what is left is still a valid chain. So the head (sequence and hash) is kept where a
database intruder cannot rewrite it: in a head file beside the instance (signed with the
secret key, so it cannot be forged either), in every backup's manifest, and printed by
`xuncha verify-audit` for the operator to note. A chain that no longer reaches the
anchored entry, or holds another hash there, is reported as truncated or rewritten.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from server.models import AuditEntry

_DOMAIN = b"xuncha/audit-head/v1\x00"


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str | None
    at: str = ""  # when it was anchored (ISO 8601, UTC)
    reason: str = ""  # what anchored it: verify-audit, backup <id>, restore <id>

    def __str__(self) -> str:
        return f"seq {self.seq} {self.hash or '-'}"


def current(session) -> Head:
    row = session.execute(select(AuditEntry.seq, AuditEntry.hash)
                          .order_by(AuditEntry.seq.desc()).limit(1)).first()
    return Head(int(row[0]), row[1]) if row else Head(0, None)


def path_for(app) -> Path:
    return Path(app.config.get("AUDIT_HEAD_FILE") or Path(app.instance_path) / "audit-head.json")


def _sign(head: Head, secret: str) -> str:
    body = f"{head.seq}:{head.hash}:{head.at}:{head.reason}".encode()
    return hmac.new(secret.encode(), _DOMAIN + body, hashlib.sha256).hexdigest()


def write(app, head: Head, reason: str) -> Head:
    """Anchor `head` in the head file (atomically); returns what was written."""
    anchored = Head(head.seq, head.hash, datetime.now(UTC).isoformat(), reason)
    doc = dict(asdict(anchored), sig=_sign(anchored, app.config["SECRET_KEY"]))
    path = path_for(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(path.name + ".tmp")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(staged, path)
    return anchored


class Forged(Exception):
    """The head file's signature does not match (edited, or another server's key)."""


def read(app) -> Head | None:
    """The anchored head, None when there is none yet; Forged when it was tampered with."""
    path = path_for(app)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        head = Head(int(doc["seq"]), doc["hash"], doc.get("at", ""), doc.get("reason", ""))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise Forged(f"{path} is not a head file: {exc}") from None
    if not hmac.compare_digest(str(doc.get("sig", "")), _sign(head, app.config["SECRET_KEY"])):
        raise Forged(f"{path}: the signature does not match this server's key")
    return head


def compare(session, anchored: Head) -> str | None:
    """Why the chain does not reach `anchored` intact, or None when it does."""
    if anchored.seq == 0:
        return None
    now = current(session)
    at = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == anchored.seq))
    if at is None:
        return (f"the chain ends at seq {now.seq}, but seq {anchored.seq} was anchored "
                f"({anchored.reason}, {anchored.at}): entries at its end were removed")
    if at != anchored.hash:
        return (f"entry {anchored.seq} holds another hash than was anchored "
                f"({anchored.reason}, {anchored.at}): the chain was rewritten")
    return None
