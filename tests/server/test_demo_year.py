"""`xuncha demo`: a year of the demo county's work, written through the register, with
hazards in every state, campaigns, follow-ups, bulletins, returned inspections and both
shallow-inspection signals for one township. Built once for the module (about a minute)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.demo import photos
from tests.conftest import PG, _make_app, _truncate_all

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def county(database_template, tmp_path_factory):
    """An app on a database holding the demo county and its year (built once)."""
    import shutil

    from server.extensions import db

    base = tmp_path_factory.mktemp("demo-county")
    if PG:
        url = database_template
    else:
        shutil.copyfile(database_template, base / "xuncha.db")
        url = f"sqlite:///{base / 'xuncha.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XUNCHA_INSTANCE_PATH", str(base / "instance"))
        app = _make_app(url, base)
        runner = app.test_cli_runner()
        with app.app_context():
            result = runner.invoke(args=["demo"])
            assert result.exit_code == 0, result.output
            yield app, result.output
            db.session.remove()
            db.engine.dispose()
    if PG:
        _truncate_all(url)


def scalar(stmt):
    from server.extensions import db

    return db.session.scalar(stmt)


def test_every_demo_inspector_worked_across_the_checklists(county):
    from server.extensions import db
    from server.models import Inspection, User

    app, output = county
    assert "a year of work" in output
    by_user = dict(db.session.execute(select(User.username, func.count(Inspection.id))
                                      .join(Inspection, Inspection.inspector_id == User.id)
                                      .group_by(User.username)).all())
    assert set(by_user) == {"inspector1", "inspector2", "cadre1"}
    assert min(by_user.values()) >= 50
    codes = set(db.session.scalars(select(Inspection.checklist_code).distinct()))
    assert {"gas-household", "rural-household-south", "fire-small-venue",
            "gas-restaurant"} <= codes
    assert "rural-household" not in codes  # the demo county is in the south
    first, last = db.session.execute(select(func.min(Inspection.finished_at),
                                            func.max(Inspection.finished_at))).one()
    assert (last - first).days >= 350


def test_hazards_in_every_state_with_their_photos(county):
    from server.extensions import db
    from server.models import Blob, Hazard, HazardEvent

    statuses = set(db.session.scalars(select(Hazard.status).distinct()))
    assert statuses == {"open", "rectifying", "pending_verification", "pending_closure",
                        "closed"}
    still = Hazard.status != "closed"
    assert scalar(select(func.count()).where(still, Hazard.overdue.is_(True))) >= 5
    levels = set(db.session.scalars(select(Hazard.listing_level).where(still)))
    assert {"county", "city"} <= levels
    assert scalar(select(func.count()).where(still, Hazard.stop_work.is_(True))) >= 1
    closed = db.session.scalars(select(Hazard).where(Hazard.status == "closed")
                                .order_by(Hazard.id).limit(20)).all()
    stored = set(db.session.scalars(select(Blob.sha256)))
    for hazard in closed:
        events = {e.type: e for e in db.session.scalars(
            select(HazardEvent).where(HazardEvent.hazard_id == hazard.id))}
        assert set(events["found"].data["photos"]) <= stored and events["found"].data["photos"]
        after = events["verified_rectified"].data["photos"]
        assert after and set(after) <= stored
    kinds = set(db.session.scalars(select(HazardEvent.type).distinct()))
    assert {"listed", "delisted", "signed_off", "stop_work_ordered", "stop_work_lifted",
            "overdue_flagged", "fix_reported", "planned"} <= kinds
    assert not scalar(select(func.count()).where(HazardEvent.refused.is_(True)))


def test_campaigns_follow_ups_bulletins_and_returned_inspections(county):
    from flask import current_app

    from server.campaigns import service as campaigns
    from server.extensions import db
    from server.models import Bulletin, Campaign, Inspection, Task, User

    reviewer = db.session.scalar(select(User).where(User.username == "county1"))
    names = []
    for campaign in db.session.scalars(select(Campaign).order_by(Campaign.starts_on)):
        rows = campaigns.coverage(db.session, reviewer, campaign, current_app.config["TZ"])
        assert sum(r.inspected for r in rows) > 0
        names.append(campaign.name)
    assert len(names) == 2
    assert scalar(select(func.count()).where(Task.kind == "follow_up")) > 10
    assert scalar(select(func.count()).select_from(Bulletin)) >= 8
    waiting = scalar(select(func.count()).where(Inspection.review_state == "returned",
                                                Inspection.superseded_by.is_(None)))
    assert waiting >= 1
    assert scalar(select(func.count()).where(Inspection.supersedes.isnot(None))) >= 1
    assert scalar(select(func.count()).where(Inspection.review_state == "submitted")) >= 1


@pytest.mark.parametrize("days", [30, 365])
def test_both_signals_fire_for_one_township(county, days):
    from flask import current_app

    from server.extensions import db
    from server.models import Region
    from server.register import stats
    from server.register.settings import RegisterSettings

    settings = RegisterSettings.from_config(current_app.config)
    today = settings.today()
    p = stats.Period(today - timedelta(days=days - 1), today, settings.tz)
    found = stats.signals_for(db.session, db.session.get(Region, "330502"), p, settings)
    assert [s["region"]["name"] for s in found["many_found_no_major"]] == ["八里店镇"]
    assert {s["region"]["name"] for s in found["low_finding_rate"]} == {"八里店镇"}


def test_the_audit_chain_and_seals_verify(county):
    from server.audit import report
    from server.extensions import db

    app, _ = county
    ok, lines = report.run(app, db.session)
    assert ok, lines


def test_twice_changes_nothing_and_empty_keeps_the_bare_setup(county):
    from server.models import HazardEvent, Inspection

    app, _ = county
    before = (scalar(select(func.count()).select_from(Inspection)),
              scalar(select(func.count()).select_from(HazardEvent)))
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0 and "already present" in again.output
    assert "a year of work" not in again.output
    assert (scalar(select(func.count()).select_from(Inspection)),
            scalar(select(func.count()).select_from(HazardEvent))) == before


def test_the_photos_are_the_same_every_time():
    first, second = photos.photo_set(2, 1), photos.photo_set(2, 1)
    assert [photos.sha256(p) for p in first["before"]] == \
        [photos.sha256(p) for p in second["before"]]
    assert first["before"][0] != first["after"][0]
