"""A year of work in the demo county, written through the product's own write path.

Every day of the last year is replayed at its own moment (`clock_at`): the inspectors'
inspections go through `inspections.submit` on a `RegisterWrite`, the reviewers' decisions
through `inspections.service.review`, their hazard actions through `register.actions`,
reports of rectification through `register.field`, campaigns through
`campaigns.service`, and every night the scheduler's jobs run (overdue, escalation,
follow-up visits; the weekly bulletin on Mondays). Nothing is inserted behind the rules.

Deterministic given the run date: a fixed seed, ids made with UUIDv5 where the demo
chooses them, and the last replayed day is today.

The people (server.demo): 王建国 (织里镇) inspects thoroughly; 李秀英 (八里店镇) visits
many sites and writes up many easy general hazards, next to nothing on gas and never a
major one, so both shallow-inspection signals fire for 八里店镇 (over the dashboard's last
30 days as over the year); 张卫东 patrols the homes of 晟舍村.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

import forms
from server import jobs
from server.demo import photos as pics
from server.demo.answers import can_fail, note
from server.demo.common import Year, inspection_args, pick, submit
from server.demo.hazards import HazardPlan, HazardWork
from server.evidence import service as evidence
from server.inspections import service as inspections
from server.models import Inspection, Site, User
from server.models.types import clock_at
from server.register.settings import RegisterSettings

_NS = uuid.UUID("6c0e7f51-2b8a-4d3e-9a41-7d5b2f0c8e13")
DAYS = 365
RETURN_COMMENTS = ["照片不清晰，请补拍隐患部位照片", "未见负责人签字，请补签", "检查项漏填，请核对后重新提交"]
REJECT_COMMENT = "检查地点与场所位置不符，不予采用"


@dataclass(frozen=True)
class Walker:
    """How one person works: the sites they visit and how they inspect."""

    username: str
    villages: tuple[str, ...]
    per_day: int
    fail_rate: float  # share of inspections that find a hazard
    major_rate: float  # of those, the share whose hazard is major (where one can be)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    kinds: tuple[str, ...] = ()  # only these site kinds (a cadre's household patrol)
    checklists: tuple[str, ...] = ()  # only these checklists
    sector_rates: tuple[tuple[str, float], ...] = ()  # fail_rate in these sectors instead

    def rate(self, sector: str) -> float:
        return dict(self.sector_rates).get(sector, self.fail_rate)


WALKERS = [
    Walker("inspector1", ("330502101201", "330502101202", "330502101203"), 2, 0.45, 0.3),
    # Many easy general hazards, next to nothing on gas, never a major one.
    Walker("inspector2", ("330502102201", "330502102202", "330502102203"), 3, 0.75, 0.0,
           sector_rates=(("gas", 0.02),)),
    Walker("cadre1", ("330502101201",), 1, 0.3, 0.0, weekdays=(1, 3),
           kinds=("household",), checklists=("rural-household-south",)),
]


def present(session) -> bool:
    """Whether the year's work is in the register already (the demo's own inspections)."""
    return bool(session.scalar(select(func.count()).select_from(Inspection)))


def build_year(session, settings: RegisterSettings, open_store, secret: str,
               today: date | None = None) -> dict:
    """Replay the year up to `today` (the local date by default). Commits as it goes."""
    today = today or settings.today()
    year = Year(session, settings, secret, today)
    year.people = {u.username: u for u in session.scalars(select(User))}
    for site in session.scalars(select(Site).order_by(Site.name, Site.id)):
        year.sites.setdefault(site.region_code, []).append(site)
    start = today - timedelta(days=DAYS - 1)
    _upload_photos(year, open_store, start)
    work = HazardWork(year)
    campaigns = _Campaigns(year, start)
    for n in range(DAYS):
        day = start + timedelta(days=n)
        with clock_at(year.at(day, 2)):
            jobs.nightly(session, settings, day)
            if day.weekday() == 0 and (today - day).days < 56:
                jobs.weekly_bulletin(session, settings, day)
        campaigns.on(day)
        if day.weekday() < 5:
            _review(year, day)
            _resubmit(year, day)
        for walker in WALKERS:
            if day.weekday() in walker.weekdays:
                _walk(year, work, walker, day, campaigns.preferred(walker, day))
        work.on(day)
        session.commit()
    with clock_at(year.at(today, 18)):
        jobs.dashboard_rollup(session, settings, today)
    session.commit()
    return {"inspections": year.made, "hazards": work.count}


def _upload_photos(year: Year, open_store, start: date) -> None:
    """The photos and signatures, uploaded once by the township inspector."""
    year.session.commit()
    uploader = year.people["inspector1"]
    with clock_at(year.at(start, 8)):
        for kind, images in pics.photo_set().items():
            year.photos[kind] = []
            for data in images:
                sha = pics.sha256(data)
                evidence.upload(year.session, open_store, uploader, sha, data,
                                "image/png" if kind == "signature" else "image/jpeg",
                                tz=year.settings.tz)
                year.session.commit()  # each upload is its own request
                year.photos[kind].append(sha)
    year.session.commit()


def _checklist(site: Site, walker: Walker, rng: random.Random):
    choices = [c for c in forms.checklists_for(site.kind, site.sectors)
               if c.variant in (None, "south")]
    if walker.checklists:
        choices = [c for c in choices if c.code in walker.checklists]
    return rng.choice(choices) if choices else None


def _walk(year: Year, work: HazardWork, walker: Walker, day: date, preferred: list) -> None:
    actor = year.people[walker.username]
    pool = [s for v in walker.villages for s in year.sites.get(v, [])
            if not walker.kinds or s.kind in walker.kinds]
    for k in range(walker.per_day):
        site = preferred.pop() if preferred else year.rng.choice(pool)
        checklist = _checklist(site, walker, year.rng)
        if checklist is None:
            continue
        finished = year.at(day, 9 + 2 * k, year.rng.randint(0, 50))
        inspection_id = uuid.uuid5(_NS, f"inspection:{walker.username}:{day}:{k}")
        fail = _failures(year, walker, checklist)
        args = inspection_args(year, site, checklist, inspection_id, finished, fail)
        outcome = submit(year, actor, args, finished)
        year.made += 1
        for hazard in outcome.hazards:
            if not hazard["merged"]:
                work.plan(HazardPlan.new(year, hazard["hazard_id"], site, actor, day,
                                         (checklist.code, checklist.version)))


def _failures(year: Year, walker: Walker, checklist) -> dict:
    rng = year.rng
    if rng.random() >= walker.rate(checklist.sector):
        return {}
    failable = [i for i in checklist.items if can_fail(checklist, i)]
    majors = [i for i in failable if i.severity == "major"]
    generals = [i for i in failable if i.severity != "major"]
    pool = majors if majors and rng.random() < walker.major_rate else generals
    if not pool:
        return {}
    item = rng.choice(pool)
    return {item.code: (note(rng.randint(0, 9)), [pick(year, "before")])}


def _review(year: Year, day: date) -> None:
    """The county reviewer works through what was submitted up to two days ago; the last
    two days stay in the queue."""
    reviewer = year.people["county1"]
    cutoff = year.at(day - timedelta(days=2), 23, 59)
    waiting = year.session.scalars(select(Inspection).where(
        Inspection.review_state == "submitted", Inspection.received_at <= cutoff)
        .order_by(Inspection.received_at, Inspection.id)).all()
    with clock_at(year.at(day, 16)):
        for inspection in waiting:
            roll = year.rng.random()
            if roll < 0.06 and inspection.kind == "routine":
                inspections.review(year.session, reviewer, inspection.id, "return",
                                   year.rng.choice(RETURN_COMMENTS))
                owner = next(u for u in year.people.values() if u.id == inspection.inspector_id)
                year.returned.append((inspection.id, owner.username, day))
            elif roll < 0.075 and inspection.kind == "routine":
                inspections.review(year.session, reviewer, inspection.id, "reject",
                                   REJECT_COMMENT)
            else:
                inspections.review(year.session, reviewer, inspection.id, "approve", None)


def _resubmit(year: Year, day: date) -> None:
    """A returned inspection is corrected on the phone two working days later; those
    returned in the last week still wait on the phones."""
    due = [r for r in year.returned if (day - r[2]).days >= 2 and (year.today - r[2]).days > 7]
    for entry in due:
        year.returned.remove(entry)
        old_id, username, _returned_on = entry
        old = year.session.get(Inspection, old_id)
        site = year.session.get(Site, old.site_id)
        checklist = forms.get(old.checklist_code, old.checklist_version)
        fail = {a["item"]: (a.get("note") or note(0), a["photos"]) for a in old.answers
                if a["photos"]}
        finished = year.at(day, 8, 30)
        args = inspection_args(year, site, checklist, uuid.uuid5(_NS, f"again:{old_id}"),
                               finished, fail, supersedes=old_id)
        submit(year, year.people[username], args, finished)
        year.made += 1


class _Campaigns:
    """Two campaigns of the county: last summer's gas campaign (done) and this winter's
    fire campaign (running, partly covered)."""

    PLANS = [("夏季燃气安全专项检查", ["gas"], 150, 60), ("冬春火灾防控专项行动", ["fire"], 20, 50)]

    def __init__(self, year: Year, start: date):
        self.year = year
        self.start = start
        self.running: list = []  # (campaign, ends_on)

    def on(self, day: date) -> None:
        from server.campaigns import service as campaigns

        year = self.year
        for name, sectors, days_ago, length in self.PLANS:
            if day != year.today - timedelta(days=days_ago):
                continue
            actor = year.people["county1"]
            with clock_at(year.at(day, 10)):
                campaign = campaigns.create_campaign(
                    year.session, actor, name=name, starts_on=day,
                    ends_on=day + timedelta(days=length), sectors=sectors,
                    region_codes=["330502"])
                for walker in WALKERS[:2]:
                    for village in walker.villages:
                        campaigns.assign(year.session, actor, campaign.id, region_code=village,
                                         inspector_id=year.people[walker.username].id)
                targets = year.session.scalars(
                    campaigns.target_sites(year.session, actor, campaign)).all()
            self.running.append((campaign, targets))

    def preferred(self, walker: Walker, day: date) -> list:
        """Campaign sites the walker still has to visit today (a few a day)."""
        for campaign, targets in self.running:
            if campaign.starts_on <= day <= campaign.ends_on and not walker.kinds:
                mine = [s for s in targets if s.region_code in walker.villages]
                index = (day - campaign.starts_on).days
                return mine[index * 2 % max(1, len(mine)):][:1]
        return []
