"""The production stack on this machine: nginx → gunicorn workers → PostgreSQL (or SQLite with
one worker), one scheduler process, files rendered by `xuncha deploy-config`.

Installs nothing: nginx comes from Debian (.ci/system-deps.sh); without it the test skips.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from server.ops.localstack import NGINX, Stack
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.slow
VILLAGE1 = "330502101201"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if NGINX is None:
        pytest.skip("nginx is not installed (Debian: nginx-light, see .ci/system-deps.sh)")
    stack = Stack(tmp_path_factory.mktemp("stack"), pg_url=TEST_DATABASE_URL)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def _login(stack, username="inspector1", password="xuncha-demo", headers=None):
    return stack.request("POST", "/api/v1/auth/login", {
        "username": username, "password": password, "client_id": str(uuid.uuid4())},
        headers=headers)


def test_sync_round_trip_through_nginx(stack):
    status, _, body = _login(stack)
    assert status == 200, body
    auth = {"Authorization": f"Bearer {body['token']}"}
    site_id = str(uuid.uuid4())
    status, _, pushed = stack.request("POST", "/api/v1/sync/push", {
        "client_id": body["client_id"], "sent_at": datetime.now(UTC).isoformat(),
        "mutations": [{"id": 1, "name": "site.create", "at": datetime.now(UTC).isoformat(),
                       "args": {"id": site_id, "name": "过nginx的饭店", "kind": "restaurant",
                                "region_code": VILLAGE1, "address": "晟舍村1号",
                                "sectors": ["gas"]}}]}, headers=auth)
    assert status == 200 and pushed["results"][0]["status"] == "applied", pushed
    cursor, found = None, None
    for _ in range(50):
        query = f"?cursor={cursor}" if cursor else ""
        status, headers, page = stack.request("GET", f"/api/v1/sync/pull{query}",
                                              headers={**auth, "Accept-Encoding": "gzip"})
        assert status == 200, page
        found = found or next((c for c in page["changes"] if c["id"] == site_id), None)
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert found is not None and found["data"]["name"] == "过nginx的饭店"
    assert page["last_mutation_id"] == 1
    # nginx compresses JSON for phones on slow links.
    status, headers, _ = stack.request("GET", "/api/v1/sync/pull",
                                       headers={**auth, "Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") == "gzip"


def test_forwarded_address_is_nginx_view_not_the_clients_claim(stack):
    status, _, body = _login(stack, "admin", "wrong-password",
                             headers={"X-Forwarded-For": "203.0.113.66"})
    assert status == 401 and body["error"]["code"] == "invalid_credentials"
    engine = create_engine(stack.db_url)
    try:
        with engine.connect() as conn:
            addrs = conn.execute(text(
                "SELECT remote_addr FROM login_failures WHERE username = 'admin'")).scalars().all()
    finally:
        engine.dispose()
    # ProxyFix trusts one hop: the address nginx saw, never what the client wrote.
    assert addrs == ["127.0.0.1"]


def test_nginx_body_limit_answers_in_the_contract_shape(stack):
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    try:
        conn.putrequest("PUT", "/api/v1/blobs/" + "a" * 64)
        conn.putheader("Content-Type", "image/jpeg")
        conn.putheader("Content-Length", str(500 * 1024 * 1024))
        conn.endheaders()
        resp = conn.getresponse()
        body = json.loads(resp.read())
    finally:
        conn.close()
    assert resp.status == 413 and body["error"]["code"] == "payload_too_large"


def test_check_sees_the_scheduler_and_the_workers(stack):
    result = stack.xuncha("check", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK    scheduler" in result.stdout
    assert f"{stack.workers} worker(s)" in result.stdout


def test_a_killed_worker_costs_no_500(stack):
    """Kill a worker mid-traffic: clients see 200s, or a retryable 503, never a 500/502."""
    status, _, body = _login(stack, "inspector2")
    auth = {"Authorization": f"Bearer {body['token']}"}
    master = stack.procs["gunicorn"].pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert children, "gunicorn has no workers"
    os.kill(int(children[0]), signal.SIGKILL)
    statuses = []
    for _ in range(30):
        status, headers, _ = stack.request("GET", "/api/v1/me", headers=auth)
        statuses.append(status)
        if status == 503:
            assert headers.get("Retry-After")
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[-1] == 200
