"""Dashboard figures (统计): what leaders look at, from three aggregate queries.

One grouped query gives every count by village, sector, severity, state, overdue and
listing; two more give found/closed per month — from the rollup table when a job has
rebuilt it recently (a million hazards become a few thousand rows), else live from the
register. The township roll-up and the
rates are arithmetic on those rows. The shallow-inspection signals are the register's
own (`server.register.stats.signals`), so the dashboard and the bulletins agree.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select

from server.auth.scope import scoped
from server.models import Hazard, Region, User
from server.models.rollup import HazardRollup, HazardRollupRun
from server.models.types import utcnow
from server.register.service import setting


@dataclass
class Group:
    found: int = 0
    closed: int = 0
    major: int = 0
    major_listed: int = 0
    overdue: int = 0

    def add(self, n, *, closed, major, listed, overdue):
        self.found += n
        self.closed += n if closed else 0
        self.major += n if major else 0
        self.major_listed += n if major and listed else 0
        self.overdue += n if overdue and not closed else 0

    @property
    def rectification_rate(self) -> float:
        return self.closed / self.found if self.found else 0.0

    @property
    def listed_rate(self) -> float:
        return self.major_listed / self.major if self.major else 0.0


@dataclass
class Dashboard:
    total: Group
    by_township: dict[str, Group]
    by_sector: dict[str, Group]
    township_names: dict[str, str]
    months: list[str]
    found_by_month: list[int]
    closed_by_month: list[int]
    as_of: datetime | None = None


def _month(column, dialect: str):
    # Local calendar months: a hazard found at 07:00 on the 1st (Beijing) is in that month.
    tz = str(setting("TIMEZONE", "Asia/Shanghai"))
    if dialect == "postgresql":
        return func.to_char(func.timezone(tz, column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours" if tz == "Asia/Shanghai" else "+0 hours")


def _last_months(n: int) -> list[str]:
    now = datetime.now(setting("TZ", None) or UTC)
    y, m = now.year, now.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def _live_counts(session, actor: User, labels: list[str]):
    """Counts straight from the register (exact, costs a scan of the scoped hazards)."""
    listed = Hazard.listing_level.isnot(None)
    closed = Hazard.status == "closed"
    major = Hazard.severity == "major"
    rows = session.execute(scoped(
        select(Hazard.region_code, Hazard.sector, closed, major, listed, Hazard.overdue,
               func.count()).group_by(Hazard.region_code, Hazard.sector, closed, major, listed,
                                      Hazard.overdue), Hazard.region_code, actor)).all()
    dialect = session.get_bind().dialect.name
    series = []
    for column in (Hazard.found_at, Hazard.closed_at):
        month = _month(column, dialect)
        stmt = scoped(select(month, func.count()).where(column.isnot(None))
                      .group_by(month), Hazard.region_code, actor)
        counts = dict(session.execute(stmt).all())
        series.append([int(counts.get(label, 0)) for label in labels])
    return rows, series


def _rollup_counts(session, actor: User, labels: list[str]):
    """The same counts from the rollup: a few thousand rows whatever the register's size."""
    r = HazardRollup
    keys = (r.region_code, r.sector, r.closed, r.major, r.listed, r.overdue)
    rows = session.execute(scoped(select(*keys, func.sum(r.n)).group_by(*keys),
                                  r.region_code, actor)).all()
    series = []
    for month in (r.found_month, r.closed_month):
        stmt = scoped(select(month, func.sum(r.n)).where(month.isnot(None)).group_by(month),
                      r.region_code, actor)
        counts = dict(session.execute(stmt).all())
        series.append([int(counts.get(label, 0)) for label in labels])
    return rows, series


def rollup_as_of(session) -> datetime | None:
    """When the rollup was rebuilt, if recently enough for the dashboard to use it."""
    at = session.scalar(select(func.max(HazardRollupRun.refreshed_at)))
    max_age = int(setting("DASHBOARD_ROLLUP_MAX_AGE_SECONDS", 900))
    if at is None or (datetime.now(UTC) - at).total_seconds() > max_age:
        return None
    return at


def refresh_rollup(session) -> HazardRollupRun:
    """Rebuild the rollup in one statement (for the scheduler, every few minutes)."""
    t0 = time.perf_counter()
    dialect = session.get_bind().dialect.name
    listed = Hazard.listing_level.isnot(None)
    closed = Hazard.status == "closed"
    major = Hazard.severity == "major"
    found, closed_month = _month(Hazard.found_at, dialect), _month(Hazard.closed_at, dialect)
    keys = (Hazard.region_code, Hazard.sector, closed, major, listed, Hazard.overdue, found,
            closed_month)
    session.execute(delete(HazardRollup))
    session.execute(insert(HazardRollup).from_select(
        ["region_code", "sector", "closed", "major", "listed", "overdue", "found_month",
         "closed_month", "n"], select(*keys, func.count()).group_by(*keys)))
    rows = session.scalar(select(func.count()).select_from(HazardRollup))
    run = HazardRollupRun(refreshed_at=utcnow(), rows=rows, seconds=time.perf_counter() - t0)
    session.add(run)
    session.flush()
    return run


def dashboard(session, actor: User, *, months: int = 12) -> Dashboard:
    labels = _last_months(months)
    as_of = rollup_as_of(session)
    if as_of is not None:
        rows, series = _rollup_counts(session, actor, labels)
    else:
        rows, series = _live_counts(session, actor, labels)
    regions = session.execute(scoped(select(Region.code, Region.name, Region.level, Region.path),
                                     Region.code, actor)).all()
    names = {code: name for code, name, _level, _path in regions}
    township_of = {}
    for code, _name, _level, path in regions:
        parts = path.strip("/").split("/")
        township_of[code] = parts[2] if len(parts) > 2 else code
    total, by_township, by_sector = Group(), defaultdict(Group), defaultdict(Group)
    for region_code, sector, is_closed, is_major, is_listed, overdue, n in rows:
        flags = {"closed": bool(is_closed), "major": bool(is_major), "listed": bool(is_listed),
                 "overdue": bool(overdue)}
        n = int(n)
        total.add(n, **flags)
        by_township[township_of.get(region_code, region_code)].add(n, **flags)
        by_sector[sector].add(n, **flags)
    for code, _name, level, _path in regions:
        if level == "township":
            by_township.setdefault(code, Group())
    return Dashboard(total, dict(sorted(by_township.items())), dict(sorted(by_sector.items())),
                     names, labels, series[0], series[1], as_of=as_of)
