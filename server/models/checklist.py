"""Checklist versions published from the console (发布的检查表版本).

The repository's checklists (forms/checklists/) are the national defaults; a version
published by county or city staff lives here. `definition` is the table the sheet was read
into, loaded by the same loader as the repository's files (forms.loader.from_dict), and
`fingerprint` its content hash as forms.fingerprints computes it. A row is never changed
after it is written, except to set its retirement; a change is the next version.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, Uuid, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history

from server.extensions import db
from server.models.types import JSONDoc, UTCDateTime, utcnow


class PublishedChecklist(db.Model):
    __tablename__ = "published_checklists"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict] = mapped_column(JSONDoc)
    # Where it applies: the subtree of this region, at sites of these kinds.
    region_code: Mapped[str] = mapped_column(String(20), ForeignKey("regions.code"), index=True)
    site_kinds: Mapped[list] = mapped_column(JSONDoc, default=list)
    published_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    # No new inspection on this version from this moment (old ones stay valid).
    retires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    region = relationship("Region", lazy="joined")
    publisher = relationship("User", foreign_keys=[published_by], lazy="joined")

    __table_args__ = (UniqueConstraint("code", "version", name="uq_published_checklists_code_version"),)


# What may change on a published row: only its retirement.
_RETIREMENT = frozenset({"retires_at", "retired_by"})


@event.listens_for(PublishedChecklist, "before_update")
def _published_rows_never_change(_mapper, _connection, row: PublishedChecklist) -> None:
    changed = [attr.key for attr in PublishedChecklist.__mapper__.column_attrs
               if attr.key not in _RETIREMENT and get_history(row, attr.key).has_changes()]
    if changed:
        raise ValueError(f"a published checklist version never changes ({', '.join(changed)}); "
                         "publish the next version")
