"""Faults under traffic: PostgreSQL restarted (a cluster of the test's own) behind the
production stack; nothing lost, nothing doubled, every fault a retryable answer."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import PG


@pytest.mark.slow
def test_postgresql_restart_under_traffic_loses_and_doubles_nothing(tmp_path):
    """The whole stack on a PostgreSQL cluster of its own, restarted mid-traffic."""
    import threading
    import time
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, text

    from server.ops.localstack import NGINX, PrivatePostgres, Stack

    if NGINX is None:
        pytest.skip("nginx is not installed (Debian: nginx-light)")
    if not PG:
        # Its cluster is its own either way: once per CI run (the PostgreSQL pass) is enough.
        pytest.skip("runs in the PostgreSQL pass of the suite")
    try:
        pg = PrivatePostgres().start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot run a private PostgreSQL here: {exc}")
    stack = Stack(tmp_path / "stack", pg_url=pg.url, workers=2)
    try:
        stack.start()
        status, _, body = stack.request("POST", "/api/v1/auth/login", {
            "username": "inspector1", "password": "xuncha-demo",
            "client_id": str(uuid.uuid4())})
        assert status == 200, body
        auth = {"Authorization": f"Bearer {body['token']}"}
        answers, acknowledged, stop = [], [], threading.Event()

        def phone():
            mid = 1
            while not stop.is_set():
                site = {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"chaos-{mid}")),
                        "name": f"重启测试{mid}", "kind": "shop", "region_code": "330502101201",
                        "address": "1号", "sectors": ["fire"]}
                try:
                    status, headers, body = stack.request("POST", "/api/v1/sync/push", {
                        "client_id": body_client, "sent_at": datetime.now(UTC).isoformat(),
                        "mutations": [{"id": mid, "name": "site.create",
                                       "at": datetime.now(UTC).isoformat(), "args": site}]},
                        headers=auth)
                except OSError:
                    answers.append((0, None))
                    time.sleep(0.2)
                    continue
                answers.append((status, headers.get("Retry-After")))
                if status == 200:
                    acknowledged.append(mid)
                    mid += 1
                else:
                    time.sleep(0.2)  # the same mutation again, as the outbox does

        body_client = body["client_id"]
        thread = threading.Thread(target=phone)
        thread.start()
        time.sleep(2)
        before = len(acknowledged)
        pg.restart()
        time.sleep(4)
        stop.set()
        thread.join(60)
        statuses = {s for s, _ in answers}
        assert statuses <= {200, 503}, answers
        assert all(ra for s, ra in answers if s == 503), answers
        # Traffic went on after the restart, and ended well.
        assert len(acknowledged) > before and answers[-1][0] == 200
        engine = create_engine(stack.db_url)
        try:
            with engine.connect() as conn:
                names = conn.execute(text(
                    "SELECT name FROM sites WHERE name LIKE '重启测试%'")).scalars().all()
        finally:
            engine.dispose()
        # Every acknowledged push is there once; nothing doubled by the retries.
        assert sorted(names) == sorted(f"重启测试{m}" for m in acknowledged)
    finally:
        stack.stop()
        pg.stop()
