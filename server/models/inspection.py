"""Inspections (检查记录): one checklist walked at one site by one inspector."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import JSONDoc, UTCDateTime, utcnow

KINDS = ("routine", "verification", "cross_check", "follow_up", "unannounced")
REVIEW_STATES = ("submitted", "approved", "returned", "rejected")


class Inspection(db.Model):
    __tablename__ = "inspections"
    __pull_type__ = "inspection"
    # A device pulls only its user's own inspections (with their review state).
    __pull_owner__ = "inspector_id"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    region_code: Mapped[str] = mapped_column(String(20), ForeignKey("regions.code"))
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    checklist_code: Mapped[str] = mapped_column(String(64))
    checklist_version: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    # Device times, kept as facts (never used for ordering).
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    scan_code: Mapped[str | None] = mapped_column(String(64))
    scan_sig: Mapped[str | None] = mapped_column(String(64))
    scan_verified: Mapped[bool] = mapped_column(default=False)
    answers: Mapped[list] = mapped_column(JSONDoc, default=list)
    verifications: Mapped[list] = mapped_column(JSONDoc, default=list)
    signatures: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    flags: Mapped[list] = mapped_column(JSONDoc, default=list)
    hazard_ids: Mapped[list] = mapped_column(JSONDoc, default=list)
    review_state: Mapped[str] = mapped_column(String(16), default="submitted")
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    awaiting_media: Mapped[bool] = mapped_column(default=False)
    supersedes: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # The rectification notice (隐患整改通知书 / 整改复查意见书) the visit ended with.
    notice_no: Mapped[str | None] = mapped_column(String(40))
    superseded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    inspector = relationship("User", foreign_keys=[inspector_id], lazy="joined")
    site = relationship("Site", lazy="joined")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_inspections_region_code_received_at", "region_code", "received_at"),
        Index("ix_inspections_review_state_received_at", "review_state", "received_at"),
        Index("ix_inspections_site_id", "site_id"),
        Index("ix_inspections_inspector_id", "inspector_id"),
        Index("uq_inspections_notice_no", "notice_no", unique=True),
    )

    @property
    def checklist(self) -> dict:
        return {"code": self.checklist_code, "version": self.checklist_version}

    @property
    def location(self) -> dict | None:
        if self.lat is None or self.lon is None:
            return None
        return {"lat": self.lat, "lon": self.lon, "accuracy_m": self.accuracy_m}
