"""Reminders that reach the field (issue 17): the `reminders` job, the unread counts, marking
read per user over HTTP and offline through the push, and the pull to the recipient only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server import jobs
from server.extensions import register_settings
from server.models import Notification, Task
from server.register.notifications import notify
from tests.conftest import COUNTY1, TOWNSHIP1, TOWNSHIP2, VILLAGE1, VILLAGE2, VILLAGE4
from tests.server.test_errors import assert_error
from tests.sync.helpers import mutation, pull_all, push


def _mine(session, user, kind=None):
    stmt = select(Notification).where(Notification.recipient_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return session.scalars(stmt.order_by(Notification.created_at)).all()


@pytest.fixture
def field(make_user):
    return {"inspector": make_user(region=TOWNSHIP1),
            "cadre": make_user("village_cadre", VILLAGE1),
            "other_cadre": make_user("village_cadre", VILLAGE2),
            "far": make_user(region=TOWNSHIP2),
            "reviewer": make_user("county_reviewer", COUNTY1)}


def test_hazards_due_this_week_and_overdue_reach_the_area_once(session, field, make_site,
                                                               report, register):
    settings = register_settings()
    today = settings.today()
    site = make_site()  # in VILLAGE1
    due = report(field["inspector"], site)
    late = report(field["inspector"], site, sector="fire")
    register.update_hazard(field["inspector"], due.id, {"deadline": today + timedelta(days=3),
                                                        "measures": "更换软管"}, [])
    register.update_hazard(field["inspector"], late.id, {"deadline": today + timedelta(days=30),
                                                         "measures": "清理通道"}, [])
    session.commit()
    first = jobs.reminders(session, settings, today)
    session.commit()
    # The village's cadre and the township's inspector; not the next village or township.
    assert first["hazards"] == 2
    assert [n.kind for n in _mine(session, field["cadre"])] == ["due_soon"]
    assert _mine(session, field["other_cadre"]) == [] and _mine(session, field["far"]) == []
    assert _mine(session, field["reviewer"]) == []
    [note] = _mine(session, field["cadre"])
    assert note.hazard_id == due.id and note.data["site_name"] == site.name
    assert note.data["deadline"] == (today + timedelta(days=3)).isoformat()
    assert jobs.reminders(session, settings, today) == {"hazards": 0, "tasks": 0, "returned": 0}
    # Past the deadline: overdue, with the nightly job's key (one reminder per person).
    later = today + timedelta(days=4)
    jobs.nightly(session, settings, later)
    jobs.reminders(session, settings, later)
    session.commit()
    assert [n.kind for n in _mine(session, field["cadre"])] == ["due_soon", "overdue"]
    assert len(_mine(session, field["inspector"], "overdue")) == 1


def test_tasks_once_per_task_and_campaign_sites_once_per_assignee(session, field, make_site):
    settings = register_settings()
    today = settings.today()
    site = make_site()
    follow_up = Task(key=f"follow_up:{uuid.uuid4()}", kind="follow_up", site_id=site.id,
                     region_code=site.region_code, due_date=today, title="回头看")
    campaign_id = str(uuid.uuid4())
    sites = [make_site() for _ in range(3)]
    for s in sites:
        session.add(Task(key=f"campaign:{campaign_id}:{s.id}", kind="campaign", site_id=s.id,
                         region_code=s.region_code, due_date=today + timedelta(days=20),
                         title="燃气专项", data={"campaign_id": campaign_id,
                                             "campaign": "燃气专项整治",
                                             "assignee_id": str(field["inspector"].id)}))
    session.add(follow_up)
    session.commit()
    assert jobs.reminders(session, settings, today)["tasks"] == 3  # 2 field people + 1 campaign
    session.commit()
    tasks = _mine(session, field["inspector"], "task")
    assert sorted(n.data["count"] for n in tasks) == [1, 3]
    campaign = next(n for n in tasks if n.data["task_kind"] == "campaign")
    assert campaign.data["campaign"] == "燃气专项整治"
    assert [n.data["task_kind"] for n in _mine(session, field["cadre"], "task")] == ["follow_up"]
    assert jobs.reminders(session, settings, today)["tasks"] == 0


def test_a_returned_inspection_reminds_its_inspector(session, field, make_site, submit):
    settings = register_settings()
    inspection = submit(field["inspector"], make_site()).inspection
    inspection.review_state, inspection.review_comment = "returned", "照片看不清"
    inspection.reviewed_at = datetime.now(UTC)
    session.commit()
    assert jobs.reminders(session, settings)["returned"] == 1
    session.commit()
    [note] = _mine(session, field["inspector"], "returned")
    assert note.data["comment"] == "照片看不清"
    assert note.data["inspection_id"] == str(inspection.id)
    assert jobs.reminders(session, settings)["returned"] == 0


def _three(session, user):
    for n, kind in enumerate(("overdue", "overdue", "bulletin")):
        notify(session, key=f"t{n}:{user.id}", recipient=user, kind=kind, title="提醒")
    session.commit()
    return [n.id for n in _mine(session, user)]


def test_unread_counts_and_marking_read_over_http(client, auth, session):
    headers, other = auth(region=TOWNSHIP1), auth(region=TOWNSHIP1)
    ids = _three(session, headers.user)
    theirs = _three(session, other.user)
    counts = client.get("/api/v1/notifications/unread", headers=headers).get_json()
    assert counts == {"unread": 3, "by_kind": {"overdue": 2, "bulletin": 1}}
    listed = client.get("/api/v1/notifications?kind=bulletin", headers=headers).get_json()
    assert listed["total"] == 1
    url = "/api/v1/notifications/read"
    answer = client.post(url, json={"ids": [str(ids[0])]}, headers=headers)
    assert answer.status_code == 200 and answer.get_json() == {"read": 1}
    # Someone else's id answers as if it did not exist, and nothing is marked.
    assert_error(client.post(url, json={"ids": [str(ids[1]), str(theirs[0])]}, headers=headers),
                 404, "not_found")
    assert client.get("/api/v1/notifications/unread", headers=headers).get_json()["unread"] == 2
    assert client.post(url, json={"all": True, "kind": "overdue"},
                       headers=headers).get_json() == {"read": 1}
    assert client.post(url, json={"all": True}, headers=headers).get_json() == {"read": 1}
    assert client.get("/api/v1/notifications/unread", headers=headers).get_json() == \
        {"unread": 0, "by_kind": {}}
    assert client.get("/api/v1/notifications/unread", headers=other).get_json()["unread"] == 3
    for bad in ({}, {"ids": []}, {"ids": ["nope"]}, {"ids": [str(ids[0])], "all": True},
                {"all": False}, {"all": True, "kind": "gossip"},
                {"ids": [str(ids[0])], "kind": "overdue"}, {"ids": [str(ids[0])], "x": 1}):
        assert_error(client.post(url, json=bad, headers=headers), 422, "validation_error")
    assert_error(client.get("/api/v1/notifications?kind=gossip", headers=headers),
                 422, "validation_error")
    assert client.get("/api/v1/notifications/unread").status_code == 401


def test_reminders_are_pulled_by_their_recipient_and_read_offline_by_push(client, auth,
                                                                         session):
    headers = auth("village_cadre", VILLAGE1)
    neighbour = auth("village_cadre", VILLAGE1)
    elsewhere = auth("village_cadre", VILLAGE4)
    ids = _three(session, headers.user)
    _three(session, neighbour.user)
    changes, cursor, _ = pull_all(client, headers)
    pulled = {c["id"]: c["data"] for c in changes if c["type"] == "notification"}
    assert set(pulled) == {str(i) for i in ids}
    assert all(d["read_at"] is None and d["kind"] in ("overdue", "bulletin")
               for d in pulled.values())
    assert not [c for c in pull_all(client, elsewhere)[0] if c["type"] == "notification"]

    answer = push(client, headers, [
        mutation(1, "notification.read", {"ids": [str(ids[0]), str(ids[1])]}),
        mutation(2, "notification.read", {"ids": [str(uuid.uuid4())]}),
        mutation(3, "notification.read", {"ids": []}),
        mutation(4, "notification.read", {"ids": [str(ids[2])], "all": True}),
    ]).get_json()
    assert [r["status"] for r in answer["results"]] == ["applied", "rejected", "rejected",
                                                        "rejected"]
    assert [r["error"]["code"] for r in answer["results"][1:]] == \
        ["not_found", "validation_error", "validation_error"]
    assert answer["last_mutation_id"] == 4
    # The same mutation again is a duplicate: nothing changes.
    again = push(client, headers, [mutation(1, "notification.read",
                                            {"ids": [str(ids[0])]})]).get_json()
    assert again["results"][0]["status"] == "duplicate"
    changes, _, _ = pull_all(client, headers, cursor)
    read = {c["id"] for c in changes if c["type"] == "notification" and c["data"]["read_at"]}
    assert read == {str(ids[0]), str(ids[1])}
    unread = session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient_id == headers.user.id, Notification.read_at.is_(None)))
    assert unread == 1
