"""The register's settings and its calendar: what the services are given, never read.

`RegisterSettings.from_config(app.config)` is made at the edge (a view, the push, a job)
and passed in; the services below it read no application state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo


@dataclass(frozen=True)
class RegisterSettings:
    tz: tzinfo = UTC
    default_deadline_days: int = 7
    major_deadline_days: int = 30
    sector_deadline_days: dict = field(default_factory=dict)

    @classmethod
    def from_config(cls, config) -> RegisterSettings:
        return cls(tz=config.get("TZ") or UTC,
                   default_deadline_days=int(config.get("DEFAULT_DEADLINE_DAYS", 7)),
                   major_deadline_days=int(config.get("MAJOR_DEADLINE_DAYS", 30)),
                   sector_deadline_days=dict(config.get("SECTOR_DEADLINE_DAYS") or {}))

    def today(self) -> date:
        return today_in(self.tz)

    def deadline_days(self, sector: str, severity: str) -> int:
        """Default rectification time: per sector for general hazards, longer for major ones."""
        if severity == "major":
            return self.major_deadline_days
        return int(self.sector_deadline_days.get(sector, self.default_deadline_days))


def today_in(tz: tzinfo | None) -> date:
    return datetime.now(tz or UTC).date()


def day_start(day: date, tz: tzinfo | None) -> datetime:
    """The UTC instant a local calendar day begins (filters take local dates)."""
    return datetime.combine(day, time.min, tzinfo=tz or UTC).astimezone(UTC)
