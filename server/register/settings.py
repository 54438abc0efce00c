"""The register's settings and its calendar: what the services are given, never read.

`RegisterSettings.from_config(app.config)` is made at the edge (a view, the push, a job,
a command) and passed in; the services below it read no application state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo

from server.models.types import utcnow


@dataclass(frozen=True)
class RegisterSettings:
    tz: tzinfo = UTC
    timezone: str = "UTC"  # its name, for the database's own date functions
    default_deadline_days: int = 7
    major_deadline_days: int = 30
    sector_deadline_days: dict = field(default_factory=dict)
    escalation_days: int = 180  # listed this long and not fixed: proposed one level up
    follow_up_days: int = 30  # a follow-up visit (回头看) this long after closing
    # The shallow-inspection signals (server.register.stats.shallow_inspection).
    signal_min_hazards: int = 20
    signal_min_inspections: int = 10
    signal_low_ratio: float = 0.3
    rollup_max_age_seconds: int = 900  # the dashboard reads a rollup no older than this
    cjk_font: str | None = None  # the PDFs' font file (None: the first one installed)

    @classmethod
    def from_config(cls, config) -> RegisterSettings:
        return cls(tz=config.get("TZ") or UTC, timezone=str(config.get("TIMEZONE") or "UTC"),
                   default_deadline_days=int(config.get("DEFAULT_DEADLINE_DAYS", 7)),
                   major_deadline_days=int(config.get("MAJOR_DEADLINE_DAYS", 30)),
                   sector_deadline_days=dict(config.get("SECTOR_DEADLINE_DAYS") or {}),
                   escalation_days=int(config.get("ESCALATION_DAYS", 180)),
                   follow_up_days=int(config.get("FOLLOW_UP_DAYS", 30)),
                   signal_min_hazards=int(config.get("SIGNAL_MIN_HAZARDS", 20)),
                   signal_min_inspections=int(config.get("SIGNAL_MIN_INSPECTIONS", 10)),
                   signal_low_ratio=float(config.get("SIGNAL_LOW_RATIO", 0.3)),
                   rollup_max_age_seconds=int(config.get("DASHBOARD_ROLLUP_MAX_AGE_SECONDS",
                                                         900)),
                   cjk_font=config.get("CJK_FONT"))

    def today(self) -> date:
        return today_in(self.tz)

    def day_start(self, day: date) -> datetime:
        return day_start(day, self.tz)

    def deadline_days(self, sector: str, severity: str) -> int:
        """Default rectification time: per sector for general hazards, longer for major ones."""
        if severity == "major":
            return self.major_deadline_days
        return int(self.sector_deadline_days.get(sector, self.default_deadline_days))


def today_in(tz: tzinfo | None) -> date:
    return utcnow().astimezone(tz or UTC).date()


def day_start(day: date, tz: tzinfo | None) -> datetime:
    """The UTC instant a local calendar day begins (filters take local dates)."""
    return datetime.combine(day, time.min, tzinfo=tz or UTC).astimezone(UTC)
