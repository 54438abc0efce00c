"""Register services: the write path, merging, refusals that keep evidence, replay."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from server.errors import Conflict, InvalidTransition, NotAllowed, NotFound
from server.models import Hazard, HazardAlias, HazardEvent
from server.register.projection import event_dict, project, state_of
from server.register.settings import today_in
from tests.conftest import COUNTY1, COUNTY2, TOWNSHIP1, TOWNSHIP3, VILLAGE1
from tests.server.register.conftest import sha


def test_report_creates_an_open_hazard_from_a_found_event(session, make_user, make_site, report, register):
    inspector = make_user()
    site = make_site()
    hazard = report(inspector, site)
    assert hazard.status == "open" and hazard.version == 1
    assert hazard.region_code == VILLAGE1 and hazard.before_photos == [sha("report")]
    assert hazard.deadline == _today() + timedelta(days=7)
    [event] = register.events_of(hazard.id)
    assert (event.type, event.actor_id, event.refused) == ("found", inspector.id, False)


def test_a_reported_item_joins_the_open_hazard(session, make_user, make_site, report, register):
    inspector, site = make_user(), make_site()
    first = report(inspector, site, item="GAS-R-09a")
    second_id = uuid.uuid4()
    merged = report(inspector, site, item="GAS-R-09a", hazard_id=second_id)
    assert merged.id == first.id and merged.version == 1  # same photo: nothing new
    assert session.get(HazardAlias, second_id).hazard_id == first.id
    assert register.get(inspector, second_id).id == first.id
    assert [e.type for e in register.events_of(first.id)] == ["found", "refound"]
    with pytest.raises(Conflict):
        report(inspector, make_site(), hazard_id=second_id)


def test_the_whole_life_of_a_general_hazard(session, make_user, make_site, report, register):
    inspector, reviewer = make_user(), make_user("county_reviewer", COUNTY1)
    hazard = report(inspector, make_site())
    outcome = register.update_hazard(inspector, hazard.id,
                                    {"measures": "更换软管", "deadline": date(2030, 1, 1),
                                     "responsible_name": "张三"}, [])
    assert outcome.ok and hazard.status == "rectifying" and hazard.version == 2
    assert register.report_rectification(inspector, hazard.id, "已换", [sha("a")]).ok
    assert hazard.status == "pending_verification"
    done = register.verify(inspector, hazard.id, "rectified", "好了", [sha("after")])
    assert done.ok and hazard.status == "closed" and hazard.closed_at is not None
    assert hazard.after_photos == [sha("after")]
    with pytest.raises(InvalidTransition):
        register.act(reviewer, hazard.id, "sign_off", {})


def test_a_major_hazard_needs_a_reviewer_sign_off(session, make_user, make_site, report, register):
    inspector, reviewer = make_user(), make_user("county_reviewer", COUNTY1)
    hazard = report(inspector, make_site(), severity="major")
    assert register.verify(inspector, hazard.id, "rectified", None, [sha("x")]).ok
    assert hazard.status == "pending_closure"
    with pytest.raises(NotAllowed):
        register.act(inspector, hazard.id, "sign_off", {})
    register.act(reviewer, hazard.id, "sign_off", {})
    assert hazard.status == "closed"


def test_a_refused_verification_keeps_its_evidence(session, make_user, make_site, report, register):
    inspector = make_user()
    hazard = report(inspector, make_site())
    outcome = register.verify(inspector, hazard.id, "rectified", "没拍照", [])
    assert isinstance(outcome.error, InvalidTransition) and hazard.status == "open"
    assert outcome.error.details["reason"] == "photo_required"
    cadre = make_user("village_cadre", VILLAGE1)
    refused = register.verify(cadre, hazard.id, "rectified", "村里看过", [sha("c")])
    assert isinstance(refused.error, NotAllowed)
    session.commit()
    events = register.events_of(hazard.id)
    assert [(e.type, e.refused, e.error_code) for e in events][1:] == [
        ("verified_rectified", True, "invalid_transition"),
        ("verified_rectified", True, "forbidden")]
    assert events[2].data["photos"] == [sha("c")] and hazard.version == 1


def test_field_merge_helpers_and_conflicts(session, make_user, make_site, report, register):
    inspector = make_user()
    hazard = report(inspector, make_site())
    register.update_hazard(inspector, hazard.id, {"measures": "整改"}, [])
    register.update_hazard(inspector, hazard.id, {"responsible_phone": "13900000000"},
                          [{"field": "deadline", "server": "2030-01-01", "device": "2030-02-01",
                            "kept": "2030-01-01"}])
    assert register.changed_since(inspector, hazard.id, 1) == {
        "measures", "responsible_phone"}
    assert register.changed_since(inspector, hazard.id, 2) == {"responsible_phone"}
    conflict = [e for e in register.events_of(hazard.id) if e.type == "conflict"]
    assert conflict[0].data["device"] == "2030-02-01"


def test_updates_on_a_closed_hazard_are_refused_not_raised(session, make_user, make_site,
                                                           report, register):
    inspector = make_user()
    hazard = report(inspector, make_site())
    register.verify(inspector, hazard.id, "rectified", None, [sha("p")])
    outcome = register.update_hazard(inspector, hazard.id, {"measures": "x"}, [])
    assert isinstance(outcome.error, InvalidTransition) and outcome.version == hazard.version
    assert register.comment(inspector, hazard.id, "回访正常", []).ok


def test_scope_hides_other_areas(session, make_user, make_site, report, register):
    hazard = report(make_user(), make_site())
    stranger = make_user(region=TOWNSHIP3)
    for call in (lambda: register.get(stranger, hazard.id),
                 lambda: register.comment(stranger, hazard.id, "x"),
                 lambda: register.act(make_user("county_reviewer", COUNTY2), hazard.id,
                                     "comment", {"text": "x"})):
        with pytest.raises(NotFound):
            call()
    assert register.get(make_user(region=TOWNSHIP1), hazard.id).id == hazard.id


def test_listing_rules(session, make_user, make_site, report, register):
    reviewer, admin = make_user("county_reviewer", COUNTY1), make_user("city_admin", "330500")
    general = report(make_user(), make_site())
    with pytest.raises(InvalidTransition) as exc:
        register.act(reviewer, general.id, "list", {"level": "county"})
    assert exc.value.details["reason"] == "major_only"
    register.act(reviewer, general.id, "set_severity",
                {"severity": "major", "reason": "复核为重大"})
    with pytest.raises(NotAllowed):
        register.act(reviewer, general.id, "list", {"level": "city"})
    register.act(admin, general.id, "list", {"level": "city"})
    assert general.listing == {"level": "city", "listed_at": general.listed_at}
    register.act(reviewer, general.id, "stop_work", {"order_no": "吴应急停〔2026〕1号"})
    register.act(reviewer, general.id, "lift_stop_work", {"reason": "整改完成"})
    register.act(admin, general.id, "delist", {"reason": "已销号"})
    assert general.listing is None and general.stop_work is False and general.version == 6


def test_expected_version_guards_staff_actions(session, make_user, make_site, report, register):
    reviewer = make_user("county_reviewer", COUNTY1)
    hazard = report(make_user(), make_site())
    with pytest.raises(Conflict) as exc:
        register.act(reviewer, hazard.id, "comment", {"text": "x"}, expected_version=7)
    assert exc.value.code == "conflict"


def test_replay_of_every_hazard_equals_its_row(session, make_user, make_site, report, submit, register):
    inspector, reviewer = make_user(), make_user("county_reviewer", COUNTY1)
    site, other = make_site(), make_site(kind="household", sectors=["gas"])
    a = report(inspector, site, severity="major")
    b = report(inspector, other, item="GAS-H-06")
    report(inspector, other, item="GAS-H-06")
    register.update_hazard(inspector, a.id, {"measures": "搬出钢瓶",
                                                     "deadline": date(2030, 3, 1)}, [])
    register.act(reviewer, a.id, "list", {"level": "county"})
    register.report_rectification(inspector, a.id, "已整改", [sha("r")])
    register.verify(inspector, a.id, "not_rectified", "未彻底", [sha("n")])
    register.verify(inspector, a.id, "rectified", "好了", [sha("y")])
    register.act(reviewer, a.id, "sign_off", {})
    register.verify(inspector, b.id, "rectified", None, [])  # refused: no photo
    register.comment(inspector, b.id, "业主不在", [sha("c")])
    submit(inspector, site, fail=("GAS-R-01", "GAS-R-03"))
    session.commit()
    session.expire_all()
    hazards = session.scalars(select(Hazard)).all()
    assert len(hazards) == 4
    for hazard in hazards:
        events = session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard.id)
                                 .order_by(HazardEvent.seq)).all()
        assert project([event_dict(e) for e in events]) == state_of(hazard)


def test_deadlines_follow_the_sector_settings(app, monkeypatch, make_user, make_site, report):
    monkeypatch.setitem(app.config, "SECTOR_DEADLINE_DAYS", {"gas": 3})
    inspector, site = make_user(), make_site()
    today = _today()
    assert report(inspector, site).deadline == today + timedelta(days=3)
    assert report(inspector, site, sector="fire").deadline == today + timedelta(days=7)
    assert report(inspector, site, severity="major").deadline == today + timedelta(days=30)


def test_register_settings_are_checked_at_start(tmp_path):
    from server import create_app

    for bad in ({"NIGHTLY_AT": "25:00"}, {"SECTOR_DEADLINE_DAYS": [3]}):
        with pytest.raises(ValueError):
            create_app({"TESTING": True, "SECRET_KEY": "x",
                        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **bad})


def _today():
    from flask import current_app

    return today_in(current_app.config["TZ"])
