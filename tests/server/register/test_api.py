"""The register's HTTP API: list, detail, staff actions, review, notifications, scope."""

from __future__ import annotations

import threading
import uuid

import pytest

from tests.conftest import CITY, COUNTY1, COUNTY2, TOWNSHIP1, TOWNSHIP2, TOWNSHIP3, VILLAGE4
from tests.server.register.conftest import sha
from tests.server.test_errors import assert_error


@pytest.fixture
def world(session, make_user, make_site, report, submit):
    """Two hazards in township 1, one in township 2, one inspection."""
    inspector = make_user(region=TOWNSHIP1)
    site = make_site()
    a = report(inspector, site, severity="major", item="GAS-R-03")
    b = report(inspector, site, sector="fire")
    c = report(make_user(region=TOWNSHIP2), make_site(region=VILLAGE4))
    inspection = submit(inspector, site, fail=("GAS-R-01",)).inspection
    return {"inspector": inspector, "site": site, "a": a, "b": b, "c": c,
            "inspection": inspection}


def test_list_filters_sorts_and_paginates(client, auth, world):
    county = auth("county_reviewer", COUNTY1)
    body = client.get("/api/v1/hazards", headers=county).get_json()
    assert body["total"] == 4 and body["page"] == 1
    assert client.get("/api/v1/hazards", headers=auth(region=TOWNSHIP1)).get_json()["total"] == 3
    def total(q):
        return client.get(f"/api/v1/hazards?{q}", headers=county).get_json()["total"]
    assert total("severity=major") == 1
    assert total("sector=fire") == 1 and total("sector=fire,gas") == 4
    assert total(f"region={TOWNSHIP2}") == 1
    assert total("status=open&overdue=false&listed=false") == 4
    assert total(f"site_id={world['site'].id}") == 3
    assert total("source=public_report") == 0
    assert total("found_from=2000-01-01&found_to=2100-01-01") == 4
    assert total("found_to=2000-01-01") == 0
    page = client.get("/api/v1/hazards?per_page=3&page=2&sort=severity", headers=county)
    assert len(page.get_json()["items"]) == 1
    assert_error(client.get("/api/v1/hazards?sort=random", headers=county), 422,
                 "validation_error")
    assert_error(client.get(f"/api/v1/hazards?region={COUNTY2}", headers=auth(region=TOWNSHIP1)),
                 404, "not_found")


def test_detail_has_findings_events_and_answers_merged_ids(client, auth, session, world,
                                                           report):
    alias = uuid.uuid4()
    report(world["inspector"], world["site"], item="GAS-R-03", hazard_id=alias)
    headers = auth(region=TOWNSHIP1)
    body = client.get(f"/api/v1/hazards/{alias}", headers=headers).get_json()
    assert body["id"] == str(world["a"].id) != str(alias)
    assert [e["type"] for e in body["events"]] == ["found", "refound"]
    assert len(body["findings"]) == 2 and body["listing"] is None
    assert body["events"][0]["actor"]["id"] == str(world["inspector"].id)


def test_staff_actions_drive_a_major_hazard_to_closure(client, auth, session, world, register):
    reviewer = auth("county_reviewer", COUNTY1)
    url = f"/api/v1/hazards/{world['a'].id}/actions"
    session.commit()  # end the test's own (write-locking on SQLite) transaction first
    plan = {"action": "plan", "measures": "钢瓶移出地下室", "deadline": "2030-06-30",
            "responsible_name": "张老板"}
    body = client.post(url, json=plan, headers=auth(region=TOWNSHIP1)).get_json()
    assert body["status"] == "rectifying" and body["deadline"] == "2030-06-30"
    listed = client.post(url, json={"action": "list", "level": "county"}, headers=reviewer)
    assert listed.get_json()["listing"]["level"] == "county"
    assert client.post(url, json={"action": "stop_work", "order_no": "停〔2026〕3号"},
                       headers=reviewer).get_json()["stop_work"] is True
    register.verify(world["inspector"], world["a"].id, "rectified", None, [sha("ok")])
    session.commit()
    done = client.post(url, json={"action": "sign_off"}, headers=reviewer).get_json()
    assert done["status"] == "closed" and done["closed_at"]
    again = client.post(url, json={"action": "sign_off"}, headers=reviewer)
    assert_error(again, 409, "invalid_transition")


def test_action_arguments_and_permissions(client, auth, world):
    url = f"/api/v1/hazards/{world['b'].id}/actions"
    inspector, reviewer = auth(region=TOWNSHIP1), auth("county_reviewer", COUNTY1)
    assert_error(client.post(url, json={"action": "list", "level": "county"}, headers=inspector),
                 403, "forbidden")
    assert_error(client.post(url, json={"action": "list", "level": "county"}, headers=reviewer),
                 409, "invalid_transition")
    err = assert_error(client.post(url, json={"action": "plan", "measures": "x"},
                                   headers=inspector), 422, "validation_error")
    assert set(err["details"]) == {"deadline", "responsible_name"}
    err = assert_error(client.post(url, json={"action": "comment", "text": "x", "level": "city"},
                                   headers=inspector), 422, "validation_error")
    assert "level" in err["details"]
    assert_error(client.post(url, json={"action": "comment", "text": "x", "status": "closed"},
                             headers=inspector), 422, "validation_error")
    stale = client.post(url, json={"action": "comment", "text": "x", "version": 9},
                        headers=reviewer)
    assert_error(stale, 409, "conflict")
    ok = client.post(url, json={"action": "comment", "text": "请尽快整改"}, headers=reviewer)
    assert ok.status_code == 200 and ok.get_json()["version"] == 1


def test_every_endpoint_hides_other_regions(client, auth, world):
    outsider = auth(region=TOWNSHIP3)
    outsider_reviewer = auth("county_reviewer", COUNTY2)
    hid, iid = world["a"].id, world["inspection"].id
    for headers in (outsider, outsider_reviewer):
        assert_error(client.get(f"/api/v1/hazards/{hid}", headers=headers), 404, "not_found")
        assert_error(client.post(f"/api/v1/hazards/{hid}/actions",
                                 json={"action": "comment", "text": "x"}, headers=headers),
                     404, "not_found")
        assert_error(client.get(f"/api/v1/inspections/{iid}", headers=headers), 404, "not_found")
        assert client.get("/api/v1/hazards", headers=headers).get_json()["total"] == 0
        assert client.get("/api/v1/inspections", headers=headers).get_json()["total"] == 0
    assert_error(client.post(f"/api/v1/inspections/{iid}/review", json={"decision": "approve"},
                             headers=outsider_reviewer), 404, "not_found")
    city = auth("city_admin", CITY)
    assert client.get(f"/api/v1/hazards/{hid}", headers=city).status_code == 200


def test_inspection_read_and_review(client, auth, world):
    iid = world["inspection"].id
    body = client.get(f"/api/v1/inspections/{iid}", headers=auth(region=TOWNSHIP1)).get_json()
    assert body["review_state"] == "submitted" and body["checklist"]["code"] == "gas-restaurant"
    assert len(body["hazard_ids"]) == 1 and body["awaiting_media"] is False
    assert_error(client.post(f"/api/v1/inspections/{iid}/review", json={"decision": "approve"},
                             headers=auth(region=TOWNSHIP1)), 403, "forbidden")
    reviewer = auth("county_reviewer", COUNTY1)
    queue = client.get("/api/v1/inspections?review_state=submitted", headers=reviewer).get_json()
    assert [i["id"] for i in queue["items"]] == [str(iid)]
    done = client.post(f"/api/v1/inspections/{iid}/review",
                       json={"decision": "return", "comment": "照片不清"}, headers=reviewer)
    assert done.get_json()["review_state"] == "returned"
    assert_error(client.post(f"/api/v1/inspections/{iid}/review", json={"decision": "approve"},
                             headers=reviewer), 409, "invalid_transition")
    assert_error(client.post(f"/api/v1/inspections/{iid}/review", json={"decision": "maybe"},
                             headers=reviewer), 422, "validation_error")


def test_two_reviewers_sign_off_at_once_one_wins(app, client, auth, session, world, register):
    inspector = world["inspector"]
    register.verify(inspector, world["a"].id, "rectified", None, [sha("after")])
    session.commit()
    assert world["a"].status == "pending_closure"
    reviewers = [auth("county_reviewer", COUNTY1), auth("city_admin", CITY)]
    barrier = threading.Barrier(2)
    results = []
    url = f"/api/v1/hazards/{world['a'].id}/actions"
    session.commit()  # end the test's own (write-locking on SQLite) transaction first

    def sign(headers):
        c = app.test_client()
        barrier.wait()
        resp = c.post(url, json={"action": "sign_off"}, headers=headers)
        results.append((resp.status_code, resp.get_json()))

    threads = [threading.Thread(target=sign, args=(h,)) for h in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    statuses = sorted(code for code, _ in results)
    assert statuses == [200, 409], results
    loser = next(body for code, body in results if code == 409)
    assert loser["error"]["code"] in ("invalid_transition", "conflict")
    assert "closed" in loser["error"]["message"] or loser["error"]["code"] == "conflict"
    session.expire_all()
    events = [e.type for e in register.events_of(world["a"].id)]
    assert events.count("signed_off") == 1


def test_notifications_are_private(client, auth, session, make_user, register):
    from server.register.notifications import notify

    headers = auth(region=TOWNSHIP1)
    notify(session, key="k1", recipient=headers.user, kind="overdue", title="隐患逾期")
    assert notify(session, key="k1", recipient=headers.user, kind="overdue", title="x") is None
    session.commit()
    body = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert body["total"] == 1 and body["items"][0]["title"] == "隐患逾期"
    nid = body["items"][0]["id"]
    assert_error(client.post(f"/api/v1/notifications/{nid}/read", headers=auth(region=TOWNSHIP1)),
                 404, "not_found")
    assert client.post(f"/api/v1/notifications/{nid}/read", headers=headers).status_code == 200
    assert client.get("/api/v1/notifications?unread=true", headers=headers).get_json()["total"] == 0
