"""Inspected places: homes, restaurants, small venues, construction sites …"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.region import Region
from server.models.types import JSONDoc, UTCDateTime, utcnow

SITE_KINDS = (
    "household", "restaurant", "shop", "small_venue", "self_built_commercial",
    "rental_housing", "construction_site", "enterprise", "fireworks_point", "forest_area",
    "gas_point",  # 瓶装燃气供应点, including an unlicensed one (黑气点): an extension
)
SECTORS = ("gas", "fire", "construction", "fireworks", "forest", "rural")


class Site(db.Model):
    __tablename__ = "sites"
    # Pullable: the change-log listener logs every change and bumps `version`.
    __pull_type__ = "site"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(String(20), ForeignKey("regions.code"))
    address: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    sectors: Mapped[list] = mapped_column(JSONDoc, default=list)
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    region: Mapped[Region] = relationship(lazy="joined")

    __table_args__ = (
        Index("ix_sites_region_code_kind", "region_code", "kind"),
        Index("ix_sites_name", "name"),
    )
