"""Benchmark: the register's API (list, detail, staff action, statistics, ledger export)
and the nightly job over a seeded register.

    .venv/bin/python -m bench register_api
    .venv/bin/python -m bench.register_api [--url postgresql+psycopg://…/regbench]
                                           [--rows 100000] [--repeat 5] [--jobs]

Seeds a fresh database (a temporary SQLite file by default; with --url, a PostgreSQL
database whose public schema is dropped first) with the demo regions, users and sites
plus N hazards (realistic skew: ~3% major, most closed, some overdue) and N/5
inspections, by bulk insert. Then measures server time through the Flask test client
with bearer tokens: median and worst of --repeat runs after one warm-up. With --jobs,
also the nightly job over the whole register, run twice (the second run finds nothing
new to do). Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

SECTORS = ["gas"] * 40 + ["fire"] * 35 + ["construction"] * 8 + ["rural"] * 12 + ["fireworks"] * 5
STATUSES = ["closed"] * 78 + ["open"] * 8 + ["rectifying"] * 9 + ["pending_verification"] * 4 \
    + ["pending_closure"]
CHECKLISTS = {"gas": "gas-restaurant", "fire": "fire-small-venue",
              "construction": "construction-site", "rural": "rural-household",
              "fireworks": "fireworks-point"}


def seed(app, rows: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from server.demo import load_demo
    from server.extensions import db
    from server.models import Hazard, Inspection, Site, User

    with app.app_context():
        upgrade()
        load_demo(db.session)
        db.session.commit()
        sites = db.session.execute(select(Site.id, Site.region_code)).all()
        inspector = db.session.scalar(select(User.id).where(User.username == "inspector1"))
        rng = random.Random(4)
        now = datetime.now(UTC)
        start = now - timedelta(days=730)
        t0 = time.perf_counter()
        batch = []
        for n in range(rows):
            site_id, region_code = rng.choice(sites)
            found = start + timedelta(seconds=rng.randrange(730 * 86400))
            status = rng.choice(STATUSES)
            major = rng.random() < 0.03
            deadline = (found + timedelta(days=30 if major else 7)).date()
            batch.append({
                "id": uuid.uuid4(), "site_id": site_id, "region_code": region_code,
                "sector": rng.choice(SECTORS), "item": None, "description": "压测隐患",
                "severity": "major" if major else "general", "source": "inspection",
                "status": status, "overdue": False,  # flagging is the nightly job's work
                "deadline": deadline, "listing_level": "county" if major and n % 2 else None,
                "stop_work": False, "supplier_major": False, "before_photos": [],
                "after_photos": [], "found_at": found, "updated_at": found, "version": 1,
                "closed_at": found + timedelta(days=rng.randrange(1, 40))
                if status == "closed" else None,
            })
            if len(batch) == 5000:
                db.session.execute(insert(Hazard.__table__), batch)
                batch = []
        if batch:
            db.session.execute(insert(Hazard.__table__), batch)
        inspections = []
        for _ in range(rows // 5):
            site_id, region_code = rng.choice(sites)
            finished = start + timedelta(seconds=rng.randrange(730 * 86400))
            inspections.append({
                "id": uuid.uuid4(), "site_id": site_id, "region_code": region_code,
                "inspector_id": inspector, "checklist_code": rng.choice(list(CHECKLISTS.values())),
                "checklist_version": 1, "kind": "routine",
                "started_at": finished - timedelta(minutes=20), "finished_at": finished,
                "scan_verified": True, "answers": [], "verifications": [], "signatures": {},
                "flags": [], "hazard_ids": [], "review_state": "approved",
                "awaiting_media": False, "received_at": finished, "updated_at": finished,
                "version": 1})
        for i in range(0, len(inspections), 5000):
            db.session.execute(insert(Inspection.__table__), inspections[i:i + 5000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            raw = db.engine.raw_connection()
            try:
                raw.driver_connection.autocommit = True
                raw.driver_connection.execute("VACUUM ANALYZE hazards")
                raw.driver_connection.execute("VACUUM ANALYZE inspections")
            finally:
                raw.close()
        print(f"seeded {rows:,} hazards and {rows // 5:,} inspections "
              f"in {time.perf_counter() - t0:.1f} s")


def _tokens(app) -> dict[str, dict]:
    from sqlalchemy import select

    from server.auth.tokens import new_token, token_hash
    from server.extensions import db
    from server.models import AuthToken, Device, User

    out = {}
    with app.app_context():
        for user in db.session.scalars(select(User)):
            token, client_id = new_token(), uuid.uuid4()
            db.session.add(Device(client_id=client_id, user_id=user.id, name="bench"))
            db.session.flush()
            db.session.add(AuthToken(token_hash=token_hash(token), user_id=user.id,
                                     client_id=client_id))
            out[user.username] = {"Authorization": f"Bearer {token}"}
        db.session.commit()
    return out


def _time(call, repeat: int) -> tuple[float, float]:
    call()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def measure(app, repeat: int, jobs: bool) -> list[tuple]:
    from sqlalchemy import select

    from server.extensions import db
    from server.models import Hazard

    headers = _tokens(app)
    client = app.test_client()
    with app.app_context():
        hazard_id = db.session.scalar(select(Hazard.id).where(
            Hazard.region_code.like("330502101%"), Hazard.status != "closed").limit(1))
    today = datetime.now(UTC).date()

    def get(url, user):
        def call():
            resp = client.get(url, headers=headers[user])
            assert resp.status_code == 200, (url, resp.status_code, resp.get_data()[:300])
            return resp
        return call

    def comment():
        resp = client.post(f"/api/v1/hazards/{hazard_id}/actions", headers=headers["county1"],
                           json={"action": "comment", "text": "压测备注"})
        assert resp.status_code == 200, resp.get_data()[:300]

    cases = [
        ("list p1, default sort", "county1", "/api/v1/hazards"),
        ("list p1 open+overdue by deadline", "county1",
         "/api/v1/hazards?status=open,rectifying&overdue=true&sort=deadline"),
        ("list p1 major in a township", "county1",
         "/api/v1/hazards?severity=major&region=330502101"),
        ("list p1 city-wide", "admin", "/api/v1/hazards"),
        ("list p1 township inspector", "inspector1", "/api/v1/hazards?status=open"),
        ("hazard detail", "county1", f"/api/v1/hazards/{hazard_id}"),
        ("stats summary county, 30 days", "county1", "/api/v1/stats/summary"),
        ("stats summary city, 365 days", "admin",
         f"/api/v1/stats/summary?date_from={today - timedelta(days=364)}"),
        ("signals county, 30 days", "county1", "/api/v1/stats/signals"),
        ("ledger XLSX township, 90 days", "county1",
         f"/api/v1/exports/hazards.xlsx?region=330502101&found_from={today - timedelta(days=89)}"),
    ]
    out = []
    for name, user, url in cases:
        median, worst = _time(get(url, user), repeat)
        out.append((name, user, median, worst))
    median, worst = _time(comment, repeat)
    out.append(("staff action: comment (row lock, audit)", "county1", median, worst))
    if jobs:
        from server import jobs as job_module

        for run in ("first", "second"):
            t0 = time.perf_counter()
            result = job_module.run_job(app, "nightly")
            ms = (time.perf_counter() - t0) * 1000
            out.append((f"nightly job, {run} run {result}", "system", ms, ms))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", action="store_true")
    args = parser.parse_args(argv)

    from sqlalchemy import text

    from server import create_app

    instance = tempfile.mkdtemp(prefix="bench-register-")
    url = args.url or f"sqlite:///{os.path.join(instance, 'bench.db')}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench",
                      "BLOB_DIR": os.path.join(instance, "blobs")})
    if url.startswith("postgresql"):
        with app.app_context():
            from server.extensions import db

            db.session.execute(text("DROP SCHEMA public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
    seed(app, args.rows)
    results = measure(app, args.repeat, args.jobs)
    backend = url.split(":", 1)[0]
    print(f"\nregister API over {args.rows:,} hazards on {backend}, server time via test "
          f"client (median / worst of {args.repeat})")
    print(f"{'case':<48} {'user':<10} {'median ms':>10} {'worst ms':>10}")
    for name, user, median, worst in results:
        print(f"{name:<48} {user:<10} {median:>10.1f} {worst:>10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
