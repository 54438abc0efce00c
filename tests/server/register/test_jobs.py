"""Scheduled jobs: overdue reminders, escalation, follow-up tasks, weekly bulletins.

Every job is run twice and must not do anything the second time.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from server import jobs
from server.extensions import register_settings
from server.models import Bulletin, HazardEvent, Notification, Task
from server.register.settings import today_in
from tests.conftest import CITY, COUNTY1, COUNTY2, TOWNSHIP1
from tests.server.register.conftest import sha
from tests.server.test_errors import assert_error


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _events(session, kind):
    return _count(session, HazardEvent, HazardEvent.type == kind)


def test_overdue_is_flagged_once_and_reminds_inspector_and_reviewer(session, make_user,
                                                                   make_site, report, register):
    inspector, reviewer = make_user(), make_user("county_reviewer", COUNTY1)
    make_user("county_reviewer", COUNTY2)  # another county: not told
    hazard = report(inspector, make_site())
    later = hazard.deadline + timedelta(days=1)
    assert jobs.flag_overdue(session, hazard.deadline) == 0  # due today is not overdue
    first = jobs.nightly(session, register_settings(), later)
    session.commit()
    assert first["overdue_reminders"] == 2 and hazard.overdue and hazard.version == 2
    recipients = set(session.scalars(select(Notification.recipient_id)))
    assert recipients == {inspector.id, reviewer.id}
    again = jobs.nightly(session, register_settings(), later + timedelta(days=1))
    session.commit()
    assert again["overdue_reminders"] == 0 and _events(session, "overdue_flagged") == 1
    assert _count(session, Notification) == 2
    # A new deadline ends the flag; when it passes too, there is a new reminder.
    register.update_hazard(inspector, hazard.id,
                          {"deadline": later + timedelta(days=3), "measures": "整改"}, [])
    assert not hazard.overdue
    assert jobs.flag_overdue(session, later + timedelta(days=10)) == 2
    session.commit()
    assert _count(session, Notification) == 4


def test_escalation_proposes_listing_then_the_next_level(app, session, make_user, make_site,
                                                         report, register):
    inspector = make_user()
    reviewer, admin = make_user("county_reviewer", COUNTY1), make_user("city_admin", CITY)
    major = report(inspector, make_site(), severity="major")
    today = major.deadline + timedelta(days=1)
    jobs.nightly(session, register_settings(), today)
    jobs.nightly(session, register_settings(), today)
    session.commit()
    assert _events(session, "listing_proposed") == 1
    proposal = session.scalar(select(Notification).where(Notification.kind == "listing_proposed"))
    assert proposal.recipient_id == reviewer.id and proposal.data == {"level": "county"}
    register.act(reviewer, major.id, "list", {"level": "county"})
    session.commit()
    days, listed_on = app.config["ESCALATION_DAYS"], _today()
    jobs.escalate(session, register_settings(), listed_on + timedelta(days=days - 1))
    assert _count(session, Notification, Notification.recipient_id == admin.id) == 0
    jobs.escalate(session, register_settings(), listed_on + timedelta(days=days + 1))
    jobs.escalate(session, register_settings(), listed_on + timedelta(days=days + 2))
    session.commit()
    [up] = session.scalars(select(Notification).where(Notification.recipient_id == admin.id))
    assert up.data == {"level": "city"} and _events(session, "listing_proposed") == 2


def test_follow_up_task_after_closure_once(app, session, make_user, make_site, report, register):
    inspector = make_user()
    hazard = report(inspector, make_site())
    register.verify(inspector, hazard.id, "rectified", None, [sha("ok")])
    session.commit()
    closed_on = hazard.closed_at.date()
    days = app.config["FOLLOW_UP_DAYS"]
    assert jobs.follow_up(session, register_settings(), closed_on + timedelta(days=days - 2)) == 0
    assert jobs.follow_up(session, register_settings(), closed_on + timedelta(days=days + 1)) == 1
    assert jobs.follow_up(session, register_settings(), closed_on + timedelta(days=days + 2)) == 0
    session.commit()
    [task] = session.scalars(select(Task)).all()
    assert (task.kind, task.site_id, task.hazard_id) == ("follow_up", hazard.site_id, hazard.id)


def test_weekly_bulletin_is_made_once_per_county_and_downloadable(client, auth, session,
                                                                  make_user, make_site,
                                                                  report):
    inspector = make_user()
    report(inspector, make_site(), severity="major")
    today = _today() + timedelta(days=7)
    assert jobs.weekly_bulletin(session, register_settings(), today) == 2
    assert jobs.weekly_bulletin(session, register_settings(), today) == 0
    session.commit()
    assert _count(session, Bulletin) == 2
    headers = auth("county_reviewer", COUNTY1)
    listing = client.get("/api/v1/bulletins", headers=headers).get_json()["items"]
    assert [b["region_code"] for b in listing] == [COUNTY1]
    bid = listing[0]["id"]
    start = date.fromisoformat(listing[0]["period_start"])
    assert start.weekday() == 0 and start <= _today() < start + timedelta(days=7)
    xlsx = client.get(f"/api/v1/bulletins/{bid}.xlsx", headers=headers)
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert wb.sheetnames == ["分区域", "分行业", "预警提示"]
    rows = list(wb["分区域"].iter_rows(values_only=True))
    assert rows[1][:3] == ("区域", "发现隐患", "重大隐患") and rows[-1][:3] == ("合计", "1", "1")
    pdf = client.get(f"/api/v1/bulletins/{bid}.pdf", headers=headers)
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert_error(client.get(f"/api/v1/bulletins/{bid}.pdf", headers=auth(region=TOWNSHIP1)),
                 404, "not_found")


def test_run_job_commits_in_its_own_context(app, session, make_user, make_site, report):
    hazard = report(make_user(), make_site())
    day = hazard.deadline + timedelta(days=1)
    session.commit()  # the job has its own session; ours must not hold the write lock
    result = jobs.run_job(app, "nightly", day)
    assert result["overdue_reminders"] >= 1
    session.expire_all()
    assert hazard.overdue


def test_dashboard_rollup_job_feeds_the_console_dashboard(app, session, make_user, make_site,
                                                          report):
    from server.models.rollup import HazardRollup
    from server.register.dashboard import rollup_as_of

    report(make_user(), make_site())
    session.commit()
    assert rollup_as_of(session, register_settings()) is None
    session.commit()  # end our read: the job's own session needs the write lock
    result = jobs.run_job(app, "dashboard_rollup")
    assert result["rows"] >= 1
    session.expire_all()
    assert rollup_as_of(session, register_settings()) is not None
    assert session.scalar(select(func.sum(HazardRollup.n))) == 1


def test_scheduler_has_every_job(app):
    scheduler = jobs.build_scheduler(app)
    assert {j.id for j in scheduler.get_jobs()} == set(jobs.JOBS)


def _today():
    from flask import current_app

    return today_in(current_app.config["TZ"])
