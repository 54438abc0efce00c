"""Dashboard rollup: the figures and signals it gives equal the live register's, whether
the signals fire or not; rebuilding is idempotent, also when two rebuilds overlap."""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.extensions import register_settings
from server.models import Hazard, Inspection, User
from server.models.rollup import HazardRollup, HazardRollupRun, HazardSignalRollup
from tests.conftest import CITY, COUNTY1, PG, TOWNSHIP1, TOWNSHIP2

VILLAGES = ["330502101201", "330502101202", "330502101203", "330502102201", "330502102202",
            "330502102203", "330521102201", "330521102202"]
CHECKLISTS = ["gas-restaurant", "gas-household", "fire-small-venue", "rural-household",
              "no-such-checklist"]


def _seed(session, make_user, make_site, rng: random.Random, *, hazards=300, inspections=160):
    """Hazards and inspections straight into the tables, spread over 14 months with some
    on the signals' period edges. 八里店镇 (TOWNSHIP2) never finds a major hazard and
    finds few gas hazards per gas inspection: where the signals can fire."""
    inspector = make_user(region=TOWNSHIP1)
    sites = {v: make_site(region=v, name=f"场所{v[-3:]}") for v in VILLAGES}
    settings = register_settings()
    today = settings.today()
    start = settings.day_start(today - timedelta(days=29))
    now = settings.day_start(today) + timedelta(hours=10)
    edges = [start, start - timedelta(microseconds=1), start + timedelta(microseconds=1)]
    for n in range(hazards):
        village = rng.choice(VILLAGES)
        quiet = village.startswith(TOWNSHIP2)
        sector = rng.choice(["fire", "rural"] if quiet and rng.random() < 0.8 else
                            ["gas", "fire", "rural", "construction"])
        found = edges[n] if n < len(edges) else \
            now - timedelta(days=rng.uniform(0, 420) if n % 3 else rng.uniform(0, 40))
        status = rng.choice(["open", "rectifying", "pending_verification", "closed",
                             "closed", "closed"])
        major = not quiet and rng.random() < 0.15
        session.add(Hazard(
            id=uuid.uuid4(), site_id=sites[village].id, region_code=village, sector=sector,
            description="测试隐患", severity="major" if major else "general",
            source="inspection", status=status, overdue=status != "closed" and rng.random() < .3,
            deadline=found.date() + timedelta(days=7),
            listing_level="county" if major and rng.random() < 0.5 else None,
            found_at=found, closed_at=found + timedelta(days=rng.uniform(0.1, 30))
            if status == "closed" else None, version=1))
    for n in range(inspections):
        village = rng.choice(VILLAGES)
        finished = edges[n] if n < len(edges) else now - timedelta(days=rng.uniform(0, 40))
        session.add(Inspection(
            id=uuid.uuid4(), site_id=sites[village].id, region_code=village,
            inspector_id=inspector.id, checklist_code=rng.choice(CHECKLISTS),
            checklist_version=1, kind="routine", started_at=finished - timedelta(minutes=20),
            finished_at=finished,
            review_state=rng.choice(["submitted", "approved", "approved", "rejected"])))
    session.commit()


def _actors(make_user):
    return [make_user(role="city_admin", region=CITY),
            make_user(role="county_reviewer", region=COUNTY1),
            make_user(role="county_reviewer", region="330521"),
            make_user(role="township_inspector", region=TOWNSHIP2)]


def _live_and_rolled(session, actors):
    from server.register import dashboard
    from server.register import stats as register_stats

    assert dashboard.fresh_run(session, register_settings().rollup_max_age_seconds) is None
    live = [dashboard.dashboard(session, a, register_settings()) for a in actors]
    api = [register_stats.signals(session, a, register_settings()) for a in actors]
    dashboard.refresh_rollup(session, register_settings())
    session.commit()
    rolled = [dashboard.dashboard(session, a, register_settings()) for a in actors]
    assert all(b.as_of is None for b in live) and all(b.as_of for b in rolled)
    for board, signals in zip(live, api, strict=True):
        assert board.signals == signals  # the live dashboard shows the API's signals
    return live, rolled


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollup_equals_live_where_the_signals_fire(app, session, make_user, make_site, seed):
    app.config.update(SIGNAL_MIN_HAZARDS=3, SIGNAL_MIN_INSPECTIONS=2, SIGNAL_LOW_RATIO=0.5)
    _seed(session, make_user, make_site, random.Random(seed))
    actors = _actors(make_user)
    live, rolled = _live_and_rolled(session, actors)
    for a, b in zip(live, rolled, strict=True):
        assert replace(b, as_of=None) == a
    county = rolled[1].signals
    assert [r["region"]["code"] for r in county["many_found_no_major"]] == [TOWNSHIP2]
    assert (TOWNSHIP2, "gas") in {(r["region"]["code"], r["sector"])
                                  for r in county["low_finding_rate"]}
    assert sum(g.found for g in rolled[0].by_township.values()) == \
        session.scalar(select(func.count()).select_from(Hazard))


def test_rollup_equals_live_where_the_signals_do_not_fire(app, session, make_user, make_site):
    app.config.update(SIGNAL_MIN_HAZARDS=10_000, SIGNAL_MIN_INSPECTIONS=10_000)
    _seed(session, make_user, make_site, random.Random(4))
    live, rolled = _live_and_rolled(session, _actors(make_user))
    for a, b in zip(live, rolled, strict=True):
        assert replace(b, as_of=None) == a
        assert not b.signals["many_found_no_major"] and not b.signals["low_finding_rate"]
    # The rollup holds counts, not verdicts: thresholds set later apply to it at once.
    from server.register import dashboard

    app.config.update(SIGNAL_MIN_HAZARDS=3, SIGNAL_MIN_INSPECTIONS=2, SIGNAL_LOW_RATIO=0.5)
    county = session.get(User, _actors(make_user)[1].id)
    assert dashboard.dashboard(session, county, register_settings()).signals["many_found_no_major"]


def test_the_signal_period_is_the_runs(app, session, make_user, make_site):
    """A rollup from yesterday reports yesterday's 30 days, and says so."""
    from server.register import dashboard

    _seed(session, make_user, make_site, random.Random(5), hazards=40, inspections=20)
    county = make_user(role="county_reviewer", region=COUNTY1)
    run = dashboard.refresh_rollup(session, register_settings())
    run.signals_from -= timedelta(days=1)
    run.signals_to -= timedelta(days=1)
    session.commit()
    board = dashboard.dashboard(session, county, register_settings())
    assert board.signals["period"] == {"from": run.signals_from, "to": run.signals_to}


def test_an_old_run_without_signals_falls_back_to_live(session, make_user, make_site):
    from server.register import dashboard

    _seed(session, make_user, make_site, random.Random(6), hazards=20, inspections=10)
    run = dashboard.refresh_rollup(session, register_settings())
    run.signals_from = run.signals_to = None  # as a run made before migration 0006
    session.commit()
    city_admin = make_user(role="city_admin", region=CITY)
    assert dashboard.dashboard(session, city_admin, register_settings()).as_of is None


def _rollup_rows(session):
    """The chart rollup and the newest run's signal rows."""
    r, s = HazardRollup, HazardSignalRollup
    newest = select(func.max(HazardRollupRun.id)).scalar_subquery()
    return (sorted(session.execute(select(r.region_code, r.sector, r.closed, r.major, r.listed,
                                          r.overdue, r.found_month, r.closed_month, r.n))),
            sorted(session.execute(select(s.region_code, s.sector, s.found, s.major,
                                          s.inspections).where(s.run_id == newest))))


def test_rollup_job_is_idempotent(app, session, make_user, make_site):
    from server import jobs

    _seed(session, make_user, make_site, random.Random(7), hazards=120, inspections=60)
    session.commit()  # end our read: the job's own session needs the write lock
    first = jobs.run_job(app, "dashboard_rollup")
    rows = _rollup_rows(session)
    session.commit()
    second = jobs.run_job(app, "dashboard_rollup")
    assert _rollup_rows(session) == rows
    assert (first["rows"], first["signal_rows"]) == (second["rows"], second["signal_rows"])
    assert first["signal_rows"] == len(rows[1]) > 0
    assert session.scalar(select(func.sum(HazardRollup.n))) == 120
    # The previous run keeps its rows (a page may be reading it); older runs' are gone.
    session.commit()
    jobs.run_job(app, "dashboard_rollup")
    newest_two = session.scalars(select(HazardRollupRun.id).order_by(HazardRollupRun.id.desc())
                                 .limit(2)).all()
    assert set(session.scalars(select(HazardSignalRollup.run_id))) == set(newest_two)
    assert _rollup_rows(session) == rows


def test_a_page_reading_a_run_keeps_its_rows_through_a_rebuild(app, session, make_user,
                                                               make_site):
    from server.register import dashboard

    app.config.update(SIGNAL_MIN_HAZARDS=3, SIGNAL_MIN_INSPECTIONS=2, SIGNAL_LOW_RATIO=0.5)
    _seed(session, make_user, make_site, random.Random(9))
    county = make_user(role="county_reviewer", region=COUNTY1)
    dashboard.refresh_rollup(session, register_settings())
    session.commit()
    run = dashboard.fresh_run(session, register_settings().rollup_max_age_seconds)
    before = dashboard._rollup_signals(session, county, run, register_settings())
    assert before["many_found_no_major"]
    dashboard.refresh_rollup(session, register_settings())  # commits between the page's two reads
    session.commit()
    assert dashboard._rollup_signals(session, county, run, register_settings()) == before


@pytest.mark.skipif(not PG, reason="overlapping rebuilds need PostgreSQL's row locking")
def test_overlapping_rebuilds_do_not_double_the_counts(app, session, make_user, make_site):
    from sqlalchemy.orm import Session

    from server.extensions import db
    from server.register import dashboard

    _seed(session, make_user, make_site, random.Random(8), hazards=60, inspections=30)
    dashboard.refresh_rollup(session, register_settings())
    session.commit()
    expected = _rollup_rows(session)
    session.commit()
    first_built, second_started, second_done = (threading.Event() for _ in range(3))
    errors = []

    def rebuild(first: bool):
        try:
            with app.app_context(), db.engine.connect() as conn, conn.begin():
                own = Session(bind=conn)
                if not first:
                    first_built.wait(10)
                    second_started.set()
                dashboard.refresh_rollup(own, register_settings())
                if first:  # hold the first rebuild open while the second one starts
                    first_built.set()
                    second_started.wait(10)
                    second_done.wait(1)  # the second waits for our commit: times out
                own.close()
            if not first:
                second_done.set()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=rebuild, args=(first,)) for first in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and second_done.is_set()
    assert _rollup_rows(session) == expected
    assert session.scalar(select(func.sum(HazardRollup.n))) == 60
    # Three runs in all: the newest two keep their signal rows, once each.
    assert session.scalar(select(func.count(func.distinct(HazardSignalRollup.run_id)))) == 2
    assert session.scalar(select(func.count()).select_from(HazardSignalRollup)) == \
        2 * len(expected[1])
