"""Sync bookkeeping: mutation results, the change log, site field revisions and conflicts.

The change log is written by one session listener (`server.models.changelog`) in the same
transaction as the change it records, so a pull can never see a change without its entry
or an entry without its change.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import JSONDoc, UTCDateTime, utcnow

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class MutationResult(db.Model):
    """The stored outcome of one pushed mutation: a duplicate push answers this again."""

    __tablename__ = "sync_mutation_results"

    client_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("devices.client_id"), primary_key=True)
    mutation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True,
                                             autoincrement=False)
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # applied | rejected
    result: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # The feed's high-water mark when the push wrote this: a pull reports the counter only
    # once it has served the feed that far (see sync.pull).
    feed_seq: Mapped[int | None] = mapped_column(BigInteger)
    device_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChangeLog(db.Model):
    """One row per (thing, region) holding the latest change: the pull feed.

    Writing a newer change for a thing deletes its older row (compaction), so a first
    pull reads one row per thing in scope, not its whole history. `seq` is the server
    order; a pull serves it only up to a safe point (see `sync.pull`).
    """

    __tablename__ = "sync_change_log"
    __table_args__ = (
        Index("ix_sync_change_log_type_entity", "type", "entity_id"),
        Index("ix_sync_change_log_region_code_seq", "region_code", "seq"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    op: Mapped[str] = mapped_column(String(8))  # put | remove
    version: Mapped[int] = mapped_column(default=0)
    region_code: Mapped[str] = mapped_column(String(20))
    # Only this user may pull the row (an inspection goes to its own inspector).
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    merged_into: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SiteRevision(db.Model):
    """Which site fields changed at which version: the base for field-level merge."""

    __tablename__ = "sync_site_revisions"

    site_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    fields: Mapped[list] = mapped_column(JSONDoc, default=list)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # The device whose push made the change: its own later edits don't conflict with it.
    client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SiteConflict(db.Model):
    """A site edit that lost a same-field conflict, kept for a reviewer to resolve."""

    __tablename__ = "sync_site_conflicts"
    __table_args__ = (Index("ix_sync_site_conflicts_site_id_resolved", "site_id", "resolved_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(String(20), ForeignKey("regions.code"))
    field: Mapped[str] = mapped_column(String(64))
    base_version: Mapped[int]
    server_value: Mapped[Any] = mapped_column(JSONDoc, nullable=True)
    losing_value: Mapped[Any] = mapped_column(JSONDoc, nullable=True)
    actor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    mutation_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(16))  # kept | applied
