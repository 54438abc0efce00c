"""Cross-checks (交叉检查, issue 17 point 5): a county's cross-check campaign lends sites of
one township to an inspector of another, for the campaign's window only; pull delivers
them and, once the window is over, the phone pulls again without them; inspections there
are cross-checks with `cross_check` hazards; after the window the site is out of reach."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from server.campaigns import service as campaigns
from server.errors import Invalid
from server.models import Hazard, Inspection
from server.models.campaign import Campaign
from tests.conftest import COUNTY1, TOWNSHIP1, TOWNSHIP2, VILLAGE4
from tests.server.test_errors import assert_error
from tests.sync.factories import derived_id, failable_items, inspection_args
from tests.sync.helpers import mutation, pull_all, push

ITEM = failable_items()[0]


@pytest.fixture
def scene(session, make_user, make_site, field_auth):
    reviewer = make_user("county_reviewer", COUNTY1)
    site = make_site(region=VILLAGE4, name="八里店饭店")
    today = date.today()
    campaign = campaigns.create_campaign(
        session, reviewer, name="燃气交叉检查", starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=7), sectors=["gas"], region_codes=[TOWNSHIP2],
        mode="cross_check")
    session.commit()
    phone = field_auth(region=TOWNSHIP1)
    return {"reviewer": reviewer, "site": site, "campaign": campaign, "phone": phone}


def _ids(changes, kind):
    return {c["id"] for c in changes if c["type"] == kind and c["op"] == "put"}


def test_a_cross_check_lends_the_sites_for_the_window_only(client, session, scene, make_user):
    site, phone, campaign = scene["site"], scene["phone"], scene["campaign"]
    before = inspection_args(site, fail=(ITEM,))
    result = push(client, phone, [mutation(1, "inspection.submit", before)]).get_json()
    assert result["results"][0]["error"]["code"] == "not_found"  # not lent yet
    changes, cursor, _ = pull_all(client, phone)
    assert str(site.id) not in _ids(changes, "site")

    assert campaigns.assign(session, scene["reviewer"], campaign.id, region_code=VILLAGE4,
                            inspector_id=phone.user.id) == 1
    session.commit()
    # The grant changes the phone's scope: it pulls again and receives the lent site.
    resp = client.get("/api/v1/sync/pull", query_string={"cursor": cursor}, headers=phone)
    assert_error(resp, 409, "cursor_reset")
    changes, cursor, _ = pull_all(client, phone)
    assert str(site.id) in _ids(changes, "site")
    assert any(c["type"] == "task" and c["data"]["data"]["mode"] == "cross_check"
               for c in changes)

    args = inspection_args(site, fail=(ITEM,))  # the phone says routine …
    result = push(client, phone, [mutation(2, "inspection.submit", args)]).get_json()
    assert result["results"][0]["status"] == "applied", result
    session.expire_all()
    inspection = session.get(Inspection, uuid.UUID(args["id"]))
    assert inspection.kind == "cross_check"  # … the server knows it is a cross-check
    hazard_id = derived_id(args["id"], ITEM)
    assert session.get(Hazard, uuid.UUID(hazard_id)).source == "cross_check"
    changes, cursor, _ = pull_all(client, phone, cursor)
    assert hazard_id in _ids(changes, "hazard") and args["id"] in _ids(changes, "inspection")

    # The window closes: the phone must pull again, without the lent site, which is now
    # out of reach.
    session.get(Campaign, campaign.id).ends_on = date.today() - timedelta(days=1)
    session.commit()
    assert_error(client.get("/api/v1/sync/pull", query_string={"cursor": cursor},
                            headers=phone), 409, "cursor_reset")
    changes, _cursor, _ = pull_all(client, phone)
    assert str(site.id) not in _ids(changes, "site")
    assert hazard_id not in _ids(changes, "hazard")
    after = inspection_args(site, fail=(ITEM,))
    result = push(client, phone, [mutation(3, "inspection.submit", after)]).get_json()
    assert result["results"][0]["status"] == "rejected"
    assert result["results"][0]["error"]["code"] == "not_found"


def test_nobody_cross_checks_their_own_township(session, scene, make_user):
    local = make_user(region=TOWNSHIP2)
    with pytest.raises(Invalid):
        campaigns.assign(session, scene["reviewer"], scene["campaign"].id,
                         region_code=VILLAGE4, inspector_id=local.id)


def test_a_standard_campaign_lends_nothing(client, session, scene, make_user):
    standard = campaigns.create_campaign(
        session, scene["reviewer"], name="常规", starts_on=date.today(),
        ends_on=date.today() + timedelta(days=3), sectors=["gas"], region_codes=[TOWNSHIP2])
    session.commit()
    with pytest.raises(Invalid):  # an inspector of another township cannot reach it
        campaigns.assign(session, scene["reviewer"], standard.id, region_code=VILLAGE4,
                         inspector_id=scene["phone"].user.id)
