"""Dashboard figures (统计): what leaders look at, from three aggregate queries.

One grouped query gives every count by village, sector, severity, state, overdue and
listing; two more give found/closed per month — from the rollup table when a job has
rebuilt it recently (a million hazards become a few thousand rows), else live from the
register. The township roll-up and the
rates are arithmetic on those rows. The shallow-inspection signals are the register's
own rules (`server.register.stats.signals_for`), so the dashboard and the bulletins agree;
the same job stores the counts they read, so with a fresh rollup the dashboard scans
nothing of the register, and says as of when its figures are.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select, text

from server.auth.scope import scoped
from server.models import Hazard, Region, User
from server.models.rollup import HazardRollup, HazardRollupRun, HazardSignalRollup
from server.models.types import utcnow
from server.register import stats as register_stats
from server.register.settings import RegisterSettings

# Transaction-level advisory lock of a rollup rebuild: two rebuilds at once (the
# scheduler and `xuncha job`, say) would each delete the rows they can see and insert
# their own, leaving both sets; the second now waits and replaces the first's.
ROLLUP_LOCK_KEY = 0x78756E6372  # "xuncr"


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
    # The register's signals document (`server.register.stats.signals_for`).
    signals: dict | None = None


def _month(column, dialect: str, tz: str):
    # Local calendar months: a hazard found at 07:00 on the 1st (Beijing) is in that month.
    if dialect == "postgresql":
        return func.to_char(func.timezone(tz, column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours" if tz == "Asia/Shanghai" else "+0 hours")


def _last_months(n: int, tz) -> list[str]:
    now = datetime.now(tz or UTC)
    y, m = now.year, now.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def _live_counts(session, actor: User, labels: list[str], timezone: str):
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
        month = _month(column, dialect, timezone)
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


def fresh_run(session, max_age: int) -> HazardRollupRun | None:
    """The newest rollup run, if at most `max_age` seconds old."""
    run = session.scalar(select(HazardRollupRun).order_by(HazardRollupRun.id.desc()).limit(1))
    if run is None or (datetime.now(UTC) - run.refreshed_at).total_seconds() > max_age:
        return None
    return run


def rollup_as_of(session, settings: RegisterSettings) -> datetime | None:
    """When the rollup was rebuilt, if recently enough for the dashboard to use it."""
    run = fresh_run(session, settings.rollup_max_age_seconds)
    return run.refreshed_at if run is not None else None


def refresh_rollup(session, settings: RegisterSettings) -> HazardRollupRun:
    """Rebuild the rollup in a few statements (for the scheduler, every few minutes)."""
    t0 = time.perf_counter()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ROLLUP_LOCK_KEY})
    listed = Hazard.listing_level.isnot(None)
    closed = Hazard.status == "closed"
    major = Hazard.severity == "major"
    found = _month(Hazard.found_at, dialect, settings.timezone)
    closed_month = _month(Hazard.closed_at, dialect, settings.timezone)
    keys = (Hazard.region_code, Hazard.sector, closed, major, listed, Hazard.overdue, found,
            closed_month)
    session.execute(delete(HazardRollup))
    session.execute(insert(HazardRollup).from_select(
        ["region_code", "sector", "closed", "major", "listed", "overdue", "found_month",
         "closed_month", "n"], select(*keys, func.count()).group_by(*keys)))
    rows = session.scalar(select(func.count()).select_from(HazardRollup))
    # The signals' default period (the last 30 local days), as the register's API counts it.
    p = register_stats.period(None, None, settings.tz)
    counts = register_stats.signal_counts(session, p)
    # Keep the previous run's rows: a page that read that run a moment ago still finds
    # its rows (by run id) after this rebuild commits; older ones go.
    previous = session.scalar(select(func.max(HazardRollupRun.id)))
    if previous is not None:
        session.execute(delete(HazardSignalRollup).where(HazardSignalRollup.run_id < previous))
    run = HazardRollupRun(refreshed_at=utcnow(), rows=rows, signals_from=p.start,
                          signals_to=p.end)
    session.add(run)
    session.flush()
    if counts:
        session.execute(insert(HazardSignalRollup), [
            {"run_id": run.id, "region_code": code, "sector": sector, "found": f.found,
             "major": f.major, "inspections": f.inspections}
            for (code, sector), f in sorted(counts.items())])
    run.seconds = time.perf_counter() - t0
    session.flush()
    return run


def _rollup_signals(session, actor: User, run: HazardRollupRun,
                    settings: RegisterSettings) -> dict:
    """The register's signals, fed the counts this run stored (scoped to the actor)."""
    s = HazardSignalRollup
    counts = {}
    for code, sector, found, major, inspections in session.execute(scoped(
            select(s.region_code, s.sector, s.found, s.major, s.inspections)
            .where(s.run_id == run.id), s.region_code, actor)):
        counts[(code, sector)] = register_stats.Figures(found=found, major=major,
                                                        inspections=inspections)
    p = register_stats.Period(run.signals_from, run.signals_to, settings.tz)
    return register_stats.signals_for(session, actor.region, p, settings, counts=counts)


def dashboard(session, actor: User, settings: RegisterSettings, *,
              months: int = 12) -> Dashboard:
    labels = _last_months(months, settings.tz)
    run = fresh_run(session, settings.rollup_max_age_seconds)
    # A run from before the signals were rolled up (0006) has no signal period.
    if run is not None and run.signals_from is not None:
        as_of = run.refreshed_at
        rows, series = _rollup_counts(session, actor, labels)
        signals = _rollup_signals(session, actor, run, settings)
    else:
        as_of = None
        rows, series = _live_counts(session, actor, labels, settings.timezone)
        signals = register_stats.signals_for(
            session, actor.region, register_stats.period(None, None, settings.tz), settings)
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
                     names, labels, series[0], series[1], as_of=as_of, signals=signals)
