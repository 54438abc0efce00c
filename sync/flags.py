"""Plausibility flags on an inspection (pure rules, no app, no database).

Flags are recorded facts for reviewers, never reasons to drop a submission. Codes are
part of what the console filters on: keep them short and stable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

CLOCK_SKEW = "clock_skew"
FUTURE_TIMESTAMP = "future_timestamp"
BEFORE_ACCOUNT = "before_account"
GPS_FAR = "gps_far"
GPS_INACCURATE = "gps_inaccurate"
NO_LOCATION = "no_location"
NO_QR_SCAN = "no_qr_scan"
QR_INVALID = "qr_invalid"
TOO_FAST = "too_fast"

ALL = (CLOCK_SKEW, FUTURE_TIMESTAMP, BEFORE_ACCOUNT, GPS_FAR, GPS_INACCURATE, NO_LOCATION,
       NO_QR_SCAN, QR_INVALID, TOO_FAST)

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Limits:
    max_skew_s: float = 600
    max_distance_m: float = 300
    max_accuracy_m: float = 100
    min_seconds_per_item: float = 2

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(max_skew_s=float(config["CLOCK_SKEW_MAX_SECONDS"]),
                   max_distance_m=float(config["GPS_MAX_DISTANCE_M"]),
                   max_accuracy_m=float(config["GPS_MAX_ACCURACY_M"]),
                   min_seconds_per_item=float(config["MIN_SECONDS_PER_ITEM"]))


@dataclass(frozen=True)
class Evidence:
    """What the server knows about one submission, all times aware."""

    server_now: datetime
    sent_at: datetime | None
    started_at: datetime
    finished_at: datetime
    account_created_at: datetime | None
    item_count: int  # answers given plus hazards verified: what "too fast" is measured by
    location: tuple[float, float, float | None] | None  # lat, lon, accuracy_m
    site_location: tuple[float, float] | None
    scanned: bool
    scan_valid: bool | None  # None when there was no scan


def clock_skew_s(server_now: datetime, sent_at: datetime | None) -> float | None:
    """Device clock minus server clock, from the push's sent_at (None if unknown)."""
    return None if sent_at is None else (sent_at - server_now).total_seconds()


def plausibility_flags(ev: Evidence, limits: Limits) -> list[str]:
    flags: set[str] = set()
    skew = clock_skew_s(ev.server_now, ev.sent_at)
    if skew is not None and abs(skew) > limits.max_skew_s:
        flags.add(CLOCK_SKEW)
    tolerance = timedelta(seconds=limits.max_skew_s)
    device_times = [t for t in (ev.started_at, ev.finished_at, ev.sent_at) if t is not None]
    if any(t > ev.server_now + tolerance for t in device_times):
        flags.add(FUTURE_TIMESTAMP)
    if ev.account_created_at is not None and ev.started_at < ev.account_created_at - tolerance:
        flags.add(BEFORE_ACCOUNT)
    if ev.location is None:
        flags.add(NO_LOCATION)
    else:
        lat, lon, accuracy = ev.location
        if accuracy is not None and accuracy > limits.max_accuracy_m:
            flags.add(GPS_INACCURATE)
        if (ev.site_location is not None
                and haversine_m(lat, lon, *ev.site_location) > limits.max_distance_m):
            flags.add(GPS_FAR)
    if not ev.scanned:
        flags.add(NO_QR_SCAN)
    elif not ev.scan_valid:
        flags.add(QR_INVALID)
    duration = (ev.finished_at - ev.started_at).total_seconds()
    if duration < ev.item_count * limits.min_seconds_per_item:
        flags.add(TOO_FAST)
    return sorted(flags)
