"""Reminders for people (提醒): overdue hazards, escalation proposals, bulletins."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import JSONDoc, UTCDateTime, utcnow


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What makes a reminder "the same one": e.g. "overdue:<hazard>:<deadline>:<user>".
    # Unique, so a second run or a second scheduler process can never send it twice.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    hazard_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hazards.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_notifications_recipient_id_id", "recipient_id", "id"),
    )
