"""Push throughput over HTTP: inspection.submit in batches of N, then replaying them.

Run: .venv/bin/python -m bench.sync_push [--inspections 1000] [--batch 50] [--devices 4]
     [--workers 2] [--warmup 1] [--runs 1] [--compare REV] [--skip-pg]

Against gunicorn (2 workers unless --workers) on loopback, SQLite and PostgreSQL
(XUNCHA_BENCH_PG_URL, default postgresql://…/syncbench, dropped and re-created). Each
inspection answers every item of fire-small-venue v1 (21 items) with 2 failures, at its
own site, so it derives 2 new hazards. `--devices` clients push at once, each its own
device (one device's pushes are serialized by design), each push holding `--batch`
inspections. Before the clock starts each device pushes `--warmup` pushes of its own (a
server that has been up is warm). Then the measured inspections; then every push again,
the warm-up ones included: all duplicates (replay).

Printed per run: inspections/s, p50/p95 request latency, and the server's CPU — the
gunicorn workers' and, on PostgreSQL, the backends' of the bench database, both read
from /proc before and after the measured part — per request and per inspection; the
replay's mutations/s; the load average. With --compare REV the same runs are made with
REV's server code (git archive of REV, this benchmark copied in), interleaved run by run
with this tree's, so both sides meet the same minutes of a shared machine. Asserts
nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKLIST = ("fire-small-venue", 1)
BATCH = 50
_TICK = os.sysconf("SC_CLK_TCK")


def _sites(app, n: int, region: str = "330502101201") -> list[dict]:
    from sqlalchemy import insert

    from server.extensions import db
    from server.models import Site

    rows = [{"id": uuid.uuid4(), "code": f"B{i:06d}", "name": f"压测场所{i}", "kind": "small_venue",
             "region_code": region, "address": "压测路", "lat": 30.84, "lon": 120.27,
             "sectors": ["fire"], "version": 1, "created_at": datetime.now(UTC),
             "updated_at": datetime.now(UTC)} for i in range(n)]
    with app.app_context():
        with db.engine.begin() as conn:  # Core: site set-up is not what is measured
            conn.execute(insert(Site.__table__), rows)
        db.engine.dispose()
    return rows


def _inspection(site: dict, fail: list[str]) -> dict:
    import forms
    from tests.sync.factories import failing_value, passing_value, sha

    checklist = forms.get(*CHECKLIST)
    iid = uuid.uuid4()
    started = datetime.now(UTC) - timedelta(minutes=40)
    answers = []
    for item in checklist.items:
        failed = item.code in fail
        answers.append({"item": item.code,
                        "value": failing_value(item) if failed else passing_value(item),
                        "photos": [sha(f"{iid}{item.code}")] if failed else []})
    return {"id": str(iid), "site_id": str(site["id"]),
            "checklist": {"code": CHECKLIST[0], "version": CHECKLIST[1]}, "kind": "routine",
            "started_at": started.isoformat(),
            "finished_at": (started + timedelta(minutes=25)).isoformat(),
            "location": {"lat": 30.84, "lon": 120.27, "accuracy_m": 10},
            "answers": answers, "signatures": {"inspector": sha(f"sig{iid}")}}


def _post(host, body: bytes, headers: dict, timeout: float = 300) -> tuple[int, dict]:
    import http.client

    conn = http.client.HTTPConnection(*host, timeout=timeout)
    try:
        conn.request("POST", "/api/v1/sync/push", body=body,
                     headers=dict(headers, **{"Content-Type": "application/json"}))
        resp = conn.getresponse()
        resp.read()
        return resp.status, dict(resp.getheaders())
    finally:
        conn.close()


def _push_all(host, devices, pushes_per_device) -> tuple[float, list[int], list[float]]:
    """Every device pushes its bodies in order, all devices at once: (seconds, statuses,
    latency of each request that answered)."""
    statuses: list[int] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def run(headers, bodies):
        for body in bodies:
            while True:
                t0 = time.perf_counter()
                status, hdrs = _post(host, body, headers)
                elapsed = time.perf_counter() - t0
                with lock:
                    statuses.append(status)
                    latencies.append(elapsed)
                if status != 503:
                    break
                time.sleep(float(hdrs.get("Retry-After", "1")) / 4)

    threads = [threading.Thread(target=run, args=(h, b))
               for (h, _c), b in zip(devices, pushes_per_device, strict=True)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, statuses, latencies


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _backend_pids(url: str) -> list[int]:
    """The PostgreSQL backends serving the bench database (the app's connections)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).scalars())
    finally:
        engine.dispose()


class CpuMeter:
    """CPU seconds of the server's processes (workers, and PostgreSQL backends)."""

    def __init__(self, server, url: str | None):
        self.server, self.url = server, url
        self.start = self._read()

    def _pids(self) -> list[int]:
        pids = [self.server.proc.pid, *self.server.worker_pids()]
        return pids + (_backend_pids(self.url) if self.url else [])

    def _read(self) -> dict[int, int]:
        return {pid: _cpu_ticks(pid) for pid in self._pids()}

    def seconds(self) -> float:
        end = self._read()
        return sum(t - self.start.get(pid, 0) for pid, t in end.items()) / _TICK


def run_backend(kind: str, n: int, batch: int, n_devices: int, workers: int,
                warmup: int) -> dict | None:
    import forms
    from bench._syncbase import Workdir, fresh_database, make_app, seed_user
    from tests.sync.live import LiveServer

    with Workdir() as work:
        url = fresh_database(kind, work)
        if url is None:
            return None
        app = make_app(url, work)
        devices = seed_user(app, n_devices=n_devices)
        n_warm = warmup * n_devices * batch
        sites = _sites(app, n_warm + n)
        fail = [i.code for i in forms.get(*CHECKLIST).items if i.fail is not None][:2]
        per_device: list[list[bytes]] = [[] for _ in devices]
        counters = [1] * len(devices)
        warm_sites, measured_sites = sites[:n_warm], sites[n_warm:]
        for part in (warm_sites, measured_sites):
            for b, start in enumerate(range(0, len(part), batch)):
                d = b % len(devices)
                mutations = []
                for site in part[start:start + batch]:
                    mutations.append({"id": counters[d], "name": "inspection.submit",
                                      "at": datetime.now(UTC).isoformat(),
                                      "args": _inspection(site, fail)})
                    counters[d] += 1
                per_device[d].append(json.dumps({
                    "client_id": str(devices[d][1]), "sent_at": datetime.now(UTC).isoformat(),
                    "mutations": mutations}).encode())
        server = LiveServer(url, work / "srv", workers=workers, secret="bench-secret")
        server.start()
        try:
            _push_all(server.host, devices, [b[:warmup] for b in per_device])
            meter = CpuMeter(server, url if kind == "pg" else None)
            first, st1, latencies = _push_all(server.host, devices,
                                              [b[warmup:] for b in per_device])
            cpu = meter.seconds()
            replay, st2, _ = _push_all(server.host, devices, per_device)
        finally:
            server.stop()
        requests = sum(len(b) - warmup for b in per_device)
        latencies.sort()
        return {"kind": kind, "n": n, "n_warm": n_warm, "batch": batch, "first_s": first,
                "replay_s": replay, "cpu_s": cpu, "requests": requests,
                "p50_ms": 1000 * latencies[len(latencies) // 2],
                "p95_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))],
                "statuses": sorted(set(st1 + st2)), "retries": st1.count(503),
                "load": os.getloadavg()[0]}


def _export(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True,
                             capture_output=True).stdout
    tar_path = into / "tree.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into / "tree", filter="data")
    # The other revision measures with this benchmark (it may predate it).
    for name in ("sync_push.py", "_syncbase.py"):
        (into / "tree" / "bench" / name).write_text((ROOT / "bench" / name).read_text())
    return into / "tree"


def _child(tree: Path, kind: str, args) -> dict | None:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, "-m", "bench.sync_push", "--child", kind,
                          "--inspections", str(args.inspections), "--batch", str(args.batch),
                          "--devices", str(args.devices), "--workers", str(args.workers),
                          "--warmup", str(args.warmup)],
                         cwd=tree, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _line(name: str, r: dict) -> str:
    rate = r["n"] / r["first_s"]
    return (f"{name:<12} {r['kind']:<7} {rate:>8.0f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
            f"{1000 * r['cpu_s'] / r['requests']:>10.2f} {1000 * r['cpu_s'] / r['n']:>10.2f} "
            f"{(r['n_warm'] + r['n']) / r['replay_s']:>10.0f} {r['retries']:>7} "
            f"{r['load']:>6.2f} {','.join(map(str, r['statuses'])):>9}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench.sync_push")
    parser.add_argument("--inspections", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=BATCH, help="inspections per push")
    parser.add_argument("--devices", type=int, default=4, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--warmup", type=int, default=1,
                        help="pushes per device before the clock starts")
    parser.add_argument("--runs", type=int, default=1, help="runs per database and side")
    parser.add_argument("--compare", metavar="REV", default=None,
                        help="interleave runs with REV's server code")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--child", choices=("sqlite", "pg"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_backend(args.child, args.inspections, args.batch, args.devices,
                                     args.workers, args.warmup)))
        return
    kinds = ["sqlite"] + ([] if args.skip_pg else ["pg"])
    with tempfile.TemporaryDirectory(prefix="xuncha-bench-rev-") as tmp:
        sides = {"this tree": ROOT}
        if args.compare:
            head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short",
                                   args.compare], check=True, capture_output=True,
                                  text=True).stdout.strip()
            sides = {f"rev {head}": _export(args.compare, Path(tmp)), "this tree": ROOT}
        rows = []
        for _ in range(args.runs):
            for kind in kinds:
                for name, tree in sides.items():
                    result = _child(tree, kind, args)
                    if result is not None:
                        rows.append((name, result))
    print(f"\ninspection.submit over HTTP: {args.inspections} inspections ({CHECKLIST[0]}, 21 "
          f"answers, 2 failing → 2 hazards each), {args.batch} per push, {args.devices} "
          f"clients, gunicorn {args.workers} worker(s) on loopback; warm-up {args.warmup} "
          f"push(es) per client, not timed; at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print("server CPU = gunicorn master + workers (+ PostgreSQL backends of the bench "
          "database), from /proc, over the measured pushes")
    print(f"{'code':<12} {'db':<7} {'insp/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'CPU ms/req':>10} {'ms/insp':>10} {'replay/s':>10} {'503s':>7} {'load1':>6} "
          f"{'statuses':>9}")
    for name, r in rows:
        print(_line(name, r))
    if args.compare:
        for kind in kinds:
            rates = {name: [r["n"] / r["first_s"] for n_, r in rows if n_ == name
                            and r["kind"] == kind] for name in sides}
            if all(rates.values()):
                before, after = (statistics.median(v) for v in rates.values())
                print(f"  {kind}: insp/s median, this tree / rev: {after / before:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
