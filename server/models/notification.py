"""Reminders for people (提醒): overdue hazards, escalation proposals, bulletins."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import JSONDoc, UTCDateTime, utcnow


class Notification(db.Model):
    """A reminder for one person; pulled only by its recipient (an extension of pull)."""

    __tablename__ = "notifications"
    __pull_type__ = "notification"
    __pull_owner__ = "recipient_id"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # What makes a reminder "the same one": e.g. "overdue:<hazard>:<deadline>:<user>".
    # Unique, so a second run or a second scheduler process can never send it twice.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # The recipient's region: the pull feed is partitioned by region.
    region_code: Mapped[str] = mapped_column(String(20), ForeignKey("regions.code"))
    kind: Mapped[str] = mapped_column(String(32))
    hazard_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hazards.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_notifications_recipient_id_created_at", "recipient_id", "created_at"),
    )
