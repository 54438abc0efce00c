"""Reminders for the people in the field (提醒): what the phone's reminder list shows.

The nightly job already reminds inspectors and reviewers of overdue hazards; this sweep
adds, for the village cadres and township inspectors of the area, overdue hazards in
their area, deadlines falling this week, new tasks (a campaign's sites once per
assignee, a follow-up visit once per site) and, for an inspector, their inspections a
reviewer returned. It runs often (`reminders` job); every reminder has a unique key, so
a second run sends nothing twice. The texts stored are a fallback: the phone and the
console write each reminder from its `kind` and `data` in the reader's language.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from server.models import Hazard, Inspection, Notification, Site, Task, User
from server.register import lifecycle as lc
from server.register.notifications import notify, people_over
from server.register.settings import RegisterSettings

FIELD_ROLES = ("village_cadre", "township_inspector")
DUE_DAYS = 7  # "this week": the deadline falls within the next seven days
RECENT_DAYS = 14  # older tasks and returns were reminded of by earlier runs


class _Area:
    """Field people over a region, looked up once per run."""

    def __init__(self, session):
        self.session, self._cache = session, {}

    def people(self, region_code: str) -> list[User]:
        if region_code not in self._cache:
            self._cache[region_code] = people_over(self.session, region_code, FIELD_ROLES)
        return self._cache[region_code]


def _hazard_data(hazard: Hazard) -> dict:
    return {"site_id": str(hazard.site_id), "site_name": hazard.site.name,
            "deadline": hazard.deadline.isoformat() if hazard.deadline else None,
            "severity": hazard.severity}


def _missing(session, keys: set[str]) -> set[str]:
    """The keys no reminder has yet, looked up in chunks (a run checks thousands at once
    instead of one query per reminder)."""
    have: set[str] = set()
    ordered = sorted(keys)
    for i in range(0, len(ordered), 500):
        have.update(session.scalars(select(Notification.key).where(
            Notification.key.in_(ordered[i:i + 500]))))
    return keys - have


def hazards_due(session, area: _Area, today: date) -> int:
    """Overdue hazards of the area, and those whose deadline falls this week."""
    week_end = today + timedelta(days=DUE_DAYS - 1)
    rows = session.scalars(select(Hazard).where(
        Hazard.status != lc.CLOSED, Hazard.deadline.isnot(None), Hazard.deadline <= week_end)
        .order_by(Hazard.deadline, Hazard.id)).all()
    wanted = []
    for hazard in rows:
        kind = "overdue" if hazard.overdue or hazard.deadline < today else "due_soon"
        for user in area.people(hazard.region_code):
            # The same key as the nightly job's reminder: one reminder per person.
            wanted.append((f"{kind}:{hazard.id}:{hazard.deadline}:{user.id}", kind, hazard, user))
    missing = _missing(session, {key for key, *_ in wanted})
    made = 0
    for key, kind, hazard, user in wanted:
        if key not in missing:
            continue
        made += notify(session, key=key, recipient=user, kind=kind, hazard_id=hazard.id,
                       title=f"{'隐患逾期未整改' if kind == 'overdue' else '隐患本周到期'}："
                             f"{hazard.site.name}",
                       body=f"{hazard.description}（整改期限 {hazard.deadline}）",
                       data=_hazard_data(hazard)) is not None
    return made


def new_tasks(session, area: _Area, settings: RegisterSettings, today: date) -> int:
    """Open tasks: a campaign's sites once per assignee, other tasks once per task."""
    since = settings.day_start(today - timedelta(days=RECENT_DAYS))
    tasks = session.scalars(select(Task).where(Task.status == "open", Task.created_at >= since)
                            .order_by(Task.due_date, Task.id)).all()
    campaigns: dict[tuple[str, str], list[Task]] = defaultdict(list)
    made = 0
    for task in tasks:
        assignee = (task.data or {}).get("assignee_id")
        if task.kind == "campaign" and assignee:
            campaigns[(task.data["campaign_id"], assignee)].append(task)
            continue
        site = session.get(Site, task.site_id)
        for user in area.people(task.region_code):
            made += notify(session, key=f"task:{task.id}:{user.id}", recipient=user,
                           kind="task", hazard_id=task.hazard_id, title=task.title,
                           data={"task_id": str(task.id), "task_kind": task.kind,
                                 "site_id": str(task.site_id), "site_name": site.name,
                                 "due": task.due_date.isoformat(), "count": 1}) is not None
    for (campaign_id, assignee_id), group in campaigns.items():
        user = session.get(User, uuid.UUID(assignee_id))
        if user is None or not user.active:
            continue
        first = group[0]
        made += notify(session, key=f"campaign_tasks:{campaign_id}:{user.id}", recipient=user,
                       kind="task", title=f"{first.data.get('campaign', '')}：{len(group)} 处",
                       data={"task_kind": "campaign", "campaign": first.data.get("campaign"),
                             "count": len(group), "due": first.due_date.isoformat()}) is not None
    return made


def returned_inspections(session, settings: RegisterSettings, today: date) -> int:
    """An inspection a reviewer returned for correction, to its inspector."""
    since = settings.day_start(today - timedelta(days=RECENT_DAYS))
    rows = session.scalars(select(Inspection).where(
        Inspection.review_state == "returned", Inspection.superseded_by.is_(None),
        Inspection.reviewed_at >= since).order_by(Inspection.reviewed_at, Inspection.id)).all()
    made = 0
    for inspection in rows:
        user = session.get(User, inspection.inspector_id)
        if user is None or not user.active:
            continue
        site = session.get(Site, inspection.site_id)
        made += notify(session, key=f"returned:{inspection.id}",
                       recipient=user, kind="returned", title=f"检查被退回修改：{site.name}",
                       body=inspection.review_comment or "",
                       data={"inspection_id": str(inspection.id), "site_id": str(site.id),
                             "site_name": site.name,
                             "comment": inspection.review_comment or ""}) is not None
    return made


def remind(session, settings: RegisterSettings, today: date | None = None) -> dict:
    today = today or settings.today()
    area = _Area(session)
    return {"hazards": hazards_due(session, area, today),
            "tasks": new_tasks(session, area, settings, today),
            "returned": returned_inspections(session, settings, today)}
