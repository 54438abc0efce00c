"""Dashboard figures (统计): what leaders look at, from two aggregate queries.

One grouped scan of the scoped register gives every count by village, sector, severity,
state, overdue and listing; a second gives found/closed per month. Everything else —
township roll-up, rates, the "many hazards, no major ones" and "far below peers"
signals — is arithmetic on those few hundred rows, so the page costs two index scans
however large the register grows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select

from server.auth.scope import scoped
from server.models import Hazard, Region, User
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
    signals: list[dict] = field(default_factory=list)


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


def dashboard(session, actor: User, *, months: int = 12, many: int = 50,
              far_below: float = 0.3) -> Dashboard:
    listed = Hazard.listing_level.isnot(None)
    closed = Hazard.status == "closed"
    major = Hazard.severity == "major"
    rows = session.execute(scoped(
        select(Hazard.region_code, Hazard.sector, closed, major, listed, Hazard.overdue,
               func.count()).group_by(Hazard.region_code, Hazard.sector, closed, major, listed,
                                      Hazard.overdue), Hazard.region_code, actor)).all()
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
        total.add(n, **flags)
        by_township[township_of.get(region_code, region_code)].add(n, **flags)
        by_sector[sector].add(n, **flags)
    for code, _name, level, _path in regions:
        if level == "township":
            by_township.setdefault(code, Group())

    labels = _last_months(months)
    dialect = session.get_bind().dialect.name
    series = []
    for column in (Hazard.found_at, Hazard.closed_at):
        month = _month(column, dialect)
        stmt = scoped(select(month, func.count()).where(column.isnot(None))
                      .group_by(month), Hazard.region_code, actor)
        counts = dict(session.execute(stmt).all())
        series.append([int(counts.get(label, 0)) for label in labels])
    board = Dashboard(total, dict(sorted(by_township.items())), dict(sorted(by_sector.items())),
                      names, labels, series[0], series[1])
    board.signals = _signals(board, many, far_below, township_of)
    return board


def _signals(board: Dashboard, many: int, far_below: float, township_of) -> list[dict]:
    """Shallow inspection shows as many findings but no major ones, or far fewer than peers."""
    out = []
    for code, group in board.by_township.items():
        if group.found >= many and group.major == 0:
            out.append({"kind": "no_major", "region": code, "found": group.found})
    if len(board.by_township) >= 3:
        mean = sum(g.found for g in board.by_township.values()) / len(board.by_township)
        for code, group in board.by_township.items():
            if mean and group.found < far_below * mean:
                out.append({"kind": "far_below", "region": code, "found": group.found,
                            "peer_mean": round(mean, 1)})
    return out
