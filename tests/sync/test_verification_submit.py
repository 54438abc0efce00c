"""inspection.submit of kind `verification` through the HTTP push: it records the re-check
of named hazards and answers only the items it chooses (none at all is fine)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

import forms
from server.evidence import qr
from server.models import Hazard, HazardEvent, Inspection
from tests.conftest import TOWNSHIP2, VILLAGE4
from tests.sync.factories import (
    derived_id,
    failable_items,
    failing_value,
    inspection_args,
    passing_value,
    sha,
)
from tests.sync.helpers import mutation, push

CHECKLIST = forms.get("gas-restaurant", 1)
FAILS = failable_items()[:2]
PHOTO_ITEM = next(i for i in CHECKLIST.items if i.photo_on_fail and i.fail is not None
                  and i.kind == "yes_no")
NUMBER_ITEM = next((i for i in CHECKLIST.items if i.kind == "number"), None)


def _submit(client, headers, mid, args):
    resp = push(client, headers, [mutation(mid, "inspection.submit", args)])
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["results"][0]


def _scan(app, site):
    return {"code": site.code, "sig": qr.sign(site.code, app.config["SECRET_KEY"])}


def _found(app, client, headers, site, mid=1, fail=FAILS[:1]) -> list[str]:
    """A routine inspection that found hazards on `site`; returns their ids."""
    args = inspection_args(site, fail=fail, scan=_scan(app, site))
    assert _submit(client, headers, mid, args)["status"] == "applied"
    return [derived_id(args["id"], item) for item in fail]


def _verification(app, site, verifications, answers=(), seconds=90, **extra) -> dict:
    """What the field app sends: the re-check, the inspector's signature, chosen answers."""
    finished = datetime.now(UTC) - timedelta(minutes=1)
    inspection_id = str(uuid.uuid4())
    args = {"id": inspection_id, "site_id": str(site.id),
            "checklist": {"code": CHECKLIST.code, "version": CHECKLIST.version},
            "kind": "verification",
            "started_at": (finished - timedelta(seconds=seconds)).isoformat(),
            "finished_at": finished.isoformat(),
            "location": {"lat": site.lat, "lon": site.lon, "accuracy_m": 10},
            "scan": _scan(app, site), "answers": list(answers),
            "signatures": {"inspector": sha(f"sig:{inspection_id}"),
                           "site": sha(f"site-sig:{inspection_id}")}}
    if verifications is not None:
        args["verifications"] = verifications
    args.update(extra)
    return args


def _rectified(hazard_id, photos=True):
    return {"hazard_id": hazard_id, "result": "rectified", "note": "软管已更换",
            "photos": [sha(f"after:{hazard_id}")] if photos else []}


def _inspections(session) -> int:
    return session.scalar(select(func.count()).select_from(Inspection))


def _status(session, hazard_id) -> str:
    session.expire_all()
    return session.get(Hazard, uuid.UUID(hazard_id)).status


def test_a_verification_with_no_answers_closes_the_hazard(app, client, field_auth, session,
                                                          make_site):
    site = make_site()
    headers = field_auth()
    [hazard_id] = _found(app, client, headers, site)
    args = _verification(app, site, [_rectified(hazard_id)])
    result = _submit(client, headers, 2, args)
    assert result["status"] == "applied", result
    assert "verifications" not in result  # no refused verification to report
    assert result["flags"] == []
    assert _status(session, hazard_id) == "closed"
    inspection = session.get(Inspection, uuid.UUID(args["id"]))
    assert inspection.kind == "verification" and inspection.answers == []
    assert inspection.hazard_ids == [hazard_id]
    event = session.scalars(select(HazardEvent).where(
        HazardEvent.hazard_id == uuid.UUID(hazard_id),
        HazardEvent.inspection_id == inspection.id)).one()
    assert event.data["photos"] == [sha(f"after:{hazard_id}")] and not event.refused
    # Read back through the API as the console and other clients see it.
    body = client.get(f"/api/v1/inspections/{args['id']}", headers=headers).get_json()
    assert body["kind"] == "verification" and body["hazard_ids"] == [hazard_id]


def test_answers_given_are_kept_and_a_failed_one_still_derives_a_hazard(app, client, field_auth,
                                                                        session, make_site):
    site = make_site()
    headers = field_auth()
    [hazard_id] = _found(app, client, headers, site, fail=FAILS[:1])
    fixed = CHECKLIST.item(FAILS[0])
    still_bad = CHECKLIST.item(FAILS[1])
    answers = [{"item": fixed.code, "value": passing_value(fixed), "photos": []},
               {"item": still_bad.code, "value": failing_value(still_bad),
                "photos": [sha("new-finding")], "note": "阀门锈蚀"}]
    args = _verification(app, site, [_rectified(hazard_id)], answers=answers)
    result = _submit(client, headers, 2, args)
    assert result["status"] == "applied", result
    assert _status(session, hazard_id) == "closed"
    new_id = derived_id(args["id"], still_bad.code)
    assert _status(session, new_id) == "open"
    inspection = session.get(Inspection, uuid.UUID(args["id"]))
    assert [a["item"] for a in inspection.answers] == [fixed.code, still_bad.code]
    assert set(inspection.hazard_ids) == {hazard_id, new_id}


def test_other_kinds_still_answer_every_required_item(app, client, field_auth, session,
                                                      make_site):
    site = make_site()
    headers = field_auth()
    for mid, kind in enumerate(("routine", "follow_up", "cross_check"), start=1):
        args = inspection_args(site, kind=kind, scan=_scan(app, site))
        dropped = next(a for a in args["answers"] if CHECKLIST.item(a["item"]).required)
        args["answers"].remove(dropped)
        result = _submit(client, headers, mid, args)
        assert result["status"] == "rejected", (kind, result)
        assert result["error"]["code"] == "validation_error"
        assert {"item": dropped["item"], "code": "required"} in [
            {k: e[k] for k in ("item", "code")} for e in result["error"]["details"]["answers"]]
    assert _inspections(session) == 0


@pytest.mark.parametrize("verifications", [None, []], ids=["absent", "empty"])
def test_a_verification_that_verifies_nothing_is_rejected(app, client, field_auth, session,
                                                          make_site, verifications):
    site = make_site()
    headers = field_auth()
    answers = [{"item": PHOTO_ITEM.code, "value": passing_value(PHOTO_ITEM), "photos": []}]
    result = _submit(client, headers, 1, _verification(app, site, verifications, answers))
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "validation_error"
    assert "verifications" in result["error"]["details"]
    assert _inspections(session) == 0
    # Rejected for good: the next mutation of the device follows it.
    assert push(client, headers, []).get_json()["last_mutation_id"] == 1


def _bad_answers():
    cases = {
        "unknown_item": ([{"item": "GAS-R-99", "value": True, "photos": []}], "GAS-R-99"),
        "wrong_type": ([{"item": PHOTO_ITEM.code, "value": "yes", "photos": []}],
                       PHOTO_ITEM.code),
        "photo_required": ([{"item": PHOTO_ITEM.code, "value": failing_value(PHOTO_ITEM),
                             "photos": []}], PHOTO_ITEM.code),
    }
    if NUMBER_ITEM is not None:
        cases["number_as_text"] = ([{"item": NUMBER_ITEM.code, "value": "3", "photos": []}],
                                   NUMBER_ITEM.code)
    return cases


BAD = _bad_answers()
EXPECTED_CODE = {"unknown_item": "unknown_item", "wrong_type": "wrong_type",
                 "photo_required": "photo_required", "number_as_text": "wrong_type"}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_answer_rejects_the_verification_and_changes_nothing(app, client, field_auth,
                                                                   session, make_site, case):
    site = make_site()
    headers = field_auth()
    [hazard_id] = _found(app, client, headers, site)
    answers, item = BAD[case]
    result = _submit(client, headers, 2, _verification(app, site, [_rectified(hazard_id)],
                                                       answers))
    assert result["status"] == "rejected", result
    assert result["error"]["code"] == "validation_error"
    errors = result["error"]["details"]["answers"]
    assert [(e["item"], e["code"]) for e in errors] == [(item, EXPECTED_CODE[case])]
    # All or nothing: the hazard was not closed by the refused submission.
    assert _status(session, hazard_id) == "open"
    assert _inspections(session) == 1


def test_a_hazard_of_another_region_is_not_found_and_stays_untouched(app, client, field_auth,
                                                                     session, make_site):
    own_site, far_site = make_site(), make_site(region=VILLAGE4)
    headers = field_auth()
    [far_hazard] = _found(app, client, field_auth(region=TOWNSHIP2), far_site)
    args = _verification(app, own_site, [_rectified(far_hazard)])
    result = _submit(client, headers, 1, args)
    # The visit itself is kept (its evidence is never lost); the verification is refused
    # exactly as if the hazard did not exist.
    assert result["status"] == "applied", result
    [refused] = result["verifications"]
    assert refused["hazard_id"] == far_hazard and refused["status"] == "rejected"
    assert refused["error"]["code"] == "not_found"
    assert _status(session, far_hazard) == "open"
    assert session.get(Inspection, uuid.UUID(args["id"])).hazard_ids == []


def test_rectified_without_an_after_photo_is_refused_by_the_lifecycle(app, client, field_auth,
                                                                     session, make_site):
    site = make_site()
    headers = field_auth()
    [hazard_id] = _found(app, client, headers, site)
    args = _verification(app, site, [_rectified(hazard_id, photos=False)])
    result = _submit(client, headers, 2, args)
    assert result["status"] == "applied", result
    [refused] = result["verifications"]
    assert refused["status"] == "rejected"
    assert refused["error"]["code"] == "invalid_transition"
    assert refused["error"]["details"]["reason"] == "photo_required"
    assert _status(session, hazard_id) == "open"
    # The refused re-check is still on the hazard's record, with its note.
    events = session.scalars(select(HazardEvent).where(
        HazardEvent.hazard_id == uuid.UUID(hazard_id),
        HazardEvent.inspection_id == uuid.UUID(args["id"]))).all()
    assert [e.refused for e in events] == [True] and events[0].data["note"] == "软管已更换"


def test_not_rectified_sends_the_hazard_back_without_answers(app, client, field_auth, session,
                                                            make_site):
    site = make_site()
    headers = field_auth()
    [hazard_id] = _found(app, client, headers, site)
    reported = push(client, headers, [mutation(2, "hazard.rectification_reported", {
        "id": hazard_id, "note": "已整改", "photos": [sha("owner-fix")]})]).get_json()
    assert reported["results"][0]["status"] == "applied", reported
    assert _status(session, hazard_id) == "pending_verification"
    verification = {"hazard_id": hazard_id, "result": "not_rectified",
                    "photos": [sha("still-broken")]}
    assert _submit(client, headers, 3, _verification(app, site, [verification]))[
        "status"] == "applied"
    assert _status(session, hazard_id) == "rectifying"


def test_too_fast_counts_the_hazards_verified(app, client, field_auth, session, make_site):
    site = make_site()
    headers = field_auth()
    first, second = _found(app, client, headers, site, fail=FAILS[:2])
    # No answers at all: the re-check of a hazard alone takes more than a second.
    hurried = _submit(client, headers, 2, _verification(app, site, [_rectified(first)],
                                                        seconds=1))
    assert "too_fast" in hurried["flags"]
    calm = _submit(client, headers, 3, _verification(app, site, [_rectified(second)],
                                                     seconds=60))
    assert "too_fast" not in calm["flags"]
