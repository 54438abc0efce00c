"""Campaigns (专项行动): a time window, sectors and target regions, with sites assigned to
inspectors (包村包片). Coverage (应查尽查) is computed from inspections, never stored."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import JSONDoc, UTCDateTime, utcnow

MODES = ("standard", "cross_check", "unannounced")


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    sectors: Mapped[list] = mapped_column(JSONDoc, default=list)
    # Target regions (any level); the campaign covers their subtrees.
    region_codes: Mapped[list] = mapped_column(JSONDoc, default=list)
    # Site kinds in scope of "every site inspected"; empty = every site of the sectors.
    site_kinds: Mapped[list] = mapped_column(JSONDoc, default=list)
    # standard; cross_check (交叉检查: inspectors from other townships reach the assigned
    # sites for the window only); unannounced (暗查暗访: no notice, no site signature).
    mode: Mapped[str] = mapped_column(String(16), default="standard",
                                      server_default="standard")
    # The organising body's region: who may see and manage the campaign.
    region_code: Mapped[str] = mapped_column(String(20), ForeignKey("regions.code"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_campaigns_region_code_ends_on", "region_code", "ends_on"),)


class CampaignAssignment(db.Model):
    """One site of a campaign given to one inspector; its phone task is `task_id`."""

    __tablename__ = "campaign_assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"))
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    region_code: Mapped[str] = mapped_column(String(20), ForeignKey("regions.code"))
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tasks.id"))
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    inspector = relationship("User", foreign_keys=[inspector_id], lazy="joined")
    site = relationship("Site", lazy="joined")

    __table_args__ = (
        UniqueConstraint("campaign_id", "site_id"),
        Index("ix_campaign_assignments_inspector_id", "inspector_id"),
    )
