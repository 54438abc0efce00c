"""Which secret key signed the QR tags in the field (现场二维码), by fingerprint only.

A tag carries a short HMAC of its site code under the server's secret key. If the
key changes (a restore onto a new machine without the backup's key, a rotated
XUNCHA_SECRET_KEY), every tag already glued to a door fails verification, silently. So
the first tag signed with a key records that key's fingerprint (`SigningKey`), and
`xuncha check` fails when the database knows tags signed by a key the server does not
hold: a recorded fingerprint that is not the current key's, or recently verified scans
that no longer verify (for tags printed before fingerprints were recorded).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from server.database import set_read_only
from server.extensions import db
from server.models import Inspection, SigningKey

_DOMAIN = b"xuncha/key-id/v1"
RECENT_SCANS = 200


def key_id(secret: str | bytes) -> str:
    """A fingerprint of a secret key that reveals nothing about it."""
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(raw, _DOMAIN, hashlib.sha256).hexdigest()[:16]


def note_in_use() -> None:
    """Record the current key as one that signs tags: once per key and process, in its own
    short transaction (the request may be a read)."""
    current = key_id(current_app.config["SECRET_KEY"])
    holder = current_app.extensions.setdefault("xuncha", {})
    if holder.get("signing_key_noted") == current:
        return
    with db.engine.connect() as conn:
        known = conn.scalar(select(SigningKey.key_id).where(SigningKey.key_id == current))
        conn.rollback()
        if known is None:
            token = set_read_only(False)  # a writer's transaction (IMMEDIATE on SQLite)
            try:
                with conn.begin():
                    conn.execute(insert(SigningKey).values(key_id=current))
            except IntegrityError:
                pass  # another worker recorded it meanwhile
            finally:
                token.var.reset(token)
    holder["signing_key_noted"] = current


def foreign_tags(session, secret: str) -> tuple[list[str], int]:
    """(fingerprints of other keys that signed tags, how many of the latest verified
    scans no longer verify with `secret`)."""
    from server.evidence import qr

    current = key_id(secret)
    others = list(session.scalars(select(SigningKey.key_id).where(SigningKey.key_id != current)))
    scans = session.execute(select(Inspection.scan_code, Inspection.scan_sig)
                            .where(Inspection.scan_verified.is_(True))
                            .order_by(Inspection.received_at.desc())
                            .limit(RECENT_SCANS)).all()
    unverified = sum(1 for code, sig in scans if not qr.verify(code or "", sig or "", secret))
    return others, unverified


def tag_settings():
    """The settings that sign tags, for a view about to print or show some: the current
    key is recorded as one that signs tags in the field (`note_in_use`)."""
    from server.evidence.tags import TagSettings

    note_in_use()
    return TagSettings.from_config(current_app.config)
