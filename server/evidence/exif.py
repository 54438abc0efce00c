"""What a photo says about itself, read from its EXIF: capture time, device, position.

Device-supplied facts, kept for reviewers and never trusted; anything malformed becomes
None, because a photo is evidence whatever its metadata says. The served copies carry
none of it (`images` re-encodes them from pixels).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from PIL import ExifTags, Image

_TEXT_LIMIT = 64


@dataclass(frozen=True)
class GPS:
    """A position in decimal degrees (WGS-84, as phones write it to EXIF)."""

    lat: float
    lon: float


@dataclass(frozen=True)
class PhotoMetadata:
    """What the photo says about itself. Device-supplied facts: kept, never trusted."""

    captured_at: datetime | None = None  # aware if the device wrote an offset, else naive
    device_make: str | None = None
    device_model: str | None = None
    gps: GPS | None = None

    def to_dict(self) -> dict:
        return {
            "captured_at": self.captured_at.isoformat() if self.captured_at else None,
            "device_make": self.device_make,
            "device_model": self.device_model,
            "gps": {"lat": self.gps.lat, "lon": self.gps.lon} if self.gps else None,
        }


def read_metadata(exif: Image.Exif) -> PhotoMetadata:
    """Capture time, device and position from EXIF; anything malformed becomes None.

    EXIF is written by thousands of phone models and sometimes by attackers; a photo is
    evidence whatever its metadata says, so nothing here can refuse it.
    """
    try:
        exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:
        exif_ifd = {}
    try:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:
        gps_ifd = {}
    return PhotoMetadata(
        captured_at=_captured_at(exif_ifd),
        device_make=_text(exif.get(ExifTags.Base.Make)),
        device_model=_text(exif.get(ExifTags.Base.Model)),
        gps=_gps(gps_ifd),
    )


def _captured_at(exif_ifd: dict) -> datetime | None:
    for tag, offset_tag in ((ExifTags.Base.DateTimeOriginal, ExifTags.Base.OffsetTimeOriginal),
                            (ExifTags.Base.DateTimeDigitized,
                             ExifTags.Base.OffsetTimeDigitized)):
        text = _text(exif_ifd.get(tag))
        if not text:
            continue
        try:
            moment = datetime.strptime(text, "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
        offset = _utc_offset(_text(exif_ifd.get(offset_tag)))
        return moment.replace(tzinfo=offset) if offset else moment
    return None


def _utc_offset(text: str | None) -> timezone | None:
    """`+08:00` → UTC+8; anything else → None."""
    if not text or len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    hours, minutes = text[1:3], text[4:6]
    if not (hours.isdigit() and minutes.isdigit()):
        return None
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if text[0] == "-" else delta)


def _gps(gps_ifd: dict) -> GPS | None:
    lat = _degrees(gps_ifd.get(ExifTags.GPS.GPSLatitude),
                   gps_ifd.get(ExifTags.GPS.GPSLatitudeRef), "S", 90)
    lon = _degrees(gps_ifd.get(ExifTags.GPS.GPSLongitude),
                   gps_ifd.get(ExifTags.GPS.GPSLongitudeRef), "W", 180)
    if lat is None or lon is None:
        return None
    if lat == 0 and lon == 0:
        return None  # what phones without a fix write; not a place anyone inspects
    return GPS(lat=lat, lon=lon)


def _degrees(value, ref, negative_ref: str, limit: float) -> float | None:
    """EXIF (degrees, minutes, seconds) rationals and a hemisphere → signed decimal degrees."""
    try:
        parts = [float(part) for part in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if len(parts) != 3 or not all(math.isfinite(p) and p >= 0 for p in parts):
        return None
    degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    if degrees > limit:
        return None
    if _text(ref) == negative_ref:
        degrees = -degrees
    return round(degrees, 7)


def _text(value) -> str | None:
    """An EXIF string made safe to store and show: decoded, no control characters, short."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C").strip()
    return cleaned[:_TEXT_LIMIT] or None
