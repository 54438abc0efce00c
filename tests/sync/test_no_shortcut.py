"""No shortcut back (issue 17, point 6; contract 1.1), over HTTP: a rejected verification
reopens what it closed, reviewers reopen a closed hazard with a reason, a listed hazard
is signed off at its listing level, a plan's deadline is not in the past, an inspection
without the site's signature (or a refusal) is flagged, village cadres plan and comment
in their village."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from server.evidence import qr
from server.models import Hazard, HazardEvent
from tests.conftest import COUNTY1, VILLAGE1, VILLAGE2
from tests.server.test_errors import assert_error
from tests.sync.factories import derived_id, failable_items, inspection_args, sha
from tests.sync.helpers import mutation, push

ITEM = failable_items()[0]


@pytest.fixture
def field(app, client, field_auth, session, make_site):
    """An inspector's phone in township 1 and a site in village 1, with a counter."""

    class Field:
        headers = field_auth()
        site = make_site()
        mid = 0

        def submit(self, args) -> dict:
            self.mid += 1
            resp = push(client, self.headers, [mutation(self.mid, "inspection.submit", args)])
            assert resp.status_code == 200, resp.get_json()
            return resp.get_json()["results"][0]

        def args(self, **kw) -> dict:
            scan = {"code": self.site.code,
                    "sig": qr.sign(self.site.code, app.config["SECRET_KEY"])}
            return inspection_args(self.site, scan=scan, **kw)

        def find(self) -> str:
            args = self.args(fail=(ITEM,))
            assert self.submit(args)["status"] == "applied"
            return derived_id(args["id"], ITEM)

        def verify(self, hazard_id, result="rectified") -> str:
            args = self.args(kind="verification", verifications=[
                {"hazard_id": hazard_id, "result": result, "photos": [sha(f"after:{hazard_id}")]}])
            args["answers"] = []
            assert self.submit(args)["status"] == "applied"
            return args["id"]

    return Field()


def _hazard(session, hazard_id) -> Hazard:
    session.expire_all()
    return session.get(Hazard, uuid.UUID(str(hazard_id)))


def _events(session, hazard_id) -> list[str]:
    return list(session.scalars(select(HazardEvent.type).where(
        HazardEvent.hazard_id == uuid.UUID(str(hazard_id)), HazardEvent.refused.is_(False))
        .order_by(HazardEvent.seq)))


def _act(client, headers, hazard_id, **body):
    return client.post(f"/api/v1/hazards/{hazard_id}/actions", json=body, headers=headers)


def _review(client, headers, inspection_id, decision, comment="核实"):
    return client.post(f"/api/v1/inspections/{inspection_id}/review",
                       json={"decision": decision, "comment": comment}, headers=headers)


# --- a rejected verification reopens --------------------------------------------------------

def test_rejecting_the_verification_that_closed_a_hazard_reopens_it(client, auth, session,
                                                                     field):
    hazard_id = field.find()
    plan = {"action": "plan", "measures": "更换软管", "deadline": "2099-01-31",
            "responsible_name": "张老板"}
    assert _act(client, field.headers, hazard_id, **plan).status_code == 200
    assert _hazard(session, hazard_id).status == "rectifying"
    verification = field.verify(hazard_id)
    assert _hazard(session, hazard_id).status == "closed"
    reviewer = auth("county_reviewer", COUNTY1)
    resp = _review(client, reviewer, verification, "reject", "照片不是本场所")
    assert resp.status_code == 200 and resp.get_json()["review_state"] == "rejected"
    hazard = _hazard(session, hazard_id)
    assert hazard.status == "rectifying" and hazard.closed_at is None
    assert _events(session, hazard_id)[-1] == "verification_voided"
    body = client.get(f"/api/v1/hazards/{hazard_id}", headers=reviewer).get_json()
    voided = body["events"][-1]
    assert voided["type"] == "verification_voided"
    assert voided["data"]["status_before"] == "rectifying"
    assert voided["inspection_id"] == verification
    # The hazard is the open one of its item again: a re-found item joins it.
    again = field.args(fail=(ITEM,))
    result = field.submit(again)
    assert result["merged"] == [{"derived_id": derived_id(again["id"], ITEM),
                                 "hazard_id": hazard_id}]


def test_a_rejected_verification_of_a_major_hazard_leaves_sign_off(client, auth, session, field,
                                                                   make_user):
    hazard_id = field.find()
    reviewer = auth("county_reviewer", COUNTY1)
    assert _act(client, reviewer, hazard_id, action="set_severity", severity="major",
                reason="地下室使用钢瓶").status_code == 200
    verification = field.verify(hazard_id)
    assert _hazard(session, hazard_id).status == "pending_closure"
    assert _review(client, reviewer, verification, "reject").status_code == 200
    assert _hazard(session, hazard_id).status == "open"


def test_approving_or_returning_keeps_the_closure_and_a_later_reopen_is_not_undone(
        client, auth, session, field):
    reviewer = auth("county_reviewer", COUNTY1)
    first = field.find()
    approved = field.verify(first)
    assert _review(client, reviewer, approved, "approve").status_code == 200
    assert _hazard(session, first).status == "closed"
    # Reopened by a reviewer after the verification: rejecting it then changes nothing more.
    second_site_hazard = first
    assert _act(client, reviewer, second_site_hazard, action="reopen",
                reason="群众反映仍在使用").status_code == 200
    events = _events(session, first)
    assert events[-1] == "reopened" and "verification_voided" not in events
    # A not-rectified verification closed nothing: rejecting it voids nothing.
    not_fixed = field.verify(first, result="not_rectified")
    assert _review(client, reviewer, not_fixed, "reject").status_code == 200
    assert "verification_voided" not in _events(session, first)
    assert _hazard(session, first).status == "rectifying"


def test_reopen_only_a_closed_hazard_by_a_reviewer_with_a_reason(client, auth, session, field):
    hazard_id = field.find()
    reviewer = auth("county_reviewer", COUNTY1)
    assert_error(_act(client, reviewer, hazard_id, action="reopen", reason="x"), 409,
                 "invalid_transition")
    field.verify(hazard_id)
    err = assert_error(_act(client, reviewer, hazard_id, action="reopen"), 422,
                       "validation_error")
    assert "reason" in err["details"]
    assert_error(_act(client, field.headers, hazard_id, action="reopen", reason="x"), 403,
                 "forbidden")
    outsider = auth("county_reviewer", "330521")
    assert_error(_act(client, outsider, hazard_id, action="reopen", reason="x"), 404,
                 "not_found")
    body = _act(client, reviewer, hazard_id, action="reopen", reason="整改不到位").get_json()
    assert body["status"] == "rectifying" and body["closed_at"] is None
    detail = client.get(f"/api/v1/hazards/{hazard_id}", headers=reviewer).get_json()
    assert detail["events"][-1]["type"] == "reopened"
    assert detail["events"][-1]["data"]["reason"] == "整改不到位"


def test_a_hazard_is_not_reopened_beside_a_newer_open_one_of_its_item(client, auth, session,
                                                                      field):
    old = field.find()
    field.verify(old)
    new = field.find()  # the same item found again: a new hazard, the old one is closed
    assert new != old
    reviewer = auth("county_reviewer", COUNTY1)
    err = assert_error(_act(client, reviewer, old, action="reopen", reason="x"), 409, "conflict")
    assert err["details"]["open_hazard_id"] == new
    assert _hazard(session, old).status == "closed"


# --- sign-off at the listing level -----------------------------------------------------------

def _major_awaiting_sign_off(client, auth, session, field, level):
    hazard_id = field.find()
    city = auth("city_admin", "330500")
    assert _act(client, city, hazard_id, action="set_severity", severity="major",
                reason="重大").status_code == 200
    assert _act(client, city, hazard_id, action="list", level=level).status_code == 200
    field.verify(hazard_id)
    assert _hazard(session, hazard_id).status == "pending_closure"
    return hazard_id, city


def test_a_city_listing_is_signed_off_by_the_city(client, auth, session, field):
    hazard_id, city = _major_awaiting_sign_off(client, auth, session, field, "city")
    county = auth("county_reviewer", COUNTY1)
    err = assert_error(_act(client, county, hazard_id, action="sign_off"), 403, "forbidden")
    assert err["details"] == {"level": "city"}
    assert _hazard(session, hazard_id).status == "pending_closure"
    assert _act(client, city, hazard_id, action="sign_off").get_json()["status"] == "closed"


def test_a_county_listing_is_signed_off_by_the_county(client, auth, session, field):
    hazard_id, _city = _major_awaiting_sign_off(client, auth, session, field, "county")
    county = auth("county_reviewer", COUNTY1)
    assert _act(client, county, hazard_id, action="sign_off").get_json()["status"] == "closed"


def test_cadres_and_inspectors_never_sign_off(client, auth, session, field):
    hazard_id, _city = _major_awaiting_sign_off(client, auth, session, field, "county")
    for headers in (auth("village_cadre", VILLAGE1), field.headers):
        assert_error(_act(client, headers, hazard_id, action="sign_off"), 403, "forbidden")


# --- a plan's deadline -----------------------------------------------------------------------

@pytest.mark.parametrize("days", [-1, -400])
def test_plan_refuses_a_deadline_before_today(client, session, field, days):
    hazard_id = field.find()
    past = (date.today() + timedelta(days=days)).isoformat()
    err = assert_error(_act(client, field.headers, hazard_id, action="plan", measures="x",
                            deadline=past, responsible_name="张"), 422, "validation_error")
    assert list(err["details"]) == ["deadline"]
    assert _hazard(session, hazard_id).deadline != date.fromisoformat(past)


def test_plan_takes_today_and_refuses_a_date_that_is_no_date(app, client, session, field):
    hazard_id = field.find()
    today = datetime.now(app.config["TZ"]).date()  # today where the register is (Asia/Shanghai)
    ok = _act(client, field.headers, hazard_id, action="plan", measures="立即整改",
              deadline=today.isoformat(), responsible_name="张")
    assert ok.status_code == 200 and ok.get_json()["deadline"] == today.isoformat()
    err = assert_error(_act(client, field.headers, hazard_id, action="plan", measures="x",
                            deadline="2026-02-30", responsible_name="张"), 422,
                       "validation_error")
    assert "deadline" in err["details"]


# --- the site's signature ----------------------------------------------------------------------

def test_no_site_signature_is_flagged(client, session, field):
    unsigned = field.args(site_signature=False)
    assert "no_site_signature" in field.submit(unsigned)["flags"]
    signed = field.args()
    assert "no_site_signature" not in field.submit(signed)["flags"]
    refused = field.args(site_signature=False)
    refused["signatures"]["refusal"] = {"reason": "户主拒绝签字", "witness_name": "村主任李某",
                                        "photo": sha("witness")}
    assert "no_site_signature" not in field.submit(refused)["flags"]
    unannounced = field.args(site_signature=False, kind="unannounced")
    result = field.submit(unannounced)
    assert result["status"] == "applied" and "no_site_signature" not in result["flags"]
    body = client.get(f"/api/v1/inspections/{unsigned['id']}", headers=field.headers).get_json()
    assert "no_site_signature" in body["flags"]
    assert client.get(f"/api/v1/inspections/{unannounced['id']}",
                      headers=field.headers).get_json()["kind"] == "unannounced"


def test_a_refusal_without_a_witness_or_an_unknown_kind_is_rejected(field):
    refused = field.args(site_signature=False)
    refused["signatures"]["refusal"] = {"reason": "拒签", "photo": sha("w")}
    result = field.submit(refused)
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "validation_error"
    bad_kind = field.args(kind="secret")
    assert field.submit(bad_kind)["error"]["code"] == "validation_error"


# --- village cadres plan and comment in their village ---------------------------------------------

def test_village_cadres_plan_and_comment_in_their_village(client, auth, session, field):
    hazard_id = field.find()
    cadre = auth("village_cadre", VILLAGE1)
    plan = {"action": "plan", "measures": "户主自行更换软管", "deadline": "2099-03-01",
            "responsible_name": "张老板", "responsible_phone": "13800000000"}
    body = _act(client, cadre, hazard_id, **plan).get_json()
    assert body["status"] == "rectifying" and body["measures"] == "户主自行更换软管"
    assert _act(client, cadre, hazard_id, action="comment", text="已上门督促").status_code == 200
    for action in ({"action": "list", "level": "county"}, {"action": "sign_off"},
                   {"action": "reopen", "reason": "x"},
                   {"action": "set_severity", "severity": "major", "reason": "x"}):
        assert_error(_act(client, cadre, hazard_id, **action), 403, "forbidden")
    other_village = auth("village_cadre", VILLAGE2)
    assert_error(_act(client, other_village, hazard_id, action="comment", text="x"), 404,
                 "not_found")
    assert _events(session, hazard_id)[-2:] == ["planned", "comment"]
