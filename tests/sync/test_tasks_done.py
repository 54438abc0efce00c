"""Follow-ups and campaign tasks done by the visits themselves (issue 17, point 4): a
`follow_up` inspection does the site's 回头看 task, a campaign inspection of the campaign's
sector does its campaign task, each with its result; the phone pulls the task done.
Campaign coverage counts only inspections of the campaign's checklists not refused in
review."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

import forms
from server.campaigns import service as campaigns
from server.evidence import qr
from server.models import Task
from server.models.campaign import Campaign
from tests.conftest import COUNTY1, TOWNSHIP1
from tests.sync.factories import failable_items, inspection_args
from tests.sync.helpers import mutation, pull_all, push


@pytest.fixture
def visit(app, client, field_auth, session):
    headers = field_auth()
    counter = {"mid": 0}

    def do(site, **kw):
        scan = {"code": site.code, "sig": qr.sign(site.code, app.config["SECRET_KEY"])}
        args = inspection_args(site, scan=scan, **kw)
        counter["mid"] += 1
        resp = push(client, headers, [mutation(counter["mid"], "inspection.submit", args)])
        result = resp.get_json()["results"][0]
        assert result["status"] == "applied", result
        return args["id"]

    do.headers = headers
    return do


def _task(session, site, kind, key=None, **data):
    task = Task(key=key or f"{kind}:{uuid.uuid4()}", kind=kind, site_id=site.id,
                region_code=site.region_code, due_date=date.today(), title="回头看",
                data=data)
    session.add(task)
    session.commit()
    return task.id


def _get(session, task_id) -> Task:
    session.expire_all()
    return session.get(Task, task_id)


def test_a_follow_up_visit_does_the_follow_up_task(client, session, make_site, visit):
    site = make_site()
    task_id = _task(session, site, "follow_up")
    visit(site)  # a routine inspection is not the follow-up visit
    assert _get(session, task_id).status == "open"
    inspection_id = visit(site, kind="follow_up", fail=failable_items()[:1])
    task = _get(session, task_id)
    assert task.status == "done" and task.version == 2
    assert task.data["result"]["inspection_id"] == inspection_id
    assert task.data["result"]["outcome"] == "hazards_found"
    assert task.data["result"]["hazards"] == 1
    # The phone pulls the task done (and its result).
    changes, _cursor, _ = pull_all(client, visit.headers)
    pulled = [c for c in changes if c["type"] == "task" and c["id"] == str(task_id)]
    assert pulled and pulled[-1]["data"]["status"] == "done"
    assert pulled[-1]["version"] == 2


def test_a_follow_up_at_another_site_or_a_done_task_is_left_alone(session, make_site, visit):
    site, other = make_site(), make_site(name="另一家")
    task_id = _task(session, site, "follow_up")
    visit(other, kind="follow_up")
    assert _get(session, task_id).status == "open"
    visit(site, kind="follow_up")
    first = _get(session, task_id).data["result"]
    visit(site, kind="follow_up")  # a second visit does not redo a done task
    assert _get(session, task_id).data["result"] == first
    assert first["outcome"] == "no_hazards"


def test_a_campaign_visit_of_the_campaigns_sector_does_its_task(session, make_site, visit):
    site = make_site()
    starts = (date.today() - timedelta(days=1)).isoformat()
    gas = _task(session, site, "campaign", sectors=["gas"], starts_on=starts)
    fire = _task(session, site, "campaign", sectors=["fire"], starts_on=starts)
    later = _task(session, site, "campaign", sectors=["gas"],
                  starts_on=(date.today() + timedelta(days=5)).isoformat())
    visit(site, code="gas-restaurant")
    assert _get(session, gas).status == "done"
    assert _get(session, fire).status == "open"  # another sector's checklist
    assert _get(session, later).status == "open"  # before the campaign's window


def test_coverage_counts_the_campaigns_checklists_not_refused(app, client, auth, session,
                                                             make_user, make_site, visit):
    site_ok, site_returned, site_fire = (make_site(name=n) for n in ("甲", "乙", "丙"))
    make_site(name="丁", sectors=["gas"])  # never inspected
    reviewer = make_user("county_reviewer", COUNTY1)
    today = date.today()
    campaign = campaigns.create_campaign(
        session, reviewer, name="燃气专项", starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=10), sectors=["gas"], region_codes=[TOWNSHIP1])
    session.commit()
    visit(site_ok, code="gas-restaurant")
    returned = visit(site_returned, code="gas-restaurant")
    fire_code = next(c.code for c in forms.published() if c.sector == "fire")
    visit(site_fire, code=fire_code)
    headers = auth("county_reviewer", COUNTY1)
    resp = client.post(f"/api/v1/inspections/{returned}/review",
                       json={"decision": "return", "comment": "照片不清"}, headers=headers)
    assert resp.status_code == 200
    session.expire_all()
    campaign = session.get(Campaign, campaign.id)
    rows = campaigns.coverage(session, reviewer, campaign, app.config["TZ"])
    assert sum(r.sites for r in rows) == 4
    assert sum(r.inspected for r in rows) == 1  # only 甲: 乙 returned, 丙 a fire checklist


def test_a_push_reads_the_open_tasks_of_all_its_sites_in_one_query(
        app, client, field_auth, session, make_site):
    """A batch of follow-up visits to several sites: each site's task is done, and the
    tasks are read once for the push, not once per inspection."""
    from sqlalchemy import event

    from server.extensions import db

    headers = field_auth()
    sites = [make_site() for _ in range(4)]
    tasks = [_task(session, site, "follow_up") for site in sites]
    body = [mutation(i + 1, "inspection.submit", inspection_args(site, kind="follow_up"))
            for i, site in enumerate(sites)]
    reads = []

    def count(_conn, _cursor, statement, *_):
        if statement.lstrip().upper().startswith("SELECT") and "FROM TASKS" in " ".join(
                statement.upper().split()):
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        resp = push(client, headers, body)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [r["status"] for r in resp.get_json()["results"]] == ["applied"] * 4
    assert all(_get(session, t).status == "done" for t in tasks)
    # One read of the push's sites' tasks (SQLite plans a push of 4 in the write
    # transaction; a planned push would read again to check its plan).
    assert len(reads) == 1, reads
