"""Load benchmark: many phones coming back into signal at once, through nginx.

Run:  .venv/bin/python -m bench.load                      (smoke: 8 devices, ~30 s cap)
      .venv/bin/python -m bench.load --devices 200 --inspections 10 --photos 20 \\
          --pg postgresql://postgres@127.0.0.1:5432/bench --max-seconds 600   (issue 9)
      chaos: --chaos kill-worker --chaos restart-pg --chaos fill-disk --blob-disk-mb 256
          --private-pg (restart-pg restarts a throwaway cluster of its own, not yours)

Starts the production stack on loopback (`server.ops.localstack`: nginx → gunicorn →
PostgreSQL with --pg, else SQLite with one worker), loads the demo city, and lets every
simulated device do a day's offline work at once: log in, pull its area, upload its photos
(~250 KB JPEGs, each unique) and push its inspections in batches. A share of requests
(--retry, default 30%) is sent a second time as a phone does when an answer got lost,
and some (--disconnect, default 10%) are cut off mid-body before the real one. 503, 507 and
429 are honoured with their Retry-After.

Prints throughput, latency percentiles per kind of request, answers by status and error
code, then proves from the database and the blob folder: every inspection stored once,
every photo present with the right hash, every hazard row equal to the replay of its
events. Figures are printed, never asserted; the exit status is 1 if a proof fails.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import json
import os
import platform
import random
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import forms

# --- photos -----------------------------------------------------------------------------

def base_photo(kb: int) -> bytes:
    """A noisy JPEG of about `kb` KB (noise does not compress: a real photo's size)."""
    from PIL import Image

    side = 320
    while True:
        img = Image.merge("RGB", [Image.effect_noise((side, side), 60) for _ in range(3)])
        out = io.BytesIO()
        img.save(out, "JPEG", quality=90)
        if out.tell() >= kb * 1024 or side > 2000:
            return out.getvalue()
        side = int(side * 1.25)


def unique_photo(base: bytes, tag: str) -> bytes:
    """The same picture with a JPEG comment segment: new bytes, new hash, no re-encode."""
    comment = tag.encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return base[:2] + segment + base[2:]


# --- one device's day -------------------------------------------------------------------

class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: Counter = Counter()
        self.codes: Counter = Counter()
        self.bytes_up = 0
        self.cuts = 0

    def add(self, kind: str, seconds: float, status: int, code: str | None, sent: int):
        with self.lock:
            self.latency[kind].append(seconds)
            self.status[status] += 1
            if code:
                self.codes[f"{status} {code}"] += 1
            self.bytes_up += sent


class Device:
    def __init__(self, n: int, args, port: int, rec: Recorder, base: bytes, deadline: float):
        self.n = n
        self.args = args
        self.port = port
        self.rec = rec
        self.base = base
        self.deadline = deadline
        self.rng = random.Random(args.seed * 100_003 + n)
        self.client_id = str(uuid.uuid4())
        self.token = None
        self.inspections: list[str] = []  # made offline, in mutation id order
        self.photos: dict[str, bytes] = {}
        self.results: dict[int, str] = {}  # mutation id -> first answer's status
        self.acknowledged: set[str] = set()  # photos the server said it holds

    # HTTP with retries, as the field app does it.
    def call(self, kind, method, path, body=None, raw=None, ctype="application/json",
             attempts=8):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        headers = {"Content-Type": ctype} if data is not None else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for _ in range(attempts):
            if data and self.rng.random() < self.args.disconnect:
                self.cut(method, path, headers, data)
            started = time.perf_counter()
            try:
                status, resp_headers, payload = self._send(method, path, headers, data)
            except OSError:
                self.rec.add(kind, time.perf_counter() - started, 0, "connection_error", 0)
                time.sleep(0.2)
                continue
            code = None
            if status >= 400 and isinstance(payload, dict):
                code = payload.get("error", {}).get("code")
            self.rec.add(kind, time.perf_counter() - started, status, code, len(data or b""))
            if status in (429, 503, 507) or status == 502:
                wait = float(resp_headers.get("retry-after", "1") or 1)
                time.sleep(min(wait, 2.0) * (0.5 + self.rng.random()))
                continue
            if status < 400 and data and self.rng.random() < self.args.retry:
                # The answer "got lost": the phone sends the very same request again.
                started = time.perf_counter()
                try:
                    s2, _, p2 = self._send(method, path, headers, data)
                    code2 = p2.get("error", {}).get("code") if s2 >= 400 and isinstance(
                        p2, dict) else None
                    self.rec.add(kind + " (retry)", time.perf_counter() - started, s2, code2,
                                 len(data))
                except OSError:
                    pass
            return status, payload
        return 0, None

    def _send(self, method, path, headers, data):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            ctype = resp.getheader("Content-Type") or ""
            parsed = json.loads(payload) if payload and "json" in ctype else payload
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed
        finally:
            conn.close()

    def cut(self, method, path, headers, data):
        """Send the headers and half the body, then drop the connection (signal lost)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
                head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                head += f"Content-Length: {len(data)}\r\n\r\n"
                s.sendall(head.encode() + data[: len(data) // 2])
            with self.rec.lock:
                self.rec.cuts += 1
        except OSError:
            pass

    def run(self, user: str, password: str):
        status, body = self.call("login", "POST", "/api/v1/auth/login", {
            "username": user, "password": password, "client_id": self.client_id,
            "device_name": f"bench-{self.n}"})
        if status != 200:
            return
        self.token = body["token"]
        sites = self.pull()
        if not sites:
            return
        lists = forms.load_all().latest()
        now = datetime.now(UTC)
        mutations = []
        per_inspection = max(1, self.args.photos // max(1, self.args.inspections))
        for i in range(self.args.inspections):
            if time.monotonic() > self.deadline:
                break
            site = sites[(self.n * 7 + i) % len(sites)]
            checklist = next((c for c in lists if site["kind"] in c.applies_to), None)
            if checklist is None:
                continue
            mutations.append(self.inspection(len(mutations) + 1, site, checklist,
                                             per_inspection, now))
        self.upload()
        for start in range(0, len(mutations), self.args.batch):
            if time.monotonic() > self.deadline:
                break
            batch = mutations[start:start + self.args.batch]
            status, body = self.call("push", "POST", "/api/v1/sync/push", {
                "client_id": self.client_id, "sent_at": datetime.now(UTC).isoformat(),
                "mutations": batch})
            if status == 200:
                for r in body["results"]:
                    self.results.setdefault(r["id"], r["status"])
        self.pull()

    def pull(self) -> list[dict]:
        sites, cursor = [], None
        for _ in range(100):
            path = "/api/v1/sync/pull" + (f"?cursor={cursor}" if cursor else "")
            status, body = self.call("pull", "GET", path)
            if status != 200:
                return sites
            sites += [c["data"] for c in body["changes"] if c["type"] == "site"
                      and c["op"] == "put" and c["data"].get("lat") is not None]
            cursor = body["cursor"]
            if not body["has_more"]:
                break
        return sites

    def inspection(self, mid, site, checklist, n_photos, now) -> dict:
        inspection_id = str(uuid.uuid4())
        answers, photos_left = [], n_photos
        fail_item = self.rng.choice([it for it in checklist.items if it.fail is not None]
                                    or [None])
        for item in checklist.items:
            failed = item is fail_item and self.rng.random() < 0.5
            value = _value(item, failed)
            photos = []
            if failed or (photos_left > 0 and item.photo_on_fail):
                photo = unique_photo(self.base, f"{inspection_id}:{item.code}")
                name = hashlib.sha256(photo).hexdigest()
                self.photos[name] = photo
                photos.append(name)
                photos_left -= 1
            answers.append({"item": item.code, "value": value, "photos": photos,
                            **({"note": "bench finding"} if failed else {})})
        signature = unique_photo(self.base[:2] + self.base[2:4096] + b"\xff\xd9",
                                 f"sig:{inspection_id}")
        sig = hashlib.sha256(signature).hexdigest()
        self.photos[sig] = signature
        started = now - timedelta(hours=8) + timedelta(minutes=30 * mid)
        self.inspections.append(inspection_id)
        return {"id": mid, "name": "inspection.submit", "at": started.isoformat(), "args": {
            "id": inspection_id, "site_id": site["id"],
            "checklist": {"code": checklist.code, "version": checklist.version},
            "kind": "routine", "started_at": started.isoformat(),
            "finished_at": (started + timedelta(minutes=20)).isoformat(),
            "location": {"lat": site["lat"], "lon": site["lon"], "accuracy_m": 10},
            "answers": answers, "signatures": {"inspector": sig}}}

    def upload(self):
        names = list(self.photos)
        for start in range(0, len(names), 50):
            chunk = names[start:start + 50]
            status, body = self.call("blobs/check", "POST", "/api/v1/blobs/check", {
                "blobs": [{"sha256": n, "size": len(self.photos[n])} for n in chunk]})
            missing = body["missing"] if status == 200 else chunk
            if status == 200:
                self.acknowledged.update(set(chunk) - set(missing))
            for name in missing:
                if time.monotonic() > self.deadline:
                    return
                status, _ = self.call("blob PUT", "PUT", f"/api/v1/blobs/{name}",
                                      raw=self.photos[name], ctype="image/jpeg")
                if status in (200, 201):
                    self.acknowledged.add(name)


def _value(item, failed: bool):
    """An answer value that fails (or passes) the item's own rule."""
    if failed and item.fail is not None:
        rule = item.fail
        if rule.op == "equals":
            return rule.operand
        if rule.op == "in":
            return rule.operand[0]
        step = 1 if item.integer else 0.5
        return rule.operand - step if rule.op == "below" else rule.operand + step
    if item.kind == "yes_no":
        candidates = [True, False]
    elif item.kind == "choice":
        candidates = list(item.choice_keys)
    elif item.kind == "text":
        candidates = ["正常"]
    else:
        base = item.min if item.min is not None else 0
        candidates = [base, base + 1, item.max if item.max is not None else base + 2]
        if item.fail is not None and item.fail.op in ("below", "above"):
            candidates.insert(0, item.fail.operand)
    for value in candidates:
        if not forms.fails(item, value):
            return int(value) if item.kind == "number" and item.integer else value
    return candidates[0]


# --- proofs -----------------------------------------------------------------------------

def prove(env: dict, devices: list[Device]) -> list[tuple[str, bool, str]]:
    """Check the database and the blob folder against what the devices sent."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("XUNCHA_")})
    from sqlalchemy import func, select

    from server.app import create_app
    from server.extensions import db
    from server.models import Device as DeviceRow
    from server.models import Hazard, HazardEvent, Inspection, MutationResult
    from server.register.projection import event_dict, project, state_of

    app = create_app()
    out = []
    with app.app_context():
        s = db.session
        # An inspection the server acknowledged as applied is stored; one it never
        # acknowledged (the run's time cap) may or may not be, but never twice.
        applied = [uuid.UUID(d.inspections[mid - 1]) for d in devices
                   for mid, status in d.results.items() if status in ("applied", "duplicate")]
        sent = [uuid.UUID(i) for d in devices for i in d.inspections]
        stored_applied = _count_in(s, Inspection, applied)
        stored_all = _count_in(s, Inspection, sent)
        rejected = sum(1 for d in devices for st in d.results.values() if st == "rejected")
        results = s.scalar(select(func.count()).select_from(MutationResult))
        counters = dict(s.execute(select(DeviceRow.client_id, DeviceRow.last_mutation_id)).all())
        counters_ok = all(counters.get(uuid.UUID(d.client_id), 0) >= len(d.results)
                          for d in devices)
        out.append(("every acknowledged inspection stored exactly once",
                    stored_applied == len(applied) and stored_all <= len(sent)
                    and results >= len(applied) + rejected and counters_ok,
                    f"{len(applied)} applied, {rejected} rejected, {stored_applied} of the "
                    f"applied stored, {stored_all} of {len(sent)} made stored, {results} "
                    f"mutation results, device counters {'agree' if counters_ok else 'DISAGREE'}"))
        root = Path(env["XUNCHA_BLOB_DIR"])
        bad, missing, total = 0, 0, 0
        made = sum(len(d.photos) for d in devices)
        for d in devices:
            for name in d.acknowledged:
                total += 1
                path = root / name[:2] / name[2:4] / name
                if not path.exists():
                    missing += 1
                elif hashlib.sha256(path.read_bytes()).hexdigest() != name:
                    bad += 1
        out.append(("every acknowledged photo present and hash-correct", missing == 0 and bad == 0,
                    f"{total} acknowledged of {made} made, {missing} missing, {bad} wrong"))
        hazards = s.scalars(select(Hazard)).all()
        mismatched = 0
        for h in hazards:
            events = s.scalars(select(HazardEvent).where(HazardEvent.hazard_id == h.id)
                               .order_by(HazardEvent.seq)).all()
            if project([event_dict(e) for e in events]) != state_of(h):
                mismatched += 1
        out.append(("register equals the replay of its events", mismatched == 0,
                    f"{len(hazards)} hazards, {mismatched} differ"))
        db.session.remove()
        db.engine.dispose()
    return out


def _count_in(session, model, ids) -> int:
    from sqlalchemy import func, select

    n = 0
    for start in range(0, len(ids), 500):
        n += session.scalar(select(func.count()).select_from(model)
                            .where(model.id.in_(ids[start:start + 500])))
    return n


# --- run --------------------------------------------------------------------------------

def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def chaos(kind: str, stack, args, after: float, stop: threading.Event, log: list):
    """One fault, `after` seconds into the run."""
    if stop.wait(after):
        log.append(f"{kind} not reached: the run ended before +{after:.0f} s "
                   "(use a shorter --chaos-span)")
        return
    if kind == "kill-worker":
        master = stack.procs["gunicorn"].pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            os.kill(int(children[0]), 9)
            log.append(f"killed gunicorn worker {children[0]} at +{after:.0f} s")
    elif kind == "restart-pg":
        if args.private_pg_handle is not None:
            args.private_pg_handle.restart()
            log.append(f"private PostgreSQL restarted at +{after:.0f} s")
        else:
            # --pg-restart-cmd restarts a whole cluster: never one others are testing on.
            proc = subprocess.run(shlex.split(args.pg_restart_cmd), capture_output=True,
                                  text=True, check=False)
            log.append(f"PostgreSQL restarted at +{after:.0f} s (exit {proc.returncode})")
    elif kind == "fill-disk":
        ballast = Path(stack.env["XUNCHA_BLOB_DIR"]) / "ballast"
        written = 0
        try:
            with open(ballast, "wb") as fh:
                while True:
                    fh.write(b"\0" * (1 << 20))
                    fh.flush()
                    os.fsync(fh.fileno())
                    written += 1
        except OSError:
            pass
        log.append(f"blob disk filled at +{after:.0f} s ({written} MB ballast), freed 3 s later")
        stop.wait(3)
        ballast.unlink(missing_ok=True)
    elif kind == "cut":
        log.append("connections cut mid-upload throughout (--disconnect)")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench.load", description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=8)
    ap.add_argument("--inspections", type=int, default=2, help="per device")
    ap.add_argument("--photos", type=int, default=4, help="per device")
    ap.add_argument("--photo-kb", type=int, default=250)
    ap.add_argument("--batch", type=int, default=5, help="inspections per push")
    ap.add_argument("--concurrency", type=int, default=0, help="default: every device")
    ap.add_argument("--retry", type=float, default=0.3)
    ap.add_argument("--disconnect", type=float, default=0.1)
    ap.add_argument("--max-seconds", type=float, default=30.0)
    ap.add_argument("--pg", help="PostgreSQL URL; the stack uses <db>_load next to it")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--chaos", action="append", default=[],
                    choices=["kill-worker", "restart-pg", "fill-disk"],
                    help="faults during the run, at 1/4, 2/4 and 3/4 of --chaos-span")
    ap.add_argument("--chaos-span", type=float, default=0.0,
                    help="seconds over which the faults are spread (default --max-seconds; "
                         "shorter when the run ends well before its cap)")
    ap.add_argument("--pg-restart-cmd", default="pg_ctlcluster 15 main restart")
    ap.add_argument("--private-pg", action="store_true",
                    help="run on a throwaway PostgreSQL cluster of its own (restart-pg "
                         "then restarts only that one)")
    ap.add_argument("--blob-disk-mb", type=int, default=0,
                    help="put the blob folder on a tmpfs of this size (root; for fill-disk)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    from server.ops.localstack import NGINX, Stack

    if NGINX is None:
        print("nginx is not installed (Debian: nginx-light); nothing measured")
        return 0
    base = base_photo(args.photo_kb)
    args.private_pg_handle = None
    if args.private_pg:
        from server.ops.localstack import PrivatePostgres

        args.private_pg_handle = PrivatePostgres().start()
        args.pg = args.private_pg_handle.url
    with tempfile.TemporaryDirectory(prefix="xuncha-load-") as tmp:
        blob_dir = None
        if args.blob_disk_mb:
            blob_dir = Path(tmp) / "blob-disk"
            blob_dir.mkdir()
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={args.blob_disk_mb}m",
                            "tmpfs", str(blob_dir)], check=True)
        stack = Stack(Path(tmp), pg_url=args.pg, workers=args.workers or None,
                      db_suffix="_load", blob_dir=blob_dir)
        try:
            stack.start()
            rec = Recorder()
            users = ["inspector1", "inspector2"]  # the demo's township inspectors
            started = time.monotonic()
            deadline = started + args.max_seconds
            devices = [Device(n, args, stack.port, rec, base, deadline)
                       for n in range(args.devices)]
            stop, chaos_log = threading.Event(), []
            offsets = {"kill-worker": 0.25, "restart-pg": 0.5, "fill-disk": 0.75}
            span = args.chaos_span or args.max_seconds
            faults = [threading.Thread(target=chaos, args=(
                c, stack, args, span * offsets[c], stop, chaos_log))
                for c in args.chaos]
            for t in faults:
                t.start()
            with ThreadPoolExecutor(args.concurrency or args.devices) as pool:
                list(pool.map(lambda d: d.run(users[d.n % len(users)], "xuncha-demo"),
                              devices))
            elapsed = time.monotonic() - started
            stop.set()
            for t in faults:
                t.join()
            report(args, stack, rec, devices, elapsed, base, chaos_log)
            proofs = prove(stack.env, devices)
            server_errors = sum(n for s, n in rec.status.items() if s >= 500
                                and s not in (503, 507))
            proofs.append(("every fault answered retryably (503/507), never 500/502",
                           server_errors == 0, f"{server_errors} other 5xx answers"))
        finally:
            stack.stop()
            if blob_dir is not None:
                subprocess.run(["umount", "-l", str(blob_dir)], check=False)
            if args.private_pg_handle is not None:
                args.private_pg_handle.stop()
    print("\nproofs")
    for name, ok, detail in proofs:
        print(f"  {'OK  ' if ok else 'FAIL'} {name}: {detail}")
    return 0 if all(ok for _, ok, _ in proofs) else 1


def report(args, stack, rec, devices, elapsed, base, chaos_log):
    total = sum(len(v) for v in rec.latency.values())
    inspections = sum(len(d.inspections) for d in devices)
    print(f"machine: {platform.node()} {os.cpu_count()} cpu, python "
          f"{platform.python_version()}, {'PostgreSQL' if 'postgresql' in stack.db_url else 'SQLite'}"
          f", {stack.workers} gunicorn worker(s) behind nginx")
    print(f"devices {args.devices}, {args.inspections} inspections and {args.photos} photos "
          f"(~{len(base) // 1024} KB) each; retry {args.retry:.0%}, "
          f"cut-off {args.disconnect:.0%}; cap {args.max_seconds:.0f} s")
    print(f"elapsed {elapsed:.1f} s, {total} answered requests ({total / elapsed:.1f}/s), "
          f"{inspections} inspections made ({inspections / elapsed:.1f}/s), "
          f"{rec.bytes_up / elapsed / 1e6:.2f} MB/s uploaded, {rec.cuts} connections cut")
    print(f"\n{'request':<20}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    everything = []
    for kind in sorted(rec.latency):
        values = rec.latency[kind]
        everything += values
        print(f"{kind:<20}{len(values):>7}{pct(values, 50) * 1e3:>10.1f}"
              f"{pct(values, 95) * 1e3:>10.1f}{pct(values, 99) * 1e3:>10.1f}"
              f"{max(values) * 1e3:>10.1f}")
    print(f"{'all':<20}{len(everything):>7}{pct(everything, 50) * 1e3:>10.1f}"
          f"{pct(everything, 95) * 1e3:>10.1f}{pct(everything, 99) * 1e3:>10.1f}"
          f"{max(everything or [0]) * 1e3:>10.1f}")
    print("\nanswers by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(rec.status.items())))
    if rec.codes:
        print("errors by code: " + ", ".join(f"{c}: {n}" for c, n in rec.codes.most_common()))
    if chaos_log:
        print("chaos: " + "; ".join(chaos_log))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
