"""Administrative regions: city → county/district → township/street → village/community."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db

LEVELS = ("city", "county", "township", "village")
LEVEL_NAMES = {"city": "市", "county": "县/区", "township": "乡镇/街道", "village": "村/社区"}


class Region(db.Model):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(
        String(20), ForeignKey("regions.code"), index=True)
    # Materialised path "/<root code>/…/<own code>/": a subtree is one prefix match.
    path: Mapped[str] = mapped_column(String(255), unique=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]

    __table_args__ = (Index("ix_regions_level", "level"),)

    @property
    def depth(self) -> int:
        return LEVELS.index(self.level)

    def contains(self, other: Region) -> bool:
        return other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"
