"""The register mutations through push: derivation, merge, lifecycle, flags, evidence."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from server.evidence import qr
from server.models import Hazard, HazardEvent, Inspection
from tests.conftest import TOWNSHIP1, VILLAGE1, VILLAGE2, VILLAGE4
from tests.sync.factories import derived_id, failable_items, inspection_args, sha
from tests.sync.helpers import apply_changes, mutation, pull_all, push

FAILS = failable_items()[:2]


def _submit(client, headers, mid, args, **kw):
    resp = push(client, headers, [mutation(mid, "inspection.submit", args)], **kw)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["results"][0]


def _valid_scan(app, site):
    return {"code": site.code, "sig": qr.sign(site.code, app.config["SECRET_KEY"])}


def test_submit_derives_hazards_with_the_devices_ids(app, client, field_auth, session, make_site):
    site = make_site(region=VILLAGE1)
    headers = field_auth(region=TOWNSHIP1)
    args = inspection_args(site, fail=FAILS, scan=_valid_scan(app, site))
    result = _submit(client, headers, 1, args)
    assert result["status"] == "applied", result
    inspection = session.get(Inspection, uuid.UUID(args["id"]))
    assert result["entity"] == {"type": "inspection", "id": args["id"],
                                "version": inspection.version}
    assert result["flags"] == []
    ids = {derived_id(args["id"], item) for item in FAILS}
    assert set(map(str, session.scalars(select(Hazard.id)))) == ids
    assert set(inspection.hazard_ids) == ids and inspection.client_id == headers.client_id
    changes, _, _ = pull_all(client, headers)
    store = apply_changes({}, changes)
    assert {k[1] for k in store if k[0] == "hazard"} == ids
    assert store[("inspection", args["id"])]["data"]["review_state"] == "submitted"
    # Inspections go to their own inspector only.
    other, _, _ = pull_all(client, field_auth(region=TOWNSHIP1))
    assert not [c for c in other if c["type"] == "inspection"]


def test_same_item_found_offline_by_two_devices_is_one_hazard(app, client, field_auth, session,
                                                              make_site):
    site = make_site()
    a, b = field_auth(), field_auth()
    args_a = inspection_args(site, fail=FAILS[:1], scan=_valid_scan(app, site))
    args_b = inspection_args(site, fail=FAILS[:1], scan=_valid_scan(app, site))
    _, cursor_b, _ = pull_all(client, b)
    assert _submit(client, a, 1, args_a)["status"] == "applied"
    result_b = _submit(client, b, 1, args_b)
    first_id, second_id = derived_id(args_a["id"], FAILS[0]), derived_id(args_b["id"], FAILS[0])
    assert result_b["merged"] == [{"derived_id": second_id, "hazard_id": first_id}]
    assert [str(h) for h in session.scalars(select(Hazard.id))] == [first_id]
    findings = session.scalars(select(HazardEvent.inspection_id).where(
        HazardEvent.hazard_id == uuid.UUID(first_id))).all()
    assert {str(i) for i in findings} == {args_a["id"], args_b["id"]}
    # b's device made second_id offline; the feed tells it where that went.
    changes, _, _ = pull_all(client, b, cursor=cursor_b)
    removal = [c for c in changes if c["id"] == second_id]
    assert removal == [{"type": "hazard", "id": second_id, "op": "remove", "version": 0,
                        "data": {"merged_into": first_id}}]
    assert client.get(f"/api/v1/hazards/{second_id}", headers=b).get_json()["id"] == first_id


def test_edit_of_a_hazard_another_device_closed_keeps_closure_and_evidence(app, client, field_auth,
                                                                           session, make_site):
    site = make_site()
    a, b = field_auth(), field_auth()
    found = inspection_args(site, fail=FAILS[:1], scan=_valid_scan(app, site))
    _submit(client, a, 1, found)
    hazard_id = derived_id(found["id"], FAILS[0])
    version = session.get(Hazard, uuid.UUID(hazard_id)).version
    # a verifies the fix on site: the (general) hazard closes.
    verification = inspection_args(site, kind="verification", scan=_valid_scan(app, site),
                                   verifications=[{"hazard_id": hazard_id, "result": "rectified",
                                                   "photos": [sha("after")]}])
    assert _submit(client, a, 2, verification)["status"] == "applied"
    session.expire_all()
    assert session.get(Hazard, uuid.UUID(hazard_id)).status == "closed"
    # b, offline from the old version, sets measures and comments with a photo.
    resp = push(client, b, [
        mutation(1, "hazard.update", {"id": hazard_id, "base_version": version,
                                      "changes": {"measures": "更换软管", "deadline":
                                                  (datetime.now(UTC) + timedelta(days=3))
                                                  .date().isoformat()}}),
        mutation(2, "hazard.comment", {"id": hazard_id, "text": "业主已购买新软管",
                                       "photos": [sha("receipt")]}),
    ]).get_json()
    update = resp["results"][0]
    assert update["status"] == "rejected" and update["error"]["code"] == "invalid_transition"
    session.expire_all()
    hazard = session.get(Hazard, uuid.UUID(hazard_id))
    assert hazard.status == "closed" and hazard.measures != "更换软管"
    events = session.scalars(select(HazardEvent).where(
        HazardEvent.hazard_id == hazard.id).order_by(HazardEvent.seq)).all()
    refused = [e for e in events if e.refused]
    assert refused and refused[0].data.get("fields", {}).get("measures") == "更换软管"
    assert any(sha("receipt") in (e.data.get("photos") or []) for e in events)


def test_clock_a_day_off_is_flagged(app, client, field_auth, session, make_site):
    site = make_site()
    headers = field_auth()
    skewed = datetime.now(UTC) - timedelta(days=1)
    args = inspection_args(site, started=skewed - timedelta(minutes=20),
                           scan=_valid_scan(app, site))
    result = _submit(client, headers, 1, args, sent_at=skewed)
    assert result["status"] == "applied" and "clock_skew" in result["flags"]
    assert "clock_skew" in session.get(Inspection, uuid.UUID(args["id"])).flags


def test_plausibility_flags_are_recorded(app, client, field_auth, session, make_site):
    site = make_site()
    headers = field_auth()
    far = {"lat": site.lat + 0.02, "lon": site.lon, "accuracy_m": 250}
    args = inspection_args(site, location=far, minutes=0.2,
                           scan={"code": site.code, "sig": "deadbeefdeadbeef"})
    result = _submit(client, headers, 1, args)
    assert {"gps_far", "gps_inaccurate", "qr_invalid", "too_fast"} <= set(result["flags"])
    no_scan = _submit(client, headers, 2, inspection_args(site))
    assert "no_qr_scan" in no_scan["flags"]


def test_invalid_answers_are_rejected_and_write_nothing(client, field_auth, session, make_site):
    site = make_site()
    headers = field_auth()
    args = inspection_args(site, fail=FAILS)
    args["answers"] = args["answers"][1:]  # a required item left out
    result = _submit(client, headers, 1, args)
    assert result["status"] == "rejected" and result["error"]["code"] == "validation_error"
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0
    assert session.scalar(select(func.count()).select_from(Hazard)) == 0
    args = inspection_args(site)
    args["checklist"]["version"] = 99
    assert _submit(client, headers, 2, args)["error"]["code"] == "validation_error"


def test_report_rectify_comment(app, client, field_auth, session, make_site):
    site = make_site()
    headers = field_auth()
    hid = str(uuid.uuid4())
    resp = push(client, headers, [
        mutation(1, "hazard.report", {"id": hid, "site_id": str(site.id), "sector": "fire",
                                      "description": "楼道堆放杂物", "severity": "general",
                                      "source": "public_report", "photos": [sha("h")]}),
        mutation(2, "hazard.rectification_reported", {"id": hid, "note": "已清理",
                                                      "photos": [sha("fixed")]}),
        mutation(3, "hazard.comment", {"id": hid, "text": "复查时注意"}),
    ]).get_json()
    assert [r["status"] for r in resp["results"]] == ["applied"] * 3, resp
    session.expire_all()
    assert session.get(Hazard, uuid.UUID(hid)).status == "pending_verification"
    photos = [p for e in session.scalars(select(HazardEvent)) for p in e.data.get("photos") or []]
    assert {sha("h"), sha("fixed")} <= set(photos)


def test_resubmission_supersedes_returned_inspection(app, client, field_auth, session, make_site):
    site = make_site()
    headers = field_auth()
    first = inspection_args(site, scan=_valid_scan(app, site))
    _submit(client, headers, 1, first)
    old = session.get(Inspection, uuid.UUID(first["id"]))
    old.review_state = "returned"
    session.commit()
    second = inspection_args(site, scan=_valid_scan(app, site), supersedes=first["id"])
    assert _submit(client, headers, 2, second)["status"] == "applied"
    session.expire_all()
    assert str(session.get(Inspection, uuid.UUID(first["id"])).superseded_by) == second["id"]


def _png(seed: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 16), (seed % 256, 80, 160)).save(out, "PNG")
    return out.getvalue()


def _upload(client, headers, data: bytes) -> str:
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    resp = client.put(f"/api/v1/blobs/{digest}", data=data,
                      headers=dict(headers, **{"Content-Type": "image/png"}))
    assert resp.status_code in (200, 201), resp.get_json()
    return digest


def test_inspection_awaits_its_photos(app, client, field_auth, session, make_site):
    site = make_site()
    headers = field_auth()
    uploaded = _upload(client, headers, _png(1))
    ready = inspection_args(site)
    ready["signatures"] = {"inspector": uploaded}
    _submit(client, headers, 1, ready)
    later_png = _png(2)
    import hashlib

    waiting = inspection_args(site)
    waiting["signatures"] = {"inspector": hashlib.sha256(later_png).hexdigest()}
    _submit(client, headers, 2, waiting)
    session.expire_all()
    assert session.get(Inspection, uuid.UUID(ready["id"])).awaiting_media is False
    assert session.get(Inspection, uuid.UUID(waiting["id"])).awaiting_media is True
    _upload(client, headers, later_png)  # the photo arrives after the inspection
    session.expire_all()
    assert session.get(Inspection, uuid.UUID(waiting["id"])).awaiting_media is False


# --- one push, many submissions (reads batched per push) ---------------------------------

def test_a_push_of_submissions_sees_what_its_earlier_mutations_did(app, client, field_auth,
                                                                   session, make_site):
    """Batched reads must not go stale inside the push: the second inspection of a site
    joins the hazard the first one made, a repeated inspection id is a conflict, a site
    moved by an earlier mutation is inspected where it is now, and a site out of scope
    stays not found."""
    site, other, moved = make_site(), make_site(), make_site(region=VILLAGE1)
    foreign = make_site(region=VILLAGE4)
    headers = field_auth(region=TOWNSHIP1)
    first = inspection_args(site, fail=FAILS[:1])
    second = inspection_args(site, fail=FAILS[:1])
    again = inspection_args(other, inspection_id=uuid.UUID(first["id"]))
    after_move = inspection_args(moved)
    resp = push(client, headers, [
        mutation(1, "inspection.submit", first),
        mutation(2, "inspection.submit", second),
        mutation(3, "inspection.submit", again),
        mutation(4, "site.update", {"id": str(moved.id), "base_version": moved.version,
                                    "changes": {"region_code": VILLAGE2}}),
        mutation(5, "inspection.submit", after_move),
        mutation(6, "inspection.submit", inspection_args(foreign))])
    assert resp.status_code == 200, resp.get_json()
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "applied",
                                              "applied", "rejected"], results
    first_id = derived_id(first["id"], FAILS[0])
    assert results[1]["merged"] == [{"derived_id": derived_id(second["id"], FAILS[0]),
                                     "hazard_id": first_id}]
    assert results[2]["error"]["code"] == "conflict"
    assert results[5]["error"]["code"] == "not_found"
    assert [str(h) for h in session.scalars(select(Hazard.id))] == [first_id]
    assert session.scalar(select(func.count()).select_from(Inspection)) == 3
    assert session.get(Inspection, uuid.UUID(after_move["id"])).region_code == VILLAGE2


def test_a_push_of_submissions_only_merges_with_open_hazards_old_and_new(app, client,
                                                                         field_auth, session,
                                                                         make_site):
    """Only submissions in the push: the open hazards are read once for all of them."""
    site, other = make_site(), make_site()
    headers = field_auth(region=TOWNSHIP1)
    before = inspection_args(site, fail=FAILS[:1])
    assert _submit(client, headers, 1, before)["status"] == "applied"
    old_id = derived_id(before["id"], FAILS[0])
    again = inspection_args(site, fail=FAILS[:2])
    first_here = inspection_args(other, fail=FAILS[1:2])
    second_here = inspection_args(other, fail=FAILS[1:2])
    resp = push(client, headers, [mutation(2, "inspection.submit", again),
                                  mutation(3, "inspection.submit", first_here),
                                  mutation(4, "inspection.submit", second_here)])
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 3, results
    assert results[0]["merged"] == [{"derived_id": derived_id(again["id"], FAILS[0]),
                                     "hazard_id": old_id}]
    new_here = derived_id(first_here["id"], FAILS[1])
    assert "merged" not in results[1]
    assert results[2]["merged"] == [{"derived_id": derived_id(second_here["id"], FAILS[1]),
                                     "hazard_id": new_here}]
    assert {str(h) for h in session.scalars(select(Hazard.id))} == {
        old_id, derived_id(again["id"], FAILS[1]), new_here}
