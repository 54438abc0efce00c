"""What the demo's year and its hazards share: the replay's state, the photos it picks,
and an inspection submitted as the phone's push delivers it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from server.demo.answers import answers, checked
from server.evidence import qr
from server.inspections import submit as submission
from server.models import Site, User
from server.models.types import clock_at
from server.register.settings import RegisterSettings
from server.register.write import RegisterWrite


@dataclass
class Year:
    session: object
    settings: RegisterSettings
    secret: str
    today: date
    rng: random.Random = field(default_factory=lambda: random.Random(20261203))
    people: dict = field(default_factory=dict)
    photos: dict = field(default_factory=dict)
    sites: dict = field(default_factory=dict)  # village code → [Site]
    made: int = 0
    returned: list = field(default_factory=list)  # (inspection id, username, day)

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.settings.tz)


def pick(year: Year, kind: str) -> str:
    return year.rng.choice(year.photos[kind])


def inspection_args(year: Year, site: Site, checklist, inspection_id, finished: datetime,
                    fail: dict, *, kind: str = "routine", verifications=(),
                    supersedes=None) -> dict:
    rng = year.rng
    given = checked(checklist, answers(checklist, fail)) if kind != "verification" else []
    args = {
        "id": inspection_id, "site_id": site.id,
        "checklist": {"code": checklist.code, "version": checklist.version}, "kind": kind,
        "started_at": finished - timedelta(minutes=rng.randint(12, 35)),
        "finished_at": finished,
        "location": {"lat": site.lat + rng.uniform(-0.0002, 0.0002),
                     "lon": site.lon + rng.uniform(-0.0002, 0.0002),
                     "accuracy_m": float(rng.randint(5, 25))},
        "scan": {"code": site.code, "sig": qr.sign(site.code, year.secret)},
        "answers": given, "verifications": list(verifications),
        "signatures": {"inspector": pick(year, "signature"), "site": pick(year, "signature")},
    }
    if supersedes:
        args["supersedes"] = supersedes
    return args


def submit(year: Year, actor: User, args: dict, finished: datetime):
    """One inspection as the phone's push delivers it, minutes after it was finished."""
    with clock_at(finished + timedelta(minutes=year.rng.randint(2, 40))):
        uow = RegisterWrite(year.session, year.settings)
        outcome = submission.submit(uow, actor, args, flags=[], client_id=None,
                                    device_sent_at=finished + timedelta(minutes=1))
        uow.write()
    return outcome
