"""Periodic bulletins (定期通报): a county's statistics for one week, as XLSX and PDF."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, deferred, mapped_column

from server.extensions import db
from server.models.types import UTCDateTime, utcnow


class Bulletin(db.Model):
    __tablename__ = "bulletins"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    region_code: Mapped[str] = mapped_column(String(20), ForeignKey("regions.code"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    # Kept in the database, not on a worker's disk: every web worker can serve it.
    xlsx: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("region_code", "period_start",
                                       name="uq_bulletins_region_code_period_start"),)
