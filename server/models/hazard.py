"""The hazard register (隐患台账): hazards, their append-only events, merged ids.

The `hazards` row is a projection: every change is a `HazardEvent`, and
`server.register.projection.project(events)` rebuilds the row from them. Services never
set a hazard's fields directly; they append an event and copy the projected state.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.site import Site
from server.models.types import JSONDoc, UTCDateTime, utcnow

SEVERITIES = ("general", "major")
SOURCES = ("self_check", "inspection", "cross_check", "public_report")
STATUSES = ("open", "rectifying", "pending_verification", "pending_closure", "closed")
LISTING_LEVELS = ("county", "city", "province")

# Fields that devices edit through `hazard.update` (field-level merge).
EDITABLE_FIELDS = ("deadline", "measures", "responsible_name", "responsible_phone")


class Hazard(db.Model):
    """One hazard of one site (隐患), the current state derived from its events."""

    __tablename__ = "hazards"
    __pull_type__ = "hazard"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    # Denormalised from the site: every scope filter and the register's big queries
    # read it without a join.
    region_code: Mapped[str] = mapped_column(String(20), ForeignKey("regions.code"))
    sector: Mapped[str] = mapped_column(String(16))
    item: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(16))
    # Some provinces grade major hazards 1-3; kept as data, never interpreted here.
    grade: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(16))
    standard: Mapped[dict | None] = mapped_column(JSONDoc)
    status: Mapped[str] = mapped_column(String(24))
    overdue: Mapped[bool] = mapped_column(default=False)
    deadline: Mapped[date | None] = mapped_column(Date)
    measures: Mapped[str | None] = mapped_column(Text)
    responsible_name: Mapped[str | None] = mapped_column(String(100))
    responsible_phone: Mapped[str | None] = mapped_column(String(32))
    listing_level: Mapped[str | None] = mapped_column(String(16))
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stop_work: Mapped[bool] = mapped_column(default=False)
    stop_work_order_no: Mapped[str | None] = mapped_column(String(64))
    # Gas items name the supplier (燃气经营者); a household defect may be the supplier's
    # major hazard (建城规〔2023〕4号 Art 9) while only a general one of the household.
    supplier: Mapped[str | None] = mapped_column(String(200))
    supplier_major: Mapped[bool] = mapped_column(default=False)
    # The county's judgement of that clue: None while 待认定, True 已认定, False 不予认定.
    supplier_confirmed: Mapped[bool | None] = mapped_column()
    # The supplier as an entity of the county (server.suppliers.supplier_id of the name).
    supplier_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    # A combined judgement (综合判定): the item codes of its failed elements (contract 1.1).
    elements: Mapped[list] = mapped_column(JSONDoc, default=list)
    before_photos: Mapped[list] = mapped_column(JSONDoc, default=list)
    after_photos: Mapped[list] = mapped_column(JSONDoc, default=list)
    inspection_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # The rectification notice it was first given in (contract 1.1).
    notice_no: Mapped[str | None] = mapped_column(String(40))
    found_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # +1 per accepted event that changes the row. Also the optimistic lock: every UPDATE
    # carries "WHERE version = <the version read>", so two writers can't both win.
    version: Mapped[int] = mapped_column(default=1)

    site: Mapped[Site] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    __table_args__ = (
        Index("ix_hazards_region_code_status", "region_code", "status"),
        Index("ix_hazards_status_deadline", "status", "deadline"),
        Index("ix_hazards_severity_status", "severity", "status"),
        Index("ix_hazards_site_id", "site_id"),
        # found_at alone: ix_hazards_found_at_id (server.models.rollup) leads with it.
        # One open hazard per (site, item): a re-found item joins the open one. The
        # partial unique index is the backstop when two inspections race.
        Index("uq_hazards_open_site_item", "site_id", "item", unique=True,
              sqlite_where=text("status <> 'closed' AND item IS NOT NULL"),
              postgresql_where=text("status <> 'closed' AND item IS NOT NULL")),
    )

    @property
    def listing(self) -> dict | None:
        if self.listing_level is None:
            return None
        return {"level": self.listing_level, "listed_at": self.listed_at}


class HazardEvent(db.Model):
    """One fact about a hazard, appended in server order and never changed.

    `refused` events are transitions the lifecycle refused; they are kept because their
    evidence (photos, notes) must never be lost.
    """

    __tablename__ = "hazard_events"

    seq: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hazards.id"))
    type: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    device_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # The actor's role when the event happened: replay must not depend on later changes.
    actor_role: Mapped[str | None] = mapped_column(String(32))
    inspection_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    data: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    refused: Mapped[bool] = mapped_column(default=False)
    error_code: Mapped[str | None] = mapped_column(String(32))
    # The hazard's version after this event (unchanged for events that change nothing).
    version: Mapped[int] = mapped_column(default=1)

    actor = relationship("User", lazy="joined")
    # Never read: it tells the unit of work that a hazard's row goes in before its
    # events when both are flushed at once (a bare foreign key does not order inserts).
    hazard: Mapped[Hazard] = relationship(lazy="select")

    __table_args__ = (
        Index("ix_hazard_events_hazard_id_seq", "hazard_id", "seq"),
        Index("ix_hazard_events_inspection_id", "inspection_id"),
    )


class HazardAlias(db.Model):
    """A derived hazard id merged into the site's open hazard; it keeps resolving."""

    __tablename__ = "hazard_aliases"

    alias_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    hazard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hazards.id"), index=True)
    inspection_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
