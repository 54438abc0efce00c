"""Notice numbers (pure): "<township code>-<device serial>-<year>-<sequence>".

The township code (9 digits) and the device's serial within it are the prefix the server
gives a phone at login; the phone counts the sequence per year offline. Two phones never
share a prefix, so no two can issue the same number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER = re.compile(r"^(?P<township>\d{9})-(?P<serial>\d{2,3})-(?P<year>\d{4})-(?P<seq>\d{4})$")
MAX_SERIAL = 999


@dataclass(frozen=True)
class NoticeNumber:
    township: str
    serial: int
    year: int
    seq: int

    @property
    def prefix(self) -> str:
        return prefix(self.township, self.serial)


def prefix(township: str | None, serial: int | None) -> str | None:
    """The prefix a device numbers its notices with; None for a device without one."""
    if not township or serial is None:
        return None
    return f"{township}-{serial:02d}"


def parse(number: str) -> NoticeNumber | None:
    """The parts of a well-formed number, else None."""
    match = NUMBER.match(number or "")
    if match is None or int(match["seq"]) < 1 or int(match["serial"]) < 1:
        return None
    return NoticeNumber(match["township"], int(match["serial"]), int(match["year"]),
                        int(match["seq"]))


def township_of(region) -> str | None:
    """The township whose numbers a user's devices issue: their own township, or the
    township of their village; None above the township (they issue no notices)."""
    if region is None:
        return None
    if region.level == "township":
        return region.code
    if region.level == "village":
        return region.parent_code
    return None
