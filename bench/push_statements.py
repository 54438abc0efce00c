"""SQL statements and transaction commands per single-inspection push (batch of 1).

Run: .venv/bin/python -m bench.push_statements [--pushes 20] [--skip-pg]

Pushes one inspection.submit per request through the Flask test client (the full
request: token check, body parsing, push, commit) into a fresh database, after a few
warm-up pushes, and counts what reaches the database driver per push: statements
(SELECT/INSERT/UPDATE/DELETE and the rest) and transaction commands (BEGIN, COMMIT,
ROLLBACK, SAVEPOINT, RELEASE). Prints the median counts; with --verbose, one push's
statements. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
from datetime import UTC, datetime

from sqlalchemy import event

TXN = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def measure(kind: str, pushes: int, warm: int = 5) -> dict | None:
    import forms
    from bench._syncbase import Workdir, fresh_database, make_app, seed_user
    from bench.sync_push import CHECKLIST, _inspection, _sites
    from server.extensions import db

    with Workdir() as work:
        url = fresh_database(kind, work)
        if url is None:
            return None
        app = make_app(url, work)
        ((headers, client_id),) = seed_user(app, n_devices=1)
        sites = _sites(app, warm + pushes)
        fail = [i.code for i in forms.get(*CHECKLIST).items if i.fail is not None][:2]
        log: list[str] = []
        with app.app_context():
            engine = db.engine

            @event.listens_for(engine, "before_cursor_execute")
            def _stmt(_conn, _cur, statement, *_a):
                log.append(statement)

            for ev, word in (("begin", "BEGIN"), ("commit", "COMMIT"), ("rollback", "ROLLBACK"),
                             ("savepoint", "SAVEPOINT"), ("release_savepoint", "RELEASE"),
                             ("rollback_savepoint", "ROLLBACK")):
                # SQLite's BEGIN IMMEDIATE goes through the cursor already (counted there).
                if kind == "sqlite" and ev == "begin":
                    continue
                event.listen(engine, ev, lambda *_a, w=word: log.append(w))
        client = app.test_client()
        per_push = []
        for i in range(warm + pushes):
            body = {"client_id": str(client_id), "sent_at": datetime.now(UTC).isoformat(),
                    "mutations": [{"id": i + 1, "name": "inspection.submit",
                                   "at": datetime.now(UTC).isoformat(),
                                   "args": _inspection(sites[i], fail)}]}
            log.clear()
            resp = client.post("/api/v1/sync/push", data=json.dumps(body), headers=dict(
                headers, **{"Content-Type": "application/json"}))
            assert resp.status_code == 200, resp.get_data(as_text=True)
            assert resp.get_json()["results"][0]["status"] == "applied", resp.get_json()
            if i >= warm:
                per_push.append(list(log))
        with app.app_context():
            db.engine.dispose()
    def split(stmts):
        txn = [s for s in stmts if s.strip().upper().split(" ")[0] in TXN]
        return len(stmts) - len(txn), len(txn)
    counts = [split(s) for s in per_push]
    return {"kind": kind, "statements": statistics.median(c[0] for c in counts),
            "transaction": statistics.median(c[1] for c in counts), "sample": per_push[-1]}


def main(argv):
    parser = argparse.ArgumentParser(prog="bench.push_statements")
    parser.add_argument("--pushes", type=int, default=20)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print one push's statements")
    args = parser.parse_args(argv)
    results = [measure("sqlite", args.pushes)]
    if not args.skip_pg:
        results.append(measure("pg", args.pushes))
    print("\none inspection.submit per push (fire-small-venue v1, 21 answers, 2 failing), "
          f"median of {args.pushes} pushes after 5 warm-up pushes, Flask test client")
    print(f"{'database':<10} {'statements':>11} {'txn commands':>13}")
    for r in filter(None, results):
        print(f"{r['kind']:<10} {r['statements']:>11.0f} {r['transaction']:>13.0f}")
    if args.verbose:
        for r in filter(None, results):
            print(f"\n-- {r['kind']}: one push")
            for s in r["sample"]:
                head = " ".join(s.split())[:150]
                print("  " + head)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
