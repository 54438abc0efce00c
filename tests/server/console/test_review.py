"""Review queue and inspection page: filters, evidence, and the three decisions."""

from __future__ import annotations

from server.extensions import db
from server.models import AuditEntry, Inspection
from tests.conftest import CITY, COUNTY2, TOWNSHIP1, TOWNSHIP2
from tests.server.register.conftest import inspection_args, sha, submit_now


def _state(inspection_id):
    db.session.expire_all()
    return db.session.get(Inspection, inspection_id)


def test_queue_lists_only_my_county(console, world):
    html = console().get("/console/review").get_data(as_text=True)
    assert "张记面馆" in html and "李家饭店" not in html
    html = console("city_admin", CITY).get("/console/review").get_data(as_text=True)
    assert "张记面馆" in html and "李家饭店" in html


def test_queue_filters(console, world, make_site, make_user, submit):
    other = make_site(region="330502102201", name="王氏小吃")
    submit(make_user(region=TOWNSHIP2), other, flags=["no_qr_scan"])
    c = console()
    page = lambda q: c.get("/console/review?" + q).get_data(as_text=True)  # noqa: E731
    assert "王氏小吃" not in page(f"township={TOWNSHIP1}")
    assert "王氏小吃" in page(f"township={TOWNSHIP2}")
    html = page("flag=gps_far")
    assert "张记面馆" in html and "王氏小吃" not in html
    html = page("flag=no_qr_scan")
    assert "张记面馆" not in html and "王氏小吃" in html
    assert "张记面馆" in page("sector=gas&checklist=gas-restaurant")
    assert "张记面馆" not in page("sector=fire")
    assert "没有记录" in page("date_from=2001-01-01&date_to=2001-01-02")
    # The fixture's photos were never uploaded: every inspection still awaits them.
    assert "张记面馆" in page("awaiting=true")
    assert "没有记录" in page("awaiting=false")


def test_queue_refuses_unknown_filters_and_townships_outside_scope(console, world):
    c = console()
    assert c.get("/console/review?colour=red").status_code == 422
    assert c.get("/console/review?township=330521102").status_code == 404


def test_inspection_page_shows_answers_hazards_location_flags_signatures(console, world):
    i = world["inspection1"]
    resp = console().get(f"/console/inspections/{i.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "GAS-R-01" in html and "GAS-R-03" in html
    assert 'class="fail"' in html
    assert "定位距场所过远" in html  # the gps_far flag
    assert 'data-distance="0"' in html  # the fixture inspects at the registered spot
    assert html.count("/console/blobs/") >= 4  # two failed-item photos + two signatures
    assert "检查人签字" in html and "场所签字" in html
    for hazard_id in i.hazard_ids:
        assert f"/console/hazards/{hazard_id}" in html


def test_approve_records_reviewer_and_audit_and_moves_to_next(console, world, make_site, submit):
    later = submit(world["inspector1"], make_site(name="第二家")).inspection
    c = console()
    i = world["inspection1"]
    page = c.get(f"/console/inspections/{i.id}").get_data(as_text=True)
    assert f'data-next="/console/inspections/{later.id}' in page
    resp = c.post(f"/console/inspections/{i.id}/review",
                  {"decision": "approve", "next_id": str(later.id), "queue": ""})
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(f"/console/inspections/{later.id}")
    row = _state(i.id)
    assert row.review_state == "approved" and row.reviewer_id == c.user.id
    assert db.session.query(AuditEntry).filter_by(action="inspection.approve",
                                                  target_id=str(i.id)).count() == 1


def test_return_needs_a_comment_that_the_inspector_sees(console, world, client, auth):
    c = console()
    i = world["inspection1"]
    resp = c.post(f"/console/inspections/{i.id}/review", {"decision": "return"})
    assert resp.status_code == 422 and _state(i.id).review_state == "submitted"
    resp = c.post(f"/console/inspections/{i.id}/review",
                  {"decision": "return", "comment": "照片不清晰,请重拍"})
    assert resp.status_code == 302
    row = _state(i.id)
    assert row.review_state == "returned" and row.review_comment == "照片不清晰,请重拍"


def test_reject_with_reason_and_no_second_decision(console, world):
    c = console()
    i = world["inspection1"]
    assert c.post(f"/console/inspections/{i.id}/review",
                  {"decision": "reject", "comment": "重复录入"}).status_code == 302
    assert _state(i.id).review_state == "rejected"
    resp = c.post(f"/console/inspections/{i.id}/review", {"decision": "approve"})
    assert resp.status_code == 409
    assert _state(i.id).review_state == "rejected"


def test_reviewed_inspection_has_no_decision_buttons(console, world):
    c = console()
    i = world["inspection1"]
    c.post(f"/console/inspections/{i.id}/review", {"decision": "approve"})
    html = c.get(f"/console/inspections/{i.id}").get_data(as_text=True)
    assert 'id="review-form"' not in html and "审核通过" in html


def test_other_county_inspection_is_404_to_read_and_to_decide(console, world):
    c = console()
    other = world["inspection2"]
    assert c.get(f"/console/inspections/{other.id}").status_code == 404
    resp = c.post(f"/console/inspections/{other.id}/review", {"decision": "approve"})
    assert resp.status_code == 404
    assert _state(other.id).review_state == "submitted"
    c2 = console(region=COUNTY2)
    assert c2.get(f"/console/inspections/{other.id}").status_code == 200


def test_photos_are_served_only_to_staff_whose_area_refers_to_them(console, world, app,
                                                                     session):
    import os

    from server.evidence.filestore import FilesystemBlobStore
    from server.models import Blob
    from tests.server.console.conftest import sha

    photo = sha("before-GAS-R-03")  # only county 1's inspection failed GAS-R-03
    session.add(Blob(sha256=photo, size=10, media_type="image/jpeg", width=1, height=1,
                     gps_lat=30.8421, gps_lon=120.2712))
    session.commit()
    path = FilesystemBlobStore(app.config["BLOB_DIR"]).path(photo, "thumb")
    os.makedirs(path.parent, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff\xe0 fake jpeg")
    resp = console().get(f"/console/blobs/{photo}/thumb")
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in resp.headers["Cache-Control"]
    # The other county's reviewer: nothing there refers to this photo.
    assert console(region=COUNTY2).get(f"/console/blobs/{photo}/thumb").status_code == 404
    # The display copy has not been stored: 404, not a crash.
    assert console().get(f"/console/blobs/{photo}/display").status_code == 404
    # The inspection page shows the photo's EXIF position beside it.
    html = console().get(f"/console/inspections/{world['inspection1'].id}").get_data(as_text=True)
    assert "30.8421,120.2712" in html


def test_returned_inspection_reaches_the_inspectors_phone_with_the_comment(console, world,
                                                                           client, auth):
    i = world["inspection1"]
    console().post(f"/console/inspections/{i.id}/review",
                   {"decision": "return", "comment": "请补拍灶具照片"})
    phone = auth(user=world["inspector1"])
    changes, cursor = [], None
    while True:
        resp = client.get("/api/v1/sync/pull" + (f"?cursor={cursor}" if cursor else ""),
                          headers=phone)
        body = resp.get_json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    mine = [c for c in changes if c["type"] == "inspection" and c["id"] == str(i.id)]
    assert mine and mine[-1]["data"]["review_state"] == "returned"
    assert mine[-1]["data"]["review_comment"] == "请补拍灶具照片"


def test_a_verification_with_no_answers_is_reviewed_like_any_inspection(console, world, session):
    """A re-check records only the verification (no checklist walked): its page shows the
    result, the after-photo and the hazard, and the reviewer can approve it."""
    hazard_id = world["inspection1"].hazard_ids[0]
    args = inspection_args(world["site1"], kind="verification", verifications=[
        {"hazard_id": hazard_id, "result": "rectified", "note": "已更换软管",
         "photos": [sha("after-photo")]}])
    args["answers"] = []
    outcome = submit_now(session, world["inspector1"], args)
    session.commit()
    assert outcome.verifications[0]["status"] == "applied"
    c = console()
    html = c.get(f"/console/inspections/{args['id']}").get_data(as_text=True)
    answers_table = html.split('class="grid answers"', 1)[1].split("</table>", 1)[0]
    assert "<code>" not in answers_table  # no checklist item was answered
    assert "核查情况" in html and "rectified" in html and "已更换软管" in html
    assert f"/console/hazards/{hazard_id}" in html
    assert f"/console/blobs/{sha('after-photo')}" in html
    resp = c.post(f"/console/inspections/{args['id']}/review",
                  data={"decision": "approve", "comment": ""})
    assert resp.status_code in (200, 302, 303)
    assert _state(args["id"]).review_state == "approved"
