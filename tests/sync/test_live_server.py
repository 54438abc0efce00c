"""Against a real server process: concurrent duplicate pushes, and SIGKILL mid-push."""

import http.client
import random
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, func, select, text

from server.models import Device, Hazard, Inspection, MutationResult, Site
from tests.conftest import PG, TOWNSHIP1
from tests.sync.factories import failable_items, inspection_args
from tests.sync.helpers import iso, site_args
from tests.sync.live import LiveServer, request

FAILS = failable_items()[:2]


@pytest.fixture
def live(database_url, tmp_path):
    servers = []

    def start(workers=1):
        server = LiveServer(database_url, tmp_path / f"live{len(servers)}", workers=workers)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


def _batch(session, make_site, start_id: int, n_sites: int,
           n_inspections: int) -> list[dict]:
    site = make_site()
    out, mid = [], start_id
    for _ in range(n_sites):
        out.append({"id": mid, "name": "site.create", "at": iso(datetime.now(UTC)),
                    "args": site_args()})
        mid += 1
    for _ in range(n_inspections):
        out.append({"id": mid, "name": "inspection.submit", "at": iso(datetime.now(UTC)),
                    "args": inspection_args(site, fail=FAILS)})
        mid += 1
    # Reading the site back opened a (SQLite: IMMEDIATE) transaction; the server needs
    # the write lock, so end it.
    session.rollback()
    return out


def _body(headers, mutations):
    return {"client_id": str(headers.client_id), "sent_at": iso(datetime.now(UTC)),
            "mutations": mutations}


def _counts(session):
    session.expire_all()
    out = {model.__name__: session.scalar(select(func.count()).select_from(model))
           for model in (Site, Inspection, Hazard, MutationResult)}
    session.rollback()  # never hold the SQLite write lock while the server works
    return out


@pytest.mark.slow
def test_same_batch_from_ten_threads_applies_once(live, field_auth, make_site, session):
    server = live(workers=4)
    headers = field_auth(region=TOWNSHIP1)
    batch = _batch(session, make_site, 1, 10, 10)
    before = _counts(session)
    answers, barrier = [], threading.Barrier(10)

    def send():
        barrier.wait()
        answers.append(request(server.host, "POST", "/api/v1/sync/push",
                               _body(headers, batch), dict(headers), timeout=120))

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = [status for status, _, _ in answers]
    assert len(answers) == 10 and 500 not in statuses
    assert set(statuses) <= {200, 503}, answers
    ok = [body for status, _, body in answers if status == 200]
    assert ok
    for m in batch:
        applied = [r for body in ok for r in body["results"]
                   if r["id"] == m["id"] and r["status"] == "applied"]
        assert len(applied) <= 1
    after = _counts(session)
    assert after["Site"] - before["Site"] == 10
    assert after["Inspection"] - before["Inspection"] == 10
    assert after["Hazard"] - before["Hazard"] == len(FAILS)  # re-found items merge
    assert after["MutationResult"] - before["MutationResult"] == 20
    assert session.get(Device, headers.client_id).last_mutation_id == 20
    assert [s for s in statuses if s == 200], "every push was refused as busy"


def _push_until_done(server, headers, outbox, broken: list, deadline=60):
    """The client's retry loop: resend what is not acknowledged until nothing is left."""
    end = time.monotonic() + deadline
    while outbox and time.monotonic() < end:
        try:
            status, hdrs, body = request(server.host, "POST", "/api/v1/sync/push",
                                         _body(headers, outbox[:20]), dict(headers), timeout=10)
        except (OSError, http.client.HTTPException):
            # The connection died with the server, possibly halfway through the answer
            # (IncompleteRead): the device never heard, so it retries.
            broken.append(1)
            time.sleep(0.05)
            continue
        if status == 200:
            acked = body["last_mutation_id"]
            outbox[:] = [m for m in outbox if m["id"] > acked]
        elif status == 409 and body["error"]["code"] == "mutation_gap":
            expected = body["error"]["details"]["expected"]
            outbox[:] = [m for m in outbox if m["id"] >= expected]
        elif status == 503:
            time.sleep(float(hdrs.get("Retry-After", "0.2")) / 10)
        else:
            raise AssertionError((status, body))
    assert not outbox


@pytest.mark.slow
def test_sigkill_during_pushes_loses_and_duplicates_nothing(live, field_auth, make_site,
                                                           session, database_url):
    server = live(workers=1)
    headers = field_auth(region=TOWNSHIP1)
    rng = random.Random(5)
    sent: list[dict] = []
    next_id, kills, broken = 1, 0, []
    for run in range(32):
        batch = _batch(session, make_site, next_id, 4, 6)
        next_id += len(batch)
        sent.extend(batch)
        outbox = list(batch)
        pusher = threading.Thread(target=_push_until_done, args=(server, headers, outbox, broken))
        pusher.start()
        time.sleep(rng.uniform(0, 0.25))
        if run % 8 == 7:
            server.kill_all()  # the whole server dies; it comes back after a moment
            server.start()
        else:
            server.kill_worker()  # the process holding the request dies mid-push
        kills += 1
        pusher.join()
    server.kill_all()

    assert kills >= 30
    assert broken, "no kill ever hit a request in flight"
    session.expire_all()
    results = session.scalars(select(MutationResult.mutation_id).where(
        MutationResult.client_id == headers.client_id).order_by(MutationResult.mutation_id))
    assert list(results) == [m["id"] for m in sent]  # each exactly once, none missing
    site_ids = {uuid.UUID(m["args"]["id"]) for m in sent if m["name"] == "site.create"}
    inspection_ids = {uuid.UUID(m["args"]["id"]) for m in sent
                      if m["name"] == "inspection.submit"}
    assert set(session.scalars(select(Site.id).where(Site.id.in_(site_ids)))) == site_ids
    assert set(session.scalars(select(Inspection.id).where(
        Inspection.id.in_(inspection_ids)))) == inspection_ids
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            if PG:
                assert conn.scalar(text("SELECT count(*) FROM sync_mutation_results r LEFT JOIN "
                                        "devices d ON d.client_id = r.client_id "
                                        "WHERE d.client_id IS NULL")) == 0
            else:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    finally:
        engine.dispose()
