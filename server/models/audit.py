"""The hash-chained audit log of security-relevant actions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import JSONDoc, UTCDateTime, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_name: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    # prev_hash is unique: two appends that read the same head cannot both commit,
    # so the chain can never fork even if the lock were bypassed.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ContentSeal(db.Model):
    """The content hash of an inspection or a hazard event, sealed into the audit chain.

    Rows are sealed in batches; each batch's digest is an audit entry (`content_sealed`),
    so neither a row nor its seal can change unnoticed (server.audit.seals).
    """

    __tablename__ = "content_seals"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # inspection, event
    row_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    batch: Mapped[int] = mapped_column(BigInteger)  # the seq of its audit entry

    __table_args__ = (Index("ix_content_seals_batch", "batch"),)


class SigningKey(db.Model):
    """The fingerprint of a key that signed a QR tag (never the key itself)."""

    __tablename__ = "signing_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
