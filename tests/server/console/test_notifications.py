"""The console's reminders (issue 17): overdue hazards, listing proposals accepted (listed)
or declined with a reason, bulletins; read per staff member, unread count in the nav."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server import jobs
from server.extensions import register_settings
from server.models import Hazard, HazardEvent, Notification
from tests.conftest import COUNTY1, TOWNSHIP1
from tests.server.register.conftest import register, report  # noqa: F401


@pytest.fixture
def reminded(session, make_user, make_site, report):  # noqa: F811
    """An overdue major hazard in county 1: the nightly run reminds and proposes listing."""
    inspector = make_user(region=TOWNSHIP1)
    reviewer = make_user("county_reviewer", COUNTY1)
    second = make_user("county_reviewer", COUNTY1)
    hazard = report(inspector, make_site(name="周记酒楼"), severity="major")
    jobs.nightly(session, register_settings(), hazard.deadline + timedelta(days=1))
    session.commit()
    return {"hazard": hazard, "reviewer": reviewer, "second": second, "inspector": inspector}


def _proposal(session, user):
    return session.scalar(select(Notification).where(
        Notification.recipient_id == user.id, Notification.kind == "listing_proposed"))


def test_the_page_lists_overdue_and_proposals_with_the_unread_count(console, session,
                                                                    reminded):
    c = console(user=reminded["reviewer"])
    html = c.get("/console/notifications").get_data(as_text=True)
    assert "周记酒楼" in html and "建议挂牌督办" in html and "逾期隐患" in html
    assert 'data-test="nav-unread">2<' in html  # overdue + proposal
    only = c.get("/console/notifications?kind=overdue").get_data(as_text=True)
    assert only.count('<tr data-kind="overdue"') == 1 and '<tr data-kind="listing' not in only
    assert c.get("/console/notifications?kind=gossip").status_code == 422
    c.client.post("/console/lang", data={"lang": "en", "csrf_token": c.csrf})
    english = c.get("/console/notifications").get_data(as_text=True)
    assert "Reminders" in english and "Listing proposals" in english


def test_read_per_person(console, session, reminded):
    c = console(user=reminded["reviewer"])
    overdue = session.scalar(select(Notification).where(
        Notification.recipient_id == reminded["reviewer"].id, Notification.kind == "overdue"))
    assert c.post("/console/notifications/read", {"ids": str(overdue.id)}).status_code == 302
    html = c.get("/console/notifications").get_data(as_text=True)
    assert 'data-test="nav-unread">1<' in html
    # Another reviewer's reminders are theirs: still unread, and not markable by this one.
    theirs = _proposal(session, reminded["second"])
    assert c.post("/console/notifications/read", {"ids": str(theirs.id)}).status_code == 404
    assert c.post("/console/notifications/read", {}).status_code == 422
    assert c.post("/console/notifications/read", {"all": "true", "x": "1"}).status_code == 422
    assert c.post("/console/notifications/read", {"all": "true"}).status_code == 302
    assert 'data-test="nav-unread"' not in c.get("/console/notifications").get_data(as_text=True)
    session.expire_all()
    assert _proposal(session, reminded["second"]).read_at is None


def test_accepting_a_proposal_lists_the_hazard_for_everyone_it_was_sent_to(console, session,
                                                                         reminded):
    c = console(user=reminded["reviewer"])
    mine = _proposal(session, reminded["reviewer"])
    resp = c.post(f"/console/notifications/{mine.id}/decide", {"decision": "accept"})
    assert resp.status_code == 302
    session.expire_all()
    hazard = session.get(Hazard, reminded["hazard"].id)
    assert hazard.listing_level == "county"
    theirs = _proposal(session, reminded["second"])
    assert theirs.data["decision"]["outcome"] == "accepted" and theirs.read_at is not None
    assert theirs.data["decision"]["by"] == reminded["reviewer"].name
    # Decided once: the other reviewer cannot decide it again.
    again = console(user=reminded["second"]).post(
        f"/console/notifications/{theirs.id}/decide", {"decision": "decline", "reason": "x"})
    assert again.status_code == 409 and "already_decided" in again.get_data(as_text=True)
    html = c.get("/console/notifications?kind=listing_proposed").get_data(as_text=True)
    assert 'data-test="decision"' in html and 'data-test="accept"' not in html


def test_declining_needs_a_reason_and_records_it_on_the_hazard(console, session, reminded):
    c = console(user=reminded["reviewer"])
    mine = _proposal(session, reminded["reviewer"])
    url = f"/console/notifications/{mine.id}/decide"
    assert c.post(url, {"decision": "decline"}).status_code == 422
    assert c.post(url, {"decision": "maybe"}).status_code == 422
    assert c.post(url, {"decision": "decline", "reason": "已责令停业整改，期限内可完成"}).status_code == 302
    session.expire_all()
    assert session.get(Hazard, reminded["hazard"].id).listing_level is None
    [comment] = session.scalars(select(HazardEvent).where(
        HazardEvent.hazard_id == reminded["hazard"].id, HazardEvent.type == "comment")).all()
    assert comment.data["text"] == "不予县级挂牌督办：已责令停业整改，期限内可完成"
    assert _proposal(session, reminded["second"]).data["decision"]["outcome"] == "declined"
    # Not a proposal, or not one's own: as if it did not exist.
    overdue = session.scalar(select(Notification).where(
        Notification.recipient_id == reminded["reviewer"].id, Notification.kind == "overdue"))
    assert c.post(f"/console/notifications/{overdue.id}/decide",
                  {"decision": "accept"}).status_code == 404
    theirs = _proposal(session, reminded["inspector"]) or overdue
    assert c.post(f"/console/notifications/{theirs.id}/decide",
                  {"decision": "accept"}).status_code == 404


def test_a_county_reviewer_cannot_accept_a_city_listing(console, session, reminded):
    """The listing's own permission rule holds: a city proposal is the city's to accept."""
    reviewer = reminded["reviewer"]
    proposal = _proposal(session, reviewer)
    proposal.data = {**proposal.data, "level": "city"}
    session.commit()
    resp = console(user=reviewer).post(f"/console/notifications/{proposal.id}/decide",
                                       {"decision": "accept"})
    assert resp.status_code == 403
    session.expire_all()
    assert session.get(Hazard, reminded["hazard"].id).listing_level is None
    assert _proposal(session, reviewer).data.get("decision") is None
