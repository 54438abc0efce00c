"""What happens to each hazard the demo's inspectors find, day by day: the plan, the
site's report of rectification, the verification on site (复查, with an after-photo), and
for major hazards the reviewers' listing (挂牌督办) at county and city level, stop-work
orders, sign-off (销号签批) and delisting. Each step goes through the register's entry
points at its own moment; steps that fall after today have not happened yet, which
leaves hazards in every state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import forms
from server.demo.common import inspection_args, submit
from server.models import Hazard, Inspection
from server.models.types import clock_at
from server.register import actions
from server.register import field as register
from server.register.write import RegisterWrite

_NS = uuid.UUID("a4d3c2b1-0f9e-4c8d-b7a6-5e4f3d2c1b0a")
TOWNSHIP_INSPECTOR = {"330502101": "inspector1", "330502102": "inspector2"}
MEASURES = ["更换合格部件并由专业人员检测", "清理通道、恢复原状", "停用并拆除违规设施",
            "购置合格器材并培训使用"]


@dataclass
class HazardPlan:
    hazard_id: uuid.UUID
    site: object
    checklist: tuple  # (code, version) the hazard was found with
    steps: list = field(default_factory=list)  # (day, hour, name, args)

    @classmethod
    def new(cls, year, hazard_id, site, finder, day: date, checklist) -> HazardPlan:
        rng = year.rng
        hazard = year.session.get(Hazard, hazard_id)
        plan = cls(hazard_id, site, checklist)
        village_cadre = site.region_code == "330502101201"
        inspector = TOWNSHIP_INSPECTOR[site.region_code[:9]]
        reporter = "cadre1" if village_cadre else inspector

        def later(days):
            return day + timedelta(days=days)

        if hazard.severity == "major":
            n = year.major_count = getattr(year, "major_count", 0) + 1
            plan.add(later(1), 15, "plan", inspector)
            plan.add(later(3), 11, "list", "county1", level="county")
            age = (year.today - day).days
            flagship = not getattr(year, "flagship", False) and 60 <= age <= 150
            if n % 3 == 1 or flagship:
                plan.add(later(2), 10, "stop_work", "county1")
            city_listed = n % 4 == 2 or flagship
            if city_listed:
                plan.add(later(12), 10, "list", "admin", level="city")
            if flagship:
                # The county's flagship case: listed at county then city level, stop-work
                # ordered, and still not fixed (overdue).
                year.flagship = True
                return plan
            if not getattr(year, "awaiting_sign_off", False) and 25 <= age <= 60:
                year.awaiting_sign_off = True  # verified on site, waits for the sign-off
                fixed = year.today - timedelta(days=3)
            else:
                fixed = later(rng.randint(20, 45))
            plan.add(fixed, 14, "fix", reporter)
            plan.add(fixed + timedelta(days=2), 10, "verify", inspector)
            # A hazard listed by the city is signed off at the city's level.
            signer = "admin" if city_listed else "county1"
            plan.add(fixed + timedelta(days=5), 16, "sign_off", signer)
            if n % 3 == 1:
                plan.add(fixed + timedelta(days=5), 16, "lift_stop_work", "county1")
            plan.add(fixed + timedelta(days=6), 9, "delist", signer)
            return plan
        roll = rng.random()
        plan.add(later(1), 15, "plan", inspector)
        if roll < 0.75:
            fixed = later(rng.randint(2, 5))
        elif roll < 0.9:
            fixed = later(rng.randint(10, 20))  # after the deadline: flagged overdue
        else:
            return plan  # never fixed
        plan.add(fixed, 14, "fix", reporter)
        plan.add(fixed + timedelta(days=rng.randint(1, 3)), 10, "verify", inspector)
        return plan

    def add(self, day: date, hour: int, name: str, who: str, **args) -> None:
        self.steps.append((day, hour, name, who, args))


class HazardWork:
    def __init__(self, year):
        self.year = year
        self.by_day: dict[date, list] = {}
        self.count = 0

    def plan(self, plan: HazardPlan) -> None:
        self.count += 1
        for day, hour, name, who, args in plan.steps:
            if day <= self.year.today:
                self.by_day.setdefault(day, []).append((hour, name, who, args, plan))

    def on(self, day: date) -> None:
        for hour, name, who, args, plan in sorted(self.by_day.pop(day, []),
                                                  key=lambda s: (s[0], str(s[4].hazard_id))):
            with clock_at(self.year.at(day, hour, self.year.rng.randint(0, 45))):
                getattr(self, "_" + name)(plan, self.year.people[who], day, **args)

    def _unit(self) -> RegisterWrite:
        return RegisterWrite(self.year.session, self.year.settings)

    def _plan(self, plan, actor, day, **_):
        uow = self._unit()
        record = uow.hazard(actor, plan.hazard_id)
        if record.state["status"] != "open":
            return
        fields = {"measures": self.year.rng.choice(MEASURES),
                  "responsible_name": plan.site.contact_name,
                  "responsible_phone": plan.site.contact_phone}
        register.update_hazard(uow, actor, record, fields, [])
        uow.write()

    def _fix(self, plan, actor, day, **_):
        uow = self._unit()
        record = uow.hazard(actor, plan.hazard_id)
        if record.state["status"] in ("open", "rectifying"):
            register.report_rectification(uow, actor, plan.hazard_id, "已按要求整改完毕",
                                          [self._after()])
            uow.write()

    def _after(self) -> str:
        return self.year.rng.choice(self.year.photos["after"])

    def _verify(self, plan, actor, day, **_):
        year = self.year
        checklist = forms.get(*plan.checklist)
        finished = year.at(day, 10, year.rng.randint(0, 50))
        verification = {"hazard_id": plan.hazard_id, "result": "rectified",
                        "note": "现场复查，已整改到位", "photos": [self._after()]}
        args = inspection_args(year, plan.site, checklist,
                               uuid.uuid5(_NS, f"verify:{plan.hazard_id}"), finished, {},
                               kind="verification", verifications=[verification])
        submit(year, actor, args, finished)
        year.made += 1

    def _action(self, plan, actor, action: str, args: dict) -> None:
        hazard = self.year.session.get(Hazard, plan.hazard_id)
        self.year.session.refresh(hazard)
        if action == "sign_off" and hazard.status != "pending_closure":
            return
        if action in ("list", "stop_work") and hazard.status == "closed":
            return
        if action == "delist" and (hazard.status != "closed" or not hazard.listing_level):
            return
        if action == "lift_stop_work" and not hazard.stop_work:
            return
        actions.act(self.year.session, self.year.settings, actor, plan.hazard_id, action, args)

    def _list(self, plan, actor, day, level):
        self._action(plan, actor, "list", {"level": level})

    def _stop_work(self, plan, actor, day, **_):
        self._action(plan, actor, "stop_work", {"order_no": f"吴兴应急停字〔{day.year}〕{self._order()}号"})

    def _lift_stop_work(self, plan, actor, day, **_):
        self._action(plan, actor, "lift_stop_work", {"reason": "整改完毕，恢复生产经营"})

    def _order(self) -> int:
        self.orders = getattr(self, "orders", 0) + 1
        return self.orders

    def _sign_off(self, plan, actor, day, **_):
        self._action(plan, actor, "sign_off", {"note": "复查属实，同意销号"})

    def _delist(self, plan, actor, day, **_):
        self._action(plan, actor, "delist", {"reason": "隐患已销号，解除挂牌督办"})


def checklist_of(session, inspection_id) -> tuple:
    inspection = session.get(Inspection, inspection_id)
    return inspection.checklist_code, inspection.checklist_version
