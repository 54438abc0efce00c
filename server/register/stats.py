"""Register statistics (统计) per region (rolled up), sector and period, and the two
signals city leaders ask for: areas that find many hazards but no major ones, and areas
whose finding rate is far below their peers' in a sector (浅查、漏查).

Counting is done in SQL grouped by the hazard's own region; rolling up to the children
of the asked-for region happens here, through the regions' materialised paths, so any
level of the tree works the same way.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo

from sqlalchemy import case, func, select

import forms
from server.auth.scope import region_in_scope
from server.models import Hazard, Inspection, Region, Site, User
from server.models.hazard import SOURCES
from server.register.settings import RegisterSettings, day_start, today_in

METRICS = ("found", "major", "closed", "rectification_rate", "overdue", "major_listed",
           "listed_rate", "median_days_to_close", "inspections", "sites_covered", "sites")


@dataclass
class Figures:
    found: int = 0
    major: int = 0
    closed: int = 0
    overdue: int = 0
    major_listed: int = 0
    inspections: int = 0
    sites: int = 0
    covered: set = field(default_factory=set)
    days_to_close: list = field(default_factory=list)

    def add(self, other: Figures) -> None:
        for name in ("found", "major", "closed", "overdue", "major_listed", "inspections",
                     "sites"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.covered |= other.covered
        self.days_to_close += other.days_to_close

    def as_dict(self) -> dict:
        return {
            "found": self.found, "major": self.major, "closed": self.closed,
            "rectification_rate": _rate(self.closed, self.found),
            "overdue": self.overdue, "major_listed": self.major_listed,
            "listed_rate": _rate(self.major_listed, self.major),
            "median_days_to_close": (round(statistics.median(self.days_to_close), 1)
                                     if self.days_to_close else None),
            "inspections": self.inspections, "sites_covered": len(self.covered),
            "sites": self.sites,
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class Period:
    start: date
    end: date  # inclusive
    tz: tzinfo | None = None  # whose calendar days these are

    @property
    def bounds(self):
        return day_start(self.start, self.tz), day_start(self.end + timedelta(days=1), self.tz)


def period(date_from: date | None, date_to: date | None, tz: tzinfo | None) -> Period:
    """The days from `date_from` to `date_to` (default: the last 30 local days)."""
    end = date_to or today_in(tz)
    return Period(date_from or end - timedelta(days=29), end, tz)


def _subtree(session, root: Region) -> dict[str, Region]:
    rows = session.scalars(select(Region).where(Region.path.startswith(root.path, autoescape=True)))
    return {r.code: r for r in rows}


def _rollup_map(root: Region, regions: dict[str, Region]) -> dict[str, str]:
    """Each region code of the subtree → the child of `root` it lies under (root → root)."""
    depth = root.path.count("/")
    out = {}
    for code, region in regions.items():
        parts = region.path.strip("/").split("/")
        out[code] = parts[depth - 1] if len(parts) >= depth else root.code
    return out


def _checklist_sectors(session) -> dict[str, str]:
    """Each checklist code's sector, the repository's and those published from the console."""
    from server.models import PublishedChecklist

    published = {code: raw.get("sector") for code, raw in session.execute(
        select(PublishedChecklist.code, PublishedChecklist.definition))}
    return {**published, **{c.code: c.sector for c in forms.latest()}}


def collect(session, root: Region, p: Period, *, sector: str | None = None,
            key: str = "region", durations: bool = True) -> dict:
    """Figures keyed by child region of `root` ("region"), by sector ("sector") or by
    (child region, sector) ("both"). `durations=False` skips the days-to-close sample,
    the one part that reads rows rather than counts."""
    regions = _subtree(session, root)
    rollup = _rollup_map(root, regions)
    codes = list(regions)
    lo, hi = p.bounds
    figures: dict[str, Figures] = defaultdict(Figures)

    def bucket(region_code, row_sector):
        if key == "both":
            return rollup[region_code], row_sector
        return rollup[region_code] if key == "region" else row_sector

    hz = select(
        Hazard.region_code, Hazard.sector, func.count(),
        func.sum(case((Hazard.severity == "major", 1), else_=0)),
        func.sum(case((Hazard.status == "closed", 1), else_=0)),
        func.sum(case((Hazard.overdue.is_(True), 1), else_=0)),
        func.sum(case(((Hazard.severity == "major") & Hazard.listing_level.isnot(None), 1),
                      else_=0)),
    ).where(Hazard.region_code.in_(codes), Hazard.found_at >= lo, Hazard.found_at < hi)
    if sector:
        hz = hz.where(Hazard.sector == sector)
    for region_code, row_sector, found, major, closed, overdue, listed in session.execute(
            hz.group_by(Hazard.region_code, Hazard.sector)):
        f = figures[bucket(region_code, row_sector)]
        f.found += found
        f.major += int(major or 0)
        f.closed += int(closed or 0)
        f.overdue += int(overdue or 0)
        f.major_listed += int(listed or 0)

    closed_q = None if not durations else select(Hazard.region_code, Hazard.sector, Hazard.found_at, Hazard.closed_at).where(
        Hazard.region_code.in_(codes), Hazard.closed_at >= lo, Hazard.closed_at < hi)
    if closed_q is not None:
        if sector:
            closed_q = closed_q.where(Hazard.sector == sector)
        for region_code, row_sector, found_at, closed_at in session.execute(closed_q):
            figures[bucket(region_code, row_sector)].days_to_close.append(
                (closed_at - found_at).total_seconds() / 86400)

    sectors = _checklist_sectors(session)
    insp = select(Inspection.region_code, Inspection.checklist_code, Inspection.site_id).where(
        Inspection.region_code.in_(codes), Inspection.finished_at >= lo,
        Inspection.finished_at < hi, Inspection.review_state != "rejected")
    for region_code, checklist_code, site_id in session.execute(insp):
        row_sector = sectors.get(checklist_code)
        if sector and row_sector != sector:
            continue
        f = figures[bucket(region_code, row_sector)]
        f.inspections += 1
        f.covered.add(site_id)

    if key in ("region", "both"):
        site_q = select(Site.region_code, func.count()).where(Site.region_code.in_(codes))
        for region_code, count in session.execute(site_q.group_by(Site.region_code)):
            # Sites have no single sector: under "both" they count as (child, None).
            figures[bucket(region_code, None)].sites += count
    return figures


def _root(session, actor: User, region: str | None) -> Region:
    return region_in_scope(session, actor, region) if region else actor.region


def summary(session, actor: User, settings: RegisterSettings, *, region: str | None = None,
            sector: str | None = None, date_from: date | None = None,
            date_to: date | None = None) -> dict:
    """The figures of a region and of each of its children, plus by sector."""
    return summary_for(session, _root(session, actor, region),
                       period(date_from, date_to, settings.tz), sector=sector)


def summary_for(session, root: Region, p: Period, *, sector: str | None = None) -> dict:
    """`summary` for any region, without a user's scope (bulletins, exports)."""
    # One pass by (child, sector); the region and sector views are sums of it.
    by_region: dict[str, Figures] = defaultdict(Figures)
    by_sector: dict[str, Figures] = defaultdict(Figures)
    total = Figures()
    for (child, row_sector), f in collect(session, root, p, sector=sector, key="both").items():
        by_region[child].add(f)
        if row_sector is not None:
            by_sector[row_sector].add(f)
        total.add(f)
    children = session.scalars(select(Region).where(Region.parent_code == root.code)
                               .order_by(Region.code)).all()
    rows = [{"region": {"code": c.code, "name": c.name, "level": c.level},
             **by_region.get(c.code, Figures()).as_dict()} for c in children]
    if root.code in by_region:  # hazards registered on the root region itself
        rows.append({"region": {"code": root.code, "name": root.name, "level": root.level},
                     **by_region[root.code].as_dict()})
    return {
        "region": {"code": root.code, "name": root.name, "level": root.level},
        "period": {"from": p.start, "to": p.end}, "sector": sector,
        "total": total.as_dict(), "rows": rows,
        "by_source": source_counts(session, root, p, sector=sector),
        "by_sector": [{"sector": s, **f.as_dict()} for s, f in sorted(by_sector.items())],
    }


def signals(session, actor: User, settings: RegisterSettings, *, region: str | None = None,
            date_from: date | None = None, date_to: date | None = None) -> dict:
    """Areas worth a question from the city: shallow inspection patterns among peers."""
    return signals_for(session, _root(session, actor, region),
                       period(date_from, date_to, settings.tz), settings)


def signal_counts(session, p: Period, codes: list[str] | None = None) -> dict:
    """What the signals read, by the row's own region and sector: hazards found in the
    period, the major ones among them, and inspections finished in it (not rejected).

    Grouped in SQL (a few rows per region and sector, whatever the register's size);
    `codes` limits the regions, None counts everywhere (the dashboard rollup stores this).
    Inspections of a checklist without a sector cannot take part in a sector comparison
    and are left out.
    """
    lo, hi = p.bounds
    counts: dict[tuple[str, str], Figures] = defaultdict(Figures)
    hz = select(Hazard.region_code, Hazard.sector, func.count(),
                func.sum(case((Hazard.severity == "major", 1), else_=0))).where(
        Hazard.found_at >= lo, Hazard.found_at < hi)
    if codes is not None:
        hz = hz.where(Hazard.region_code.in_(codes))
    for region_code, sector, found, major in session.execute(
            hz.group_by(Hazard.region_code, Hazard.sector)):
        f = counts[(region_code, sector)]
        f.found += found
        f.major += int(major or 0)
    sectors = _checklist_sectors(session)
    insp = select(Inspection.region_code, Inspection.checklist_code, func.count()).where(
        Inspection.finished_at >= lo, Inspection.finished_at < hi,
        Inspection.review_state != "rejected")
    if codes is not None:
        insp = insp.where(Inspection.region_code.in_(codes))
    for region_code, checklist_code, n in session.execute(
            insp.group_by(Inspection.region_code, Inspection.checklist_code)):
        sector = sectors.get(checklist_code)
        if sector is not None:
            counts[(region_code, sector)].inspections += n
    return dict(counts)


def shallow_inspection(counts: dict, children: set[str], sectors: list[str], *,
                       min_found: int, min_inspections: int, low_ratio: float):
    """The two signal rules, on counts already rolled up to (child region, sector).

    Returns ([(child, found)] of children with many hazards and no major one,
    [(child, sector, figures, rate, peer median)] of children finding far less per
    inspection than the median of their peers in a sector). Pure: the live register and
    the dashboard rollup feed the same rules.
    """
    by_child: dict[str, Figures] = defaultdict(Figures)
    for (code, _sector), f in counts.items():
        by_child[code].add(f)
    no_major = [(code, f.found) for code, f in sorted(by_child.items())
                if code in children and f.found >= min_found and f.major == 0]
    low_rate = []
    for sector in sectors:
        figures = {code: f for (code, s), f in counts.items()
                   if s == sector and code in children and f.inspections >= min_inspections}
        if len(figures) < 2:
            continue  # no peers to compare with
        rates = {code: f.found / f.inspections for code, f in figures.items()}
        for code, rate in sorted(rates.items()):
            peer_median = statistics.median(r for c, r in rates.items() if c != code)
            if peer_median > 0 and rate < peer_median * low_ratio:
                low_rate.append((code, sector, figures[code], rate, peer_median))
    return no_major, low_rate


def signals_for(session, root: Region, p: Period, settings: RegisterSettings, *,
                counts: dict | None = None) -> dict:
    """`signals` for any region, without a user's scope (bulletins).

    `counts` are `signal_counts` of the period (the dashboard passes its rollup's copy);
    without them they are counted live from the register.
    """
    regions = _subtree(session, root)
    if counts is None:
        counts = signal_counts(session, p, list(regions))
    rollup = _rollup_map(root, regions)
    by_child: dict[tuple[str, str], Figures] = defaultdict(Figures)
    for (code, sector), f in counts.items():
        if code in rollup:  # rows outside the subtree are not this region's
            by_child[(rollup[code], sector)].add(f)
    children = {c.code: c for c in session.scalars(
        select(Region).where(Region.parent_code == root.code))}

    def ref(code):
        c = children[code]
        return {"code": c.code, "name": c.name, "level": c.level}

    no_major, low_rate = shallow_inspection(
        by_child, set(children), sorted(set(_checklist_sectors(session).values())),
        min_found=settings.signal_min_hazards, min_inspections=settings.signal_min_inspections,
        low_ratio=settings.signal_low_ratio)
    return {"region": {"code": root.code, "name": root.name, "level": root.level},
            "period": {"from": p.start, "to": p.end},
            "many_found_no_major": [{"region": ref(code), "found": found, "major": 0}
                                    for code, found in no_major],
            "low_finding_rate": [{"region": ref(code), "sector": sector,
                                  "inspections": f.inspections, "found": f.found,
                                  "rate": round(rate, 4),
                                  "peer_median_rate": round(peer_median, 4)}
                                 for code, sector, f, rate, peer_median in low_rate]}


def source_counts(session, root: Region, p: Period, *, sector: str | None = None) -> list[dict]:
    """Hazards found in the period under `root`, split by source as the national figures
    are (企业自查, 监管检查, 交叉检查, 群众举报): found, major, closed of each."""
    lo, hi = p.bounds
    stmt = (select(Hazard.source, func.count(),
                   func.sum(case((Hazard.severity == "major", 1), else_=0)),
                   func.sum(case((Hazard.status == "closed", 1), else_=0)))
            .join(Region, Region.code == Hazard.region_code)
            .where(Region.path.startswith(root.path, autoescape=True),
                   Hazard.found_at >= lo, Hazard.found_at < hi))
    if sector:
        stmt = stmt.where(Hazard.sector == sector)
    counts = {source: (found, int(major or 0), int(closed or 0)) for source, found, major, closed
              in session.execute(stmt.group_by(Hazard.source))}
    return [{"source": source, "found": counts.get(source, (0, 0, 0))[0],
             "major": counts.get(source, (0, 0, 0))[1],
             "closed": counts.get(source, (0, 0, 0))[2]} for source in SOURCES]


def by_source(session, actor: User, settings: RegisterSettings, *, region: str | None = None,
              date_from: date | None = None, date_to: date | None = None) -> list[dict]:
    """`source_counts` in the actor's scope (the dashboard's split by source)."""
    return source_counts(session, _root(session, actor, region),
                         period(date_from, date_to, settings.tz))
