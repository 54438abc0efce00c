"""Hazard numbers a person can read out (隐患编号): <county>-<year>-<nnnnnn>, the hazard's
place among the hazards found in its county that year (found time, then id). Derived from
the register, so the same hazard always has the same number."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from server.models import Hazard, Region
from server.register.settings import day_start


class HazardNumbers:
    """Numbers for many hazards: each (county, year) is read once, ids only."""

    def __init__(self, session, tz):
        self.session, self.tz = session, tz
        self._counties: dict[str, Region | None] = {}
        self._order: dict[tuple[str, int], dict] = {}

    def county(self, region_code: str) -> Region | None:
        if region_code not in self._counties:
            region = self.session.get(Region, region_code)
            county = None
            if region is not None:
                codes = [c for c in region.path.strip("/").split("/") if c]
                county = self.session.scalar(select(Region).where(
                    Region.code.in_(codes), Region.level == "county"))
            self._counties[region_code] = county
        return self._counties[region_code]

    def number(self, hazard) -> str:
        county = self.county(hazard.region_code)
        year = hazard.found_at.astimezone(self.tz).year
        if county is None:
            return f"{year}-{str(hazard.id)[:8]}"
        key = (county.code, year)
        if key not in self._order:
            lo = day_start(date(year, 1, 1), self.tz)
            hi = day_start(date(year + 1, 1, 1), self.tz)
            inside = select(Region.code).where(Region.path.startswith(county.path,
                                                                      autoescape=True))
            ids = self.session.scalars(select(Hazard.id).where(
                Hazard.region_code.in_(inside), Hazard.found_at >= lo, Hazard.found_at < hi)
                .order_by(Hazard.found_at, Hazard.id))
            self._order[key] = {ident: n for n, ident in enumerate(ids, 1)}
        n = self._order[key].get(hazard.id, 0)
        return f"{county.name}-{year}-{n:06d}"


def hazard_number(session, hazard, tz) -> str:
    return HazardNumbers(session, tz).number(hazard)
