"""The submission (server.inspections.submit) the sync engine calls for `inspection.submit`."""

from __future__ import annotations

import uuid

import pytest

import forms
from server.errors import Invalid, NotFound
from server.inspections import service as inspections
from server.models import Hazard, Inspection
from tests.conftest import COUNTY1, TOWNSHIP3
from tests.server.register.conftest import inspection_args, photos_uploaded, sha, submit_now


def test_failed_items_become_hazards_with_derived_ids(session, make_user, make_site, submit):
    inspector, site = make_user(), make_site()
    outcome = submit(inspector, site, fail=("GAS-R-01", "GAS-R-03"), flags=["gps_far"])
    inspection = outcome.inspection
    derived = {h["derived_id"] for h in outcome.hazards}
    assert derived == {forms.hazard_id(inspection.id, "GAS-R-01"),
                       forms.hazard_id(inspection.id, "GAS-R-03")}
    assert all(h["hazard_id"] == h["derived_id"] and not h["merged"] for h in outcome.hazards)
    major = session.get(Hazard, forms.hazard_id(inspection.id, "GAS-R-03"))
    assert (major.severity, major.source, major.status) == ("major", "inspection", "open")
    assert major.standard and major.before_photos == [sha("before-GAS-R-03")]
    assert inspection.review_state == "submitted" and inspection.flags == ["gps_far"]
    assert inspection.scan_verified and not inspection.awaiting_media
    assert sorted(inspection.hazard_ids) == sorted(str(d) for d in derived)


def test_a_refound_item_merges_into_the_open_hazard(session, make_user, make_site, submit,
                                                    register):
    inspector, site = make_user(), make_site()
    first = submit(inspector, site, fail=("GAS-R-01",))
    second = submit(inspector, site, fail=("GAS-R-01",))
    [h1], [h2] = first.hazards, second.hazards
    assert h2["merged"] and h2["hazard_id"] == h1["hazard_id"] != h2["derived_id"]
    assert register.get(inspector, h2["derived_id"]).id == h1["hazard_id"]
    assert session.query(Hazard).count() == 1


def test_fixed_on_the_spot_closes_the_derived_hazard(session, make_user, make_site, submit):
    inspector, site = make_user(), make_site()
    inspection_id = uuid.uuid4()
    derived = forms.hazard_id(inspection_id, "GAS-R-01")
    outcome = submit(inspector, site, fail=("GAS-R-01",), inspection_id=inspection_id,
                     verifications=[{"hazard_id": derived, "result": "rectified",
                                     "photos": [sha("after")]}])
    assert outcome.verifications == [{"hazard_id": derived, "status": "applied", "error": None}]
    assert session.get(Hazard, derived).status == "closed"


def test_a_refused_verification_does_not_fail_the_inspection(session, make_user, make_site,
                                                               submit, report, register):
    inspector, site = make_user(), make_site()
    hazard = report(inspector, site, severity="major")
    other = report(inspector, make_site())
    outcome = submit(inspector, site, kind="verification", verifications=[
        {"hazard_id": hazard.id, "result": "rectified", "photos": []},
        {"hazard_id": other.id, "result": "rectified", "photos": [sha("z")]},
        {"hazard_id": uuid.uuid4(), "result": "rectified", "photos": [sha("z")]}])
    codes = [(v["status"], v["error"] and v["error"]["code"]) for v in outcome.verifications]
    assert codes == [("rejected", "invalid_transition"), ("rejected", "validation_error"),
                     ("rejected", "not_found")]
    assert session.get(Inspection, outcome.inspection.id) is not None
    assert register.events_of(hazard.id)[-1].refused


def test_bad_submissions_raise_before_writing(session, make_user, make_site):
    inspector, site = make_user(), make_site()
    args = inspection_args(site)
    args["checklist"] = {"code": "gas-restaurant", "version": 99}
    with pytest.raises(Invalid) as exc:
        submit_now(session, inspector, args)
    assert "checklist" in exc.value.details
    args = inspection_args(site)
    args["answers"] = args["answers"][1:]
    with pytest.raises(Invalid) as exc:
        submit_now(session, inspector, args)
    assert exc.value.details["answers"][0]["code"] == "required"
    with pytest.raises(NotFound):
        submit_now(session, make_user(region=TOWNSHIP3), inspection_args(site))
    assert session.query(Inspection).count() == 0


def test_a_resubmission_supersedes_a_returned_inspection(session, make_user, make_site, submit):
    inspector, reviewer, site = make_user(), make_user("county_reviewer", COUNTY1), make_site()
    first = submit(inspector, site).inspection
    inspections.review(session, reviewer, first.id, "return", "签名缺失")
    session.commit()
    second = submit(inspector, site, supersedes=first.id).inspection
    assert first.superseded_by == second.id and second.supersedes == first.id
    third = submit(inspector, site, supersedes=second.id).inspection  # not returned
    assert "supersedes_invalid" in third.flags and second.superseded_by is None


def test_awaiting_media_until_the_photos_arrive(session, make_user, make_site, monkeypatch):
    import server.inspections.service as service

    stored: set[str] = set()
    photos_uploaded(monkeypatch, stored)
    monkeypatch.setattr(service, "_missing", lambda _s, hashes: set(hashes) - stored)
    inspector, site = make_user(), make_site()
    args = inspection_args(site, fail=("GAS-R-01",))
    inspection = submit_now(session, inspector, args).inspection
    assert inspection.awaiting_media
    stored.update({sha("before-GAS-R-01"), sha("sig-inspector")})
    assert inspections.media_arrived(session, sha("sig-inspector")) == []
    stored.add(sha("sig-site"))
    assert inspections.media_arrived(session, sha("sig-site")) == [inspection]
    assert not inspection.awaiting_media


@pytest.mark.real_media
def test_photos_not_uploaded_yet_leave_the_inspection_awaiting_media(session, make_user,
                                                                    make_site, submit):
    outcome = submit(make_user(), make_site(), fail=("GAS-R-01",))
    assert outcome.inspection.awaiting_media
