"""Server CPU per pushed inspection, in-process, against the code of another revision.

Run: .venv/bin/python -m bench.sync_push_cpu [--inspections 500] [--batch 50] [--rounds 3]
     [--compare REV] [--freeze]

bench.sync_push measures wall-clock throughput over HTTP, which on this shared 2-core
machine moves 2-3x with other people's load. This one measures what a push's own code
costs: the process CPU time (time.process_time) of pushing the same inspections as
bench.sync_push (fire-small-venue, 21 answers, 2 failures, `--batch` per push) through the
Flask test client into a fresh SQLite database, in one thread, so neither the client
nor the other worker nor the lock is in it. With --compare REV the same measure runs on
that revision's code (git archive into a temporary directory, a child process each), the
two sides interleaved round by round, and the ratio of the medians is printed; beside
it, the CPU of loading the same args with the inspection.submit schema alone (part of the
push's figure). The first pushes of each run (20 inspections, or one push) are a warm-up, not counted. With
--freeze, everything loaded by then is frozen out of the cyclic collector's reach
(gc.freeze()), as the production entry server.deploy.wsgi does after create_app. Asserts
nothing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(n: int, freeze: bool = False, batch: int = 50) -> dict:
    """Push n inspections (after warm-up pushes of 20 inspections or one push, whichever
    is more) in this process; CPU and wall seconds."""
    from datetime import UTC, datetime

    import forms
    from bench._syncbase import Workdir, fresh_database, make_app, seed_user
    from bench.sync_push import CHECKLIST, _inspection, _sites

    with Workdir() as work:
        url = fresh_database("sqlite", work)
        app = make_app(url, work)
        ((headers, client_id),) = seed_user(app, n_devices=1)
        warm = max(1, 20 // batch)
        sites = _sites(app, n + warm * batch)
        fail = [i.code for i in forms.get(*CHECKLIST).items if i.fail is not None][:2]
        bodies, counter = [], 1
        for start in range(0, n + warm * batch, batch):
            mutations = []
            for site in sites[start:start + batch]:
                mutations.append({"id": counter, "name": "inspection.submit",
                                  "at": datetime.now(UTC).isoformat(),
                                  "args": _inspection(site, fail)})
                counter += 1
            bodies.append({"client_id": str(client_id),
                           "sent_at": datetime.now(UTC).isoformat(), "mutations": mutations})
        client = app.test_client()
        statuses = {client.post("/api/v1/sync/push", json=body, headers=headers).status_code
                    for body in bodies[:warm]}
        if freeze:
            gc.collect()
            gc.freeze()
        cpu, wall = time.process_time(), time.perf_counter()
        for body in bodies[warm:]:
            statuses.add(client.post("/api/v1/sync/push", json=body, headers=headers).status_code)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        with app.app_context():
            from server.extensions import db

            db.session.remove()
            db.engine.dispose()
        # The part of it that is loading the mutations' args with their schema (pure).
        from sync import registry

        schema = registry.get("inspection.submit").schema
        every = [m["args"] for body in bodies[warm:] for m in body["mutations"]]
        load_cpu = time.process_time()
        for args in every:
            schema.load(args)
        load_cpu = time.process_time() - load_cpu
    if freeze:
        gc.unfreeze()
    return {"cpu_s": cpu, "wall_s": wall, "n": n, "statuses": sorted(statuses),
            "load_cpu_s": load_cpu}


def _run_child(tree: Path, n: int, freeze: bool, batch: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, "-m", "bench.sync_push_cpu", "--child", str(n),
                          "--batch", str(batch), *(["--freeze"] if freeze else [])],
                         cwd=tree, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _export(rev: str, into: Path) -> None:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True,
                             capture_output=True).stdout
    tar_path = into / "tree.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into / "tree", filter="data")
    # The other revision may predate this module: it measures with this one.
    for name in ("sync_push_cpu.py", "sync_push.py", "_syncbase.py"):
        (into / "tree" / "bench" / name).write_text((ROOT / "bench" / name).read_text())


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench.sync_push_cpu")
    parser.add_argument("--inspections", type=int, default=500)
    parser.add_argument("--batch", type=int, default=50, help="inspections per push")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", metavar="REV", default=None)
    parser.add_argument("--freeze", action="store_true",
                        help="gc.freeze() after the warm-up, as the production entry does")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure(args.child, args.freeze, args.batch)))
        return
    sides = {"this tree": ROOT}
    with tempfile.TemporaryDirectory(prefix="xuncha-bench-rev-") as tmp:
        if args.compare:
            head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.compare],
                                  check=True, capture_output=True, text=True).stdout.strip()
            _export(args.compare, Path(tmp))
            sides = {f"rev {head}": Path(tmp) / "tree", "this tree": ROOT}
        runs: dict[str, list[dict]] = {name: [] for name in sides}
        for _ in range(args.rounds):
            for name, tree in sides.items():
                runs[name].append(_run_child(tree, args.inspections, args.freeze, args.batch))
    print(f"\nserver CPU per inspection.submit, in-process (test client, SQLite, 1 thread), "
          f"{args.inspections} inspections, {args.batch} per push, per run, {args.rounds} rounds "
          "interleaved" + (", gc frozen after the warm-up" if args.freeze else ""))
    print("load average 1/5/15 min at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"{'code':<14} {'CPU ms/insp median':>19} {'runs (CPU ms/insp)':>28} "
          f"{'insp/s wall median':>19} {'of which args load ms':>22} {'statuses':>9}")
    medians = {}
    for name, results in runs.items():
        per = [1000 * r["cpu_s"] / r["n"] for r in results]
        walls = [r["n"] / r["wall_s"] for r in results]
        medians[name] = statistics.median(per)
        statuses = sorted({s for r in results for s in r["statuses"]})
        loads = [1000 * r["load_cpu_s"] / r["n"] for r in results]
        print(f"{name:<14} {medians[name]:>19.2f} {' '.join(f'{p:.2f}' for p in per):>28} "
              f"{statistics.median(walls):>19.0f} {statistics.median(loads):>22.3f} "
              f"{','.join(map(str, statuses)):>9}")
    if len(medians) == 2:
        before, after = medians.values()
        print(f"  CPU per inspection, this tree / rev: {after / before:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
