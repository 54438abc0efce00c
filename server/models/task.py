"""Field tasks (任务): follow-up visits (回头看) and other work sent to the phones."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import JSONDoc, UTCDateTime, utcnow

TASK_KINDS = ("follow_up", "verification", "campaign")
TASK_STATUSES = ("open", "done", "cancelled")


class Task(db.Model):
    __tablename__ = "tasks"
    __pull_type__ = "task"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # Idempotency key of the job that made it ("follow_up:<hazard id>").
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    region_code: Mapped[str] = mapped_column(String(20), ForeignKey("regions.code"))
    hazard_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hazards.id"))
    due_date: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    data: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __table_args__ = (
        Index("ix_tasks_region_code_status", "region_code", "status"),
    )
