"""Gas suppliers (燃气经营者) as reviewers have merged them.

A supplier is named in the field (the gas checklists' supplier item) and is an entity of
its county from that moment: its id is uuid5(SUPPLIER_NAMESPACE, "<county code>:<name>"),
so the same name in the same county is the same supplier wherever and whenever it was
typed, offline or not (server.suppliers.supplier_id). A row here records a reviewer's
decision that one such supplier is another (a misspelling, a short name): the register
counts it under the one it was merged into.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import UTCDateTime, utcnow


class SupplierMerge(db.Model):
    """`supplier_id` is the same gas company as `merged_into` (of the same county)."""

    __tablename__ = "supplier_merges"

    supplier_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    merged_into: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    county_code: Mapped[str] = mapped_column(String(20), ForeignKey("regions.code"))
    name: Mapped[str] = mapped_column(String(200))  # the merged name, as typed
    merged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
