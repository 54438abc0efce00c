"""Pull over HTTP: first pull of a township (3,000 sites, 5,000 hazards), empty pull.

Run: .venv/bin/python -m bench.sync_pull [--sites 3000] [--hazards 5000] [--skip-pg]

The rows are made through the ORM, so the change-log listener writes the feed exactly as
in production. The first pull follows the cursor with limit=1000 (plus the checklists)
against a gunicorn server on loopback; "gzip" is the size of the same bodies gzipped
(level 6, what the reverse proxy sends). The empty pull is an incremental pull with the
last cursor, median and p95 of 50. Beside them: bare SQLAlchemy Core reading the same
rows in scope and JSON-encoding them, in the same run, and the ratio; then the load
average (the machine is shared). Asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from sqlalchemy import create_engine, select

from bench._syncbase import Workdir, fresh_database, make_app, seed_user

TOWNSHIP = "330502101"
VILLAGES = ("330502101201", "330502101202")


def _seed(app, n_sites: int, n_hazards: int) -> None:
    from server.extensions import db
    from server.models import Hazard, Site

    now = datetime.now(UTC)
    with app.app_context():
        session = db.session
        sites = [Site(id=uuid.uuid4(), code=f"P{i:06d}", name=f"场所{i}号", kind="restaurant",
                      region_code=VILLAGES[i % 2], address=f"测试村{i}号", lat=30.84, lon=120.27,
                      contact_name="联系人", contact_phone="13800000000", sectors=["gas", "fire"])
                 for i in range(n_sites)]
        session.add_all(sites)
        session.flush()
        for i in range(n_hazards):
            site = sites[i % n_sites]
            session.add(Hazard(id=uuid.uuid4(), site_id=site.id, region_code=site.region_code,
                               sector="gas", item=None, description="燃气软管老化开裂,需更换",
                               severity="general", source="inspection", status="open",
                               found_at=now, before_photos=[], after_photos=[]))
            if i % 1000 == 999:
                session.flush()
        session.commit()
        db.session.remove()
        db.engine.dispose()


def _get(server, path, headers):
    from tests.sync.live import request

    status, _, body = request(server.host, "GET", path, headers=headers, timeout=120)
    assert status == 200, body
    return body


def _core_baseline(url: str) -> tuple[float, int]:
    from server.models import Hazard, Region, Site

    engine = create_engine(url)
    try:
        started = time.perf_counter()
        with engine.connect() as conn:
            scope = select(Region.code).where(Region.path.like(f"%/{TOWNSHIP}/%"))
            rows = []
            for table, region in ((Site.__table__, Site.region_code),
                                  (Hazard.__table__, Hazard.region_code)):
                rows += [dict(r._mapping) for r in conn.execute(
                    select(table).where(region.in_(scope)))]
            json.dumps(rows, default=str, ensure_ascii=False).encode()
        return time.perf_counter() - started, len(rows)
    finally:
        engine.dispose()


def run_backend(kind: str, n_sites: int, n_hazards: int) -> dict | None:
    from tests.sync.live import LiveServer

    with Workdir() as work:
        url = fresh_database(kind, work)
        if url is None:
            return None
        app = make_app(url, work)
        (headers, _cid), = seed_user(app, region=TOWNSHIP)
        _seed(app, n_sites, n_hazards)
        server = LiveServer(url, work / "srv", workers=2, secret="bench-secret")
        server.start()
        try:
            _get(server, "/api/v1/sync/pull?limit=1", headers)  # warm the worker
            started = time.perf_counter()
            cursor, pages, raw, zipped, changes = None, 0, 0, 0, 0
            while True:
                path = "/api/v1/sync/pull?limit=1000" + (f"&cursor={quote(cursor)}" if cursor else "")
                body = _get(server, path, headers)
                encoded = json.dumps(body, ensure_ascii=False).encode()
                raw += len(encoded)
                zipped += len(gzip.compress(encoded, 6))
                pages += 1
                changes += len(body["changes"])
                cursor = body["cursor"]
                if not body["has_more"]:
                    break
            first_s = time.perf_counter() - started
            empties = []
            for _ in range(50):
                t = time.perf_counter()
                body = _get(server, f"/api/v1/sync/pull?cursor={quote(cursor)}", headers)
                empties.append((time.perf_counter() - t) * 1000)
                assert not body["changes"]
        finally:
            server.stop()
        core_s, core_rows = _core_baseline(url)
        return {"kind": kind, "first_s": first_s, "pages": pages, "changes": changes,
                "raw": raw, "gzip": zipped, "empty_med": statistics.median(empties),
                "empty_p95": sorted(empties)[int(len(empties) * 0.95) - 1],
                "core_s": core_s, "core_rows": core_rows}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench.sync_pull")
    parser.add_argument("--sites", type=int, default=3000)
    parser.add_argument("--hazards", type=int, default=5000)
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args(argv)
    results = [run_backend("sqlite", args.sites, args.hazards)]
    if not args.skip_pg:
        results.append(run_backend("pg", args.sites, args.hazards))
    print(f"\nfirst pull of a township: {args.sites} sites + {args.hazards} hazards (+ checklists),"
          " limit=1000, gunicorn 2 workers, HTTP on loopback")
    print(f"{'database':<9} {'first s':>8} {'pages':>6} {'changes':>8} {'raw MB':>7} "
          f"{'gzip MB':>8} {'Core s':>7} {'ratio':>6} {'empty ms p50':>13} {'p95':>6}")
    for r in filter(None, results):
        print(f"{r['kind']:<9} {r['first_s']:>8.2f} {r['pages']:>6} {r['changes']:>8} "
              f"{r['raw'] / 1e6:>7.2f} {r['gzip'] / 1e6:>8.2f} {r['core_s']:>7.2f} "
              f"{r['first_s'] / r['core_s']:>6.1f} {r['empty_med']:>13.1f} "
              f"{r['empty_p95']:>6.1f}")
    print("  ratio = HTTP first pull time / bare Core read+JSON of the same rows in scope")
    print("load average 1/5/15 min at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
