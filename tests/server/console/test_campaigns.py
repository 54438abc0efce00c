"""Campaigns: create within scope, assign a village to an inspector (tasks for the phone),
coverage per village from inspections inside the window."""

from __future__ import annotations

from datetime import date, timedelta

from server.extensions import db
from server.models import Task
from server.models.campaign import Campaign, CampaignAssignment
from tests.conftest import COUNTY1, TOWNSHIP1, TOWNSHIP3, VILLAGE1, VILLAGE2


def _create(c, **overrides):
    today = date.today()
    data = {"name": "春节前燃气专项", "starts_on": (today - timedelta(days=3)).isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(), "sectors": ["gas"],
            "region_codes": [TOWNSHIP1]}
    data.update(overrides)
    return c.post("/console/campaigns", data)


def test_create_and_see_coverage_per_village(console, world, make_site):
    make_site(region=VILLAGE2, name="没查的面馆")
    make_site(region=VILLAGE1, name="只有消防", sectors=["fire"])
    c = console()
    resp = _create(c)
    assert resp.status_code == 302
    campaign = db.session.query(Campaign).one()
    html = c.get(f"/console/campaigns/{campaign.id}").get_data(as_text=True)
    # 晟舍村: the world's inspected 张记面馆 (the fire-only site is not a gas target);
    # the other village: one site, not inspected.
    assert f'data-region="{VILLAGE1}"' in html and f'data-region="{VILLAGE2}"' in html
    village1 = html.split(f'data-region="{VILLAGE1}"')[1].split("</tr>")[0]
    village2 = html.split(f'data-region="{VILLAGE2}"')[1].split("</tr>")[0]
    assert 'data-rate="100"' in village1 and 'data-rate="0"' in village2
    assert "<svg" in html


def test_campaign_regions_must_be_in_scope(console):
    resp = _create(console(), region_codes=[TOWNSHIP3])
    assert resp.status_code == 404
    assert db.session.query(Campaign).count() == 0
    assert _create(console(), ends_on="2000-01-01").status_code == 422


def test_assign_village_makes_one_task_per_site_for_the_phone(console, world, make_site,
                                                               make_user):
    make_site(region=VILLAGE1, name="第二家")
    c = console()
    _create(c)
    campaign = db.session.query(Campaign).one()
    inspector = world["inspector1"]
    url = f"/console/campaigns/{campaign.id}/assign"
    assert c.post(url, {"region_code": VILLAGE1, "inspector_id": str(inspector.id)}
                  ).status_code == 302
    tasks = db.session.query(Task).filter(Task.key.like(f"campaign:{campaign.id}:%")).all()
    assert len(tasks) == 2 and all(t.data["assignee_id"] == str(inspector.id) for t in tasks)
    # Assigning again (to someone else) moves the same tasks, it does not duplicate them.
    other = make_user(region=TOWNSHIP1)
    assert c.post(url, {"region_code": VILLAGE1, "inspector_id": str(other.id)}
                  ).status_code == 302
    db.session.expire_all()
    tasks = db.session.query(Task).filter(Task.key.like(f"campaign:{campaign.id}:%")).all()
    assert len(tasks) == 2 and all(t.data["assignee_id"] == str(other.id) for t in tasks)
    assert db.session.query(CampaignAssignment).count() == 2


def test_assign_refuses_out_of_scope_people_and_reviewers(console, world, make_user):
    c = console()
    _create(c)
    campaign = db.session.query(Campaign).one()
    url = f"/console/campaigns/{campaign.id}/assign"
    outsider = world["inspector2"]
    assert c.post(url, {"region_code": VILLAGE1, "inspector_id": str(outsider.id)}
                  ).status_code == 404
    reviewer = make_user(role="county_reviewer", region=COUNTY1)
    assert c.post(url, {"region_code": VILLAGE1, "inspector_id": str(reviewer.id)}
                  ).status_code == 403
    assert db.session.query(Task).filter(Task.key.like("campaign:%")).count() == 0


def test_other_county_cannot_see_the_campaign(console):
    _create(console())
    campaign = db.session.query(Campaign).one()
    other = console(region="330521")
    assert other.get(f"/console/campaigns/{campaign.id}").status_code == 404
    assert "春节前燃气专项" not in other.get("/console/campaigns").get_data(as_text=True)


def test_dashboard_shows_running_campaign_coverage(console, world):
    c = console()
    _create(c)
    html = c.get("/console/dashboard").get_data(as_text=True)
    assert html.count("<svg") == 6 and "春节前燃气专项" in html  # 5 register charts + campaigns


def test_a_cross_check_campaign_is_made_and_assigned_across_townships(console, world,
                                                                      make_user):
    c = console()
    assert _create(c, mode="cross_check", region_codes=[TOWNSHIP1]).status_code == 302
    campaign = db.session.query(Campaign).one()
    assert campaign.mode == "cross_check"
    html = c.get("/console/campaigns").get_data(as_text=True)
    assert 'data-mode="cross_check"' in html and "交叉检查" in html
    assert _create(c, mode="secret").status_code == 422
    url = f"/console/campaigns/{campaign.id}/assign"
    own = world["inspector1"]  # of the target township itself: refused
    assert c.post(url, {"region_code": VILLAGE1, "inspector_id": str(own.id)}
                  ).status_code == 422
    other = make_user(region="330502102")  # 八里店镇 cross-checks 织里镇
    assert c.post(url, {"region_code": VILLAGE1, "inspector_id": str(other.id)}
                  ).status_code == 302
    task = db.session.query(Task).filter(Task.key.like(f"campaign:{campaign.id}:%")).first()
    assert task.data["mode"] == "cross_check" and task.data["assignee_id"] == str(other.id)
