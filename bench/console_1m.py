"""Benchmark: the console's register page and dashboard over 1,000,000 hazards (PostgreSQL).

    createdb -h 127.0.0.1 -U postgres bench1m
    .venv/bin/python -m bench.console_1m [--url postgresql+psycopg://postgres@127.0.0.1/bench1m]
                                          [--rows 1000000] [--inspections 200000]
                                          [--reseed] [--repeat 5]

Seeds (once; --reseed to redo) the demo regions, ~20,000 sites and N hazards with
realistic skew (most general, ~3% major, most closed, a few overdue and listed; more
in busy townships), via COPY; then inspections over the same two years (more of them in
八里店镇, so its finding rate is far below its peer's and the dashboard's signal has
something to say) and one running campaign (so the dashboard draws its coverage). Then
measures server time of console pages through the Flask test client as a county
reviewer and a city admin: the median and worst of --repeat runs after one warm-up.
Prints a table; asserts nothing (target ≤ 300 ms).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench1m"
SECTORS = [("gas", 40), ("fire", 35), ("construction", 8), ("rural", 12), ("fireworks", 3),
           ("forest", 2)]
STATUSES = [("closed", 78), ("open", 8), ("rectifying", 9), ("pending_verification", 4),
            ("pending_closure", 1)]


def _weighted(pairs):
    return [k for k, w in pairs for _ in range(w)]


def seed(app, rows: int, inspections: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from server.demo import load_demo
    from server.extensions import db
    from server.models import Hazard, Region, Site

    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count()).select_from(Hazard)) >= rows:
            print(f"already seeded ({rows:,} hazards or more)")
            seed_inspections(app, inspections)
            return
        db.session.execute(text("TRUNCATE hazards, hazard_events, hazard_aliases CASCADE"))
        db.session.commit()
        load_demo(db.session, only_if_empty=True)
        db.session.commit()
        villages = db.session.scalars(select(Region.code).where(Region.level == "village")).all()
        rng = random.Random(8)
        have = db.session.scalar(select(func.count()).select_from(Site))
        conn = db.session.connection().connection.driver_connection
        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
                "COPY sites (id, code, name, kind, region_code, address, sectors, version, "
                "created_at, updated_at) FROM STDIN") as copy:
            now = datetime.now(UTC)
            for n in range(max(0, 20_000 - have)):
                copy.write_row((uuid.uuid4(), f"B{n:07d}", f"压测场所{n}", "restaurant",
                                rng.choice(villages), "", '["gas", "fire"]', 1, now, now))
        db.session.commit()
        sites = db.session.execute(select(Site.id, Site.region_code)).all()
        # Busy townships find more: weight sites so the by-township chart is not flat.
        weights = [3 if code.startswith("330502101") else 1 for _, code in sites]
        sectors, statuses = _weighted(SECTORS), _weighted(STATUSES)
        start = datetime.now(UTC) - timedelta(days=730)
        conn = db.session.connection().connection.driver_connection
        with conn.cursor() as cur, cur.copy(
                "COPY hazards (id, site_id, region_code, sector, item, description, severity, "
                "source, status, overdue, deadline, listing_level, stop_work, supplier_major, "
                "before_photos, after_photos, found_at, closed_at, updated_at, version) "
                "FROM STDIN") as copy:
            chosen = rng.choices(sites, weights=weights, k=rows)
            for site_id, region_code in chosen:
                found = start + timedelta(seconds=rng.randrange(730 * 86400))
                status = rng.choice(statuses)
                major = rng.random() < 0.03
                closed_at = found + timedelta(days=rng.randrange(1, 40)) if status == "closed" \
                    else None
                deadline = (found + timedelta(days=30 if major else 7)).date()
                overdue = status != "closed" and deadline < datetime.now(UTC).date()
                listed = "county" if major and rng.random() < 0.5 else None
                copy.write_row((uuid.uuid4(), site_id, region_code, rng.choice(sectors), None,
                                "压测隐患", "major" if major else "general", "inspection",
                                status, overdue, deadline, listed, False, False, "[]", "[]",
                                found, closed_at, found, 1))
        db.session.commit()
        db.session.commit()
        # What autovacuum does to a table that has just grown: statistics and the
        # visibility map (index-only scans need it).
        raw = db.engine.raw_connection()
        try:
            raw.driver_connection.autocommit = True
            raw.driver_connection.execute("VACUUM ANALYZE hazards")
            raw.driver_connection.execute("VACUUM ANALYZE sites")
            raw.driver_connection.execute("ANALYZE regions")
            raw.driver_connection.execute("ANALYZE users")
        finally:
            raw.close()
        print(f"seeded {rows:,} hazards in {time.perf_counter() - t0:.1f} s")
    seed_inspections(app, inspections)


def seed_inspections(app, count: int) -> None:
    """Inspections (what the "far below peers" signal divides by) and a running campaign."""
    from sqlalchemy import func, select

    from server.extensions import db, register_settings
    from server.models import Campaign, Inspection, Site, User
    with app.app_context():
        have = db.session.scalar(select(func.count()).select_from(Inspection))
        if have < count:
            t0 = time.perf_counter()
            rng = random.Random(9)
            inspector = db.session.scalar(select(User.id).where(User.username == "inspector1"))
            sites = db.session.execute(select(Site.id, Site.region_code)).all()
            weights = [4 if code.startswith("330502102") else 1 for _, code in sites]
            checklists = ["gas-restaurant", "gas-household", "fire-small-venue",
                          "rural-household", "construction-site"]
            start = datetime.now(UTC) - timedelta(days=730)
            conn = db.session.connection().connection.driver_connection
            with conn.cursor() as cur, cur.copy(
                    "COPY inspections (id, site_id, region_code, inspector_id, checklist_code, "
                    "checklist_version, kind, started_at, finished_at, scan_verified, answers, "
                    "verifications, signatures, flags, hazard_ids, review_state, "
                    "awaiting_media, received_at, updated_at, version) FROM STDIN") as copy:
                for site_id, region_code in rng.choices(sites, weights=weights, k=count - have):
                    finished = start + timedelta(seconds=rng.randrange(730 * 86400))
                    state = "rejected" if rng.random() < 0.03 else "approved"
                    copy.write_row((uuid.uuid4(), site_id, region_code, inspector,
                                    rng.choice(checklists), 1, "routine",
                                    finished - timedelta(minutes=20), finished, True, "[]",
                                    "[]", "{}", "[]", "[]", state, False, finished, finished,
                                    1))
            db.session.commit()
            raw = db.engine.raw_connection()
            try:
                raw.driver_connection.autocommit = True
                raw.driver_connection.execute("VACUUM ANALYZE inspections")
            finally:
                raw.close()
            print(f"seeded {count - have:,} inspections in {time.perf_counter() - t0:.1f} s")
        if db.session.scalar(select(func.count()).select_from(Campaign)) == 0:
            today = register_settings().today()
            county = db.session.scalar(select(User.region_code)
                                       .where(User.username == "county1"))
            db.session.add(Campaign(
                name="压测燃气专项", starts_on=today - timedelta(days=20),
                ends_on=today + timedelta(days=40), sectors=["gas"], region_codes=[county],
                site_kinds=[], region_code=county))
            db.session.commit()


def measure(app, repeat: int) -> list[tuple]:
    from sqlalchemy import select, text

    from server.extensions import db, register_settings
    from server.models import User

    out = []
    with app.app_context():
        users = {u.username: u.id for u in db.session.scalars(select(User))}
        # The first row measures the dashboard without a rollup: forget an earlier run's.
        db.session.execute(text("TRUNCATE hazard_rollups, hazard_signal_rollups, "
                                "hazard_rollup_runs"))
        db.session.commit()
    from server.register import dashboard

    pages = [
        ("county1", "dashboard live, no rollup (county)", "/console/dashboard"),
        ("county1", "register p1 (default sort)", "/console/hazards"),
        ("county1", "register p1 open+overdue, by deadline",
         "/console/hazards?status=open&status=rectifying&overdue=true&sort=deadline"),
        ("county1", "register p1 major, township", "/console/hazards?severity=major&region=330502101"),
        ("county1", "register deep page 400", "/console/hazards?page=400"),
        ("admin", "register p1 city-wide", "/console/hazards"),
        ("rollup", "", ""),
        ("county1", "dashboard from rollup (county)", "/console/dashboard"),
        ("admin", "dashboard from rollup (city)", "/console/dashboard"),
    ]
    for username, name, url in pages:
        if username == "rollup":
            with app.app_context():
                run = dashboard.refresh_rollup(db.session, register_settings())
                db.session.commit()
                out.append((f"rollup rebuild ({run.rows:,} rows)", "job", run.seconds * 1000,
                            run.seconds * 1000))
            continue
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["uid"] = str(users[username])
            sess["csrf"] = "bench"
        client.get(url).close()  # warm-up
        times = []
        for _ in range(1 if "live" in name else repeat):
            t0 = time.perf_counter()
            resp = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert resp.status_code == 200, (url, resp.status_code)
            resp.close()
        out.append((name, username, statistics.median(times), max(times)))
    # Where the dashboard's time goes: its figures and signals (from the rollup), the
    # coverage of the running campaigns (live), and for comparison the register's live
    # signals (what the dashboard computed per view before the rollup held their counts).
    from server.campaigns import service as campaign_service
    from server.extensions import register_settings
    from server.register import stats as register_stats

    def coverage(user):
        settings = register_settings()
        today = settings.today()
        for c in campaign_service.list_campaigns(db.session, user):
            if c.starts_on <= today <= c.ends_on:
                campaign_service.coverage(db.session, user, c, settings.tz)

    with app.app_context():
        user = db.session.get(User, users["county1"])
        for name, call in (("  of which figures + signals (rollup)",
                            lambda: dashboard.dashboard(db.session, user, register_settings())),
                           ("  of which campaign coverage (live)", lambda: coverage(user)),
                           ("register signals live (30 days, API)",
                            lambda: register_stats.signals(db.session, user, register_settings()))):
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                call()
                times.append((time.perf_counter() - t0) * 1000)
                db.session.rollback()
            out.append((name, "county1", statistics.median(times), max(times)))
        board = dashboard.dashboard(db.session, user, register_settings())
    return out, board


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--inspections", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args(argv)

    import tempfile

    from server import create_app

    instance = tempfile.mkdtemp(prefix="bench-console-")
    app = create_app({"DATABASE_URL": args.url, "SECRET_KEY": "bench",
                      "BLOB_DIR": instance + "/blobs"})
    app.instance_path = instance
    if args.reseed:
        # Migration 0005 is edited in place before release: start from an empty schema.
        with app.app_context():
            from sqlalchemy import text

            from server.extensions import db

            db.session.execute(text("DROP SCHEMA public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
    seed(app, args.rows, args.inspections)
    results, board = measure(app, args.repeat)
    print(f"\nconsole over {args.rows:,} hazards, server time via test client "
          f"(median / worst of {args.repeat}); target <= 300 ms")
    print(f"{'page':<42} {'user':<8} {'median ms':>10} {'worst ms':>10}")
    for name, user, median, worst in results:
        print(f"{name:<42} {user:<8} {median:>10.1f} {worst:>10.1f}")
    sig = board.signals
    print(f"county dashboard as of {board.as_of:%H:%M:%S} UTC, signals "
          f"{sig['period']['from']} – {sig['period']['to']}: "
          f"{len(sig['many_found_no_major'])} many-found-no-major, "
          f"{len(sig['low_finding_rate'])} far-below-peers")
    with app.app_context():
        from server.extensions import db

        db.engine.dispose()


if __name__ == "__main__":
    main()
