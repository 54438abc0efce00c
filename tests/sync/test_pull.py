"""Pull over HTTP: scope, paging, removes, cursor_reset, checklists, last_mutation_id."""

import uuid

import forms
from server.extensions import db
from server.models import User
from tests.conftest import COUNTY1, TOWNSHIP1, TOWNSHIP2, VILLAGE1, VILLAGE2, VILLAGE4
from tests.server.test_errors import assert_error
from tests.sync.helpers import apply_changes, mutation, pull_all, push, site_args


def _sites(changes):
    return {c["id"]: c for c in changes if c["type"] == "site" and c["op"] == "put"}


def test_first_pull_is_scoped_and_complete_across_pages(client, auth, make_site):
    mine = [make_site(region=VILLAGE1, name=f"店{i}") for i in range(7)]
    make_site(region=VILLAGE2)
    make_site(region=VILLAGE4)  # another township
    headers = auth(region=TOWNSHIP1)
    changes, _, last = pull_all(client, headers, limit=3)
    sites = _sites(changes)
    assert len(sites) == 8 and {str(s.id) for s in mine} <= set(sites)
    assert sites[str(mine[0].id)]["data"]["name"] == "店0"
    assert last["last_mutation_id"] == 0
    checklists = [c for c in changes if c["type"] == "checklist"]
    assert {c["id"] for c in checklists} == {f"{c.code}:{c.version}" for c in forms.load_all()}
    assert checklists[0]["data"]["items"]


def test_incremental_pull_serves_only_new_changes(client, auth, make_site):
    site = make_site()
    headers = auth()
    _, cursor, _ = pull_all(client, headers)
    empty, cursor2, body = pull_all(client, headers, cursor=cursor)
    assert empty == [] and body["has_more"] is False
    push(client, headers, [mutation(1, "site.update", {
        "id": str(site.id), "base_version": 1, "changes": {"name": "新名字"}})])
    changes, _, body = pull_all(client, headers, cursor=cursor2)
    assert [(c["id"], c["version"], c["data"]["name"]) for c in changes] == [
        (str(site.id), 2, "新名字")]
    assert body["last_mutation_id"] == 1


def test_site_leaving_scope_is_removed_and_entering_is_put(client, auth, make_site):
    site = make_site(region=VILLAGE1)
    t1, t2, county = auth(region=TOWNSHIP1), auth(region=TOWNSHIP2), auth(region=COUNTY1)
    stores = {}
    cursors = {}
    for name, h in (("t1", t1), ("t2", t2), ("county", county)):
        changes, cursors[name], _ = pull_all(client, h)
        stores[name] = apply_changes({}, changes)
    assert ("site", str(site.id)) in stores["t1"] and ("site", str(site.id)) not in stores["t2"]
    mover = auth(region=COUNTY1)
    resp = push(client, mover, [mutation(1, "site.update", {
        "id": str(site.id), "base_version": 1, "changes": {"region_code": VILLAGE4}})])
    assert resp.get_json()["results"][0]["status"] == "applied"
    for name, h in (("t1", t1), ("t2", t2), ("county", county)):
        changes, cursors[name], _ = pull_all(client, h, cursor=cursors[name])
        apply_changes(stores[name], changes)
    key = ("site", str(site.id))
    assert key not in stores["t1"]
    assert stores["t2"][key]["data"]["region_code"] == VILLAGE4
    assert stores["county"][key]["data"]["region_code"] == VILLAGE4
    # A device that never pulled before sees the site once, in its new place.
    fresh, _, _ = pull_all(client, auth(region=TOWNSHIP2))
    assert [c["op"] for c in fresh if c["id"] == str(site.id)] == ["put"]


def test_scope_change_resets_cursor(client, auth, session, make_site):
    make_site()
    headers = auth(region=TOWNSHIP1)
    _, cursor, _ = pull_all(client, headers)
    user = session.get(User, headers.user.id)
    user.region_code = TOWNSHIP2
    session.commit()
    resp = client.get("/api/v1/sync/pull", query_string={"cursor": cursor}, headers=headers)
    assert_error(resp, 409, "cursor_reset")
    # Starting over works and shows the new area.
    changes, _, _ = pull_all(client, headers)
    assert _sites(changes) == {}


def test_foreign_or_forged_cursor_is_reset(client, auth, make_site):
    make_site()
    a, b = auth(), auth()
    _, cursor, _ = pull_all(client, a)
    assert_error(client.get("/api/v1/sync/pull", query_string={"cursor": cursor}, headers=b),
                 409, "cursor_reset")
    assert_error(client.get("/api/v1/sync/pull", query_string={"cursor": "x" + cursor},
                            headers=a), 409, "cursor_reset")
    assert_error(client.get("/api/v1/sync/pull", query_string={"limit": 0}, headers=a),
                 422, "validation_error")
    assert_error(client.get("/api/v1/sync/pull", query_string={"since": 1}, headers=a),
                 422, "validation_error")


def test_a_created_site_is_pulled_by_its_creator(client, auth):
    headers = auth()
    args = site_args()
    push(client, headers, [mutation(1, "site.create", args)])
    changes, _, body = pull_all(client, headers)
    assert _sites(changes)[args["id"]]["data"]["name"] == args["name"]
    assert body["last_mutation_id"] == 1


def test_deleted_site_is_removed(client, auth, session, make_site):
    site = make_site()
    headers = auth()
    _, cursor, _ = pull_all(client, headers)
    db.session.delete(session.get(type(site), site.id))
    session.commit()
    changes, _, _ = pull_all(client, headers, cursor=cursor)
    assert [(c["id"], c["op"]) for c in changes] == [(str(site.id), "remove")]
    assert uuid.UUID(changes[0]["id"]) == site.id


def test_notifications_reach_only_their_recipient_through_pull(client, auth, session):
    from server.models import Notification

    a, b = auth(region=TOWNSHIP1), auth(region=TOWNSHIP1)
    note = Notification(key=f"test:{uuid.uuid4()}", recipient_id=a.user.id,
                        region_code=TOWNSHIP1, kind="overdue", title="隐患已逾期")
    session.add(note)
    session.commit()
    mine, _, _ = pull_all(client, a)
    theirs, _, _ = pull_all(client, b)
    notes = [c for c in mine if c["type"] == "notification"]
    assert [(c["id"], c["op"]) for c in notes] == [(str(note.id), "put")]
    assert [c for c in theirs if c["type"] == "notification"] == []
    listed = client.get("/api/v1/notifications", headers=a).get_json()
    assert str(note.id) in {n["id"] for n in listed["items"]}


def test_pulled_rows_are_the_models_pull_data(app, client, field_auth, session, make_site):
    """The feed serialises plain rows with per-column encoders; what a device gets must be
    what `pull_data` makes of the ORM object (dates, ids, JSON, nulls alike)."""
    from sqlalchemy import select

    from server.models import Hazard, Inspection, Site
    from sync.pull import pull_data
    from tests.sync.factories import failable_items, inspection_args

    site = make_site(region=VILLAGE1, contact_phone=None)
    headers = field_auth(region=TOWNSHIP1)
    args = inspection_args(site, fail=failable_items()[:1])
    assert push(client, headers, [mutation(1, "inspection.submit", args)]).status_code == 200
    changes, _, _ = pull_all(client, headers)
    served = {(c["type"], c["id"]): c["data"] for c in changes if c["op"] == "put"}
    session.expire_all()
    objects = [session.get(Site, site.id), session.scalar(select(Hazard)),
               session.get(Inspection, uuid.UUID(args["id"]))]
    for obj in objects:
        expected = pull_data(obj)
        assert served[(type(obj).__pull_type__, str(obj.id))] == expected
    hazard = served[("hazard", str(objects[1].id))]
    assert isinstance(hazard["found_at"], str) and isinstance(hazard["site_id"], str)
    assert served[("site", str(site.id))]["contact_phone"] is None
