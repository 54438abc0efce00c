"""People and devices: create, change role/region, revoke a phone — all inside my county."""

from __future__ import annotations

from server.extensions import db
from server.models import AuditEntry, Device, User
from tests.conftest import CITY, COUNTY1, COUNTY2, TOWNSHIP1, TOWNSHIP2, TOWNSHIP3


def _user(user_id):
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_people_list_is_scoped(console, make_user):
    mine = make_user(region=TOWNSHIP1, name="本县检查员")
    make_user(region=TOWNSHIP3, name="外县检查员")
    html = console().get("/console/people").get_data(as_text=True)
    assert "本县检查员" in html and "外县检查员" not in html
    assert console().get(f"/console/people/{mine.id}").status_code == 200


def test_create_user_in_scope_and_not_above_my_role(console):
    c = console()
    resp = c.post("/console/people", {"username": "newbie", "name": "新人", "password": "longenough",
                                      "role": "township_inspector", "region_code": TOWNSHIP1})
    assert resp.status_code == 302
    assert db.session.query(User).filter_by(username="newbie").one().region_code == TOWNSHIP1
    resp = c.post("/console/people", {"username": "boss", "name": "越级", "password": "longenough",
                                      "role": "city_admin", "region_code": TOWNSHIP1})
    assert resp.status_code == 403
    resp = c.post("/console/people", {"username": "far", "name": "外县", "password": "longenough",
                                      "role": "township_inspector", "region_code": TOWNSHIP3})
    assert resp.status_code == 404
    assert db.session.query(User).filter(User.username.in_(["boss", "far"])).count() == 0


def test_change_role_and_region_is_audited_and_scoped(console, make_user):
    person = make_user(region=TOWNSHIP1)
    c = console()
    resp = c.post(f"/console/people/{person.id}", {"role": "village_cadre",
                                                   "region_code": TOWNSHIP2})
    assert resp.status_code == 302
    changed = _user(person.id)
    assert changed.role == "village_cadre" and changed.region_code == TOWNSHIP2
    assert db.session.query(AuditEntry).filter_by(action="user_changed",
                                                  target_id=str(person.id)).count() == 1
    # Not into another county, and not someone from another county.
    assert c.post(f"/console/people/{person.id}", {"region_code": TOWNSHIP3}).status_code == 404
    other = make_user(region=TOWNSHIP3)
    assert c.post(f"/console/people/{other.id}", {"active": "false"}).status_code == 404
    assert _user(other.id).active
    assert console("city_admin", CITY).post(f"/console/people/{other.id}",
                                            {"region_code": COUNTY2}).status_code == 302


def test_devices_show_and_revoke_a_lost_phone(console, auth, client):
    headers = auth("township_inspector", TOWNSHIP1)
    c = console()
    html = c.get(f"/console/people/{headers.user.id}").get_data(as_text=True)
    assert str(headers.client_id) in html
    assert c.post(f"/console/devices/{headers.client_id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(Device, headers.client_id).revoked_at is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_cannot_revoke_another_countys_phone(console, auth):
    headers = auth("township_inspector", TOWNSHIP3)
    assert console(region=COUNTY1).post(
        f"/console/devices/{headers.client_id}/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(Device, headers.client_id).revoked_at is None
