"""The dashboard's rollup of the hazard register, and console indexes on the register.

`HazardRollup` holds hazard counts grouped by everything the dashboard shows (village,
sector, closed, major, listed, overdue, month found, month closed). A periodic job
rebuilds it (`server.register.dashboard.refresh_rollup`), so the dashboard reads a few
thousand rows instead of aggregating a million hazards per page view; without a fresh
rollup the dashboard aggregates live. `HazardSignalRollup`, rebuilt by the same job, holds
what the shallow-inspection signals count over their period (hazards found, major ones,
inspections, by village and sector), so the dashboard's signals need no register scan
either.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.hazard import Hazard
from server.models.inspection import Inspection
from server.models.types import UTCDateTime, utcnow


class HazardRollup(db.Model):
    __tablename__ = "hazard_rollups"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(20))
    sector: Mapped[str] = mapped_column(String(16))
    closed: Mapped[bool]
    major: Mapped[bool]
    listed: Mapped[bool]
    overdue: Mapped[bool]
    found_month: Mapped[str] = mapped_column(String(7))
    closed_month: Mapped[str | None] = mapped_column(String(7))
    n: Mapped[int]

    __table_args__ = (Index("ix_hazard_rollups_region_code", "region_code"),)


class HazardRollupRun(db.Model):
    """When the rollup was last rebuilt (the newest row counts)."""

    __tablename__ = "hazard_rollup_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rows: Mapped[int] = mapped_column(default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # The signals' period (local days, inclusive) counted by this run; None before 0006.
    signals_from: Mapped[date | None] = mapped_column(Date)
    signals_to: Mapped[date | None] = mapped_column(Date)


class HazardSignalRollup(db.Model):
    """`server.register.stats.signal_counts` of one run's signal period, by village and
    sector. Rows name their run, and a rebuild keeps the previous run's rows, so a page
    that read a run reads that run's rows even if a rebuild commits in between."""

    __tablename__ = "hazard_signal_rollups"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("hazard_rollup_runs.id"))
    region_code: Mapped[str] = mapped_column(String(20))
    sector: Mapped[str] = mapped_column(String(16))
    found: Mapped[int]
    major: Mapped[int]
    inspections: Mapped[int]

    __table_args__ = (Index("ix_hazard_signal_rollups_run_id_region_code", "run_id",
                            "region_code"),)


# Indexes on the register's table for the console's register page, declared here so that
# models and migrations 0005/0006 agree (the register may adopt them into its own model):
# - "overdue, by deadline" (the page reviewers open every morning) walks the overdue
#   hazards in deadline order instead of sorting every open one. The predicate is written
#   as the register's filter writes it (IS true), so PostgreSQL can prove it applies; the
#   status and region are in the index, so the capped count and the page's ids are an
#   index-only scan of the overdue hazards (0006), not a heap visit per open hazard;
# - the newest-first page picks its ids from an index that also holds the region and the
#   severity, so a deep page, and the "major hazards of a township" page, skip index
#   entries (an index-only scan) and read only their own 50 rows (severity since 0006:
#   before, the major page read the heap row of every newer general hazard it skipped).
Index("ix_hazards_overdue_deadline", Hazard.__table__.c.deadline, Hazard.__table__.c.id,
      postgresql_where=text("overdue IS true"), sqlite_where=text("overdue IS 1"),
      postgresql_include=["status", "region_code"])
# - "major hazards of a township": equality on severity and the region, newest first (the
#   capped count reads it).
Index("ix_hazards_severity_region_code_found_at", Hazard.__table__.c.severity,
      Hazard.__table__.c.region_code, Hazard.__table__.c.found_at)
Index("ix_hazards_found_at_id", Hazard.__table__.c.found_at, Hazard.__table__.c.id,
      postgresql_include=["region_code", "severity"])


# On inspections, for the dashboard's campaign coverage (which target sites had an
# inspection inside the campaign's window): the window's inspections come from this index
# alone (an index-only scan of a few thousand entries) and are hashed against the target
# sites, instead of probing every target site's inspections one by one.
Index("ix_inspections_received_at_site_id", Inspection.__table__.c.received_at,
      postgresql_include=["site_id"])
