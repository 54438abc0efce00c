"""Hostile input: fuzz every endpoint of the OpenAPI document, and the classic attacks.

Whatever arrives, the answer is the contract's error shape with a 4xx status, never a 5xx,
and nothing is half-written.
"""

from __future__ import annotations

import contextlib
import uuid
import warnings
from datetime import UTC, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import func, select

from server.models import ChangeLog, Site
from tests.conftest import COUNTY1, TOWNSHIP1, TOWNSHIP3, VILLAGE1
from tests.server.test_errors import assert_error

# Per operation and generation mode: ~35 operations x 2 modes stay near a minute.
EXAMPLES = 8


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _push(client, headers, *mutations, client_id=None):
    return client.post("/api/v1/sync/push", headers=headers, json={
        "client_id": str(client_id or headers.client_id), "sent_at": _now(),
        "mutations": list(mutations)})


def _mutation(mid, name, args):
    return {"id": mid, "name": name, "at": _now(), "args": args}


def _site_args(region=VILLAGE1, **extra):
    return {"id": str(uuid.uuid4()), "name": "测试店", "kind": "shop", "region_code": region,
            "address": "某路1号", "sectors": ["fire"], **extra}


@pytest.mark.slow
def test_fuzz_every_operation_no_server_error(app, client, auth, make_site):
    make_site()
    reviewer = auth("county_reviewer", COUNTY1)
    with warnings.catch_warnings():
        # apispec may warn about schema naming while building the document; that is a
        # documentation matter, not what this test is about.
        warnings.simplefilter("ignore", UserWarning)
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    failures: list[str] = []
    exercised = [0]
    for op in operations:
        # Logging out revokes the token the rest of the run uses: give it its own.
        headers = auth(user=reviewer.user) if op.path.endswith("/logout") else reviewer
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(op, mode, dict(headers), failures, exercised)
    assert exercised[0] >= len(operations) * 2
    assert not [f for f in failures if "->" in f], "\n".join(failures)


def _fuzz(op, mode, headers, failures, exercised):
    try:
        strategy = op.as_strategy(generation_mode=mode)
    except Exception as exc:  # an operation schemathesis cannot generate for
        failures.append(f"{op.method.upper()} {op.path} [{mode.value}]: cannot generate: {exc}")
        return

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        exercised[0] += 1
        resp = case.call(headers=headers)
        if resp.status_code >= 500:
            failures.append(f"{op.method.upper()} {case.formatted_path} [{mode.value}] -> "
                            f"{resp.status_code}: {resp.text[:300]}")

    # Unsatisfiable: nothing to make invalid (an operation without parameters or body).
    with contextlib.suppress(Unsatisfiable):
        run()


def test_deeply_nested_json_is_a_client_error(client, auth):
    headers = auth()
    for depth in (1_000, 100_000):
        body = "[" * depth + "]" * depth
        resp = client.post("/api/v1/sync/push", headers=headers, data=body,
                           content_type="application/json")
        assert 400 <= resp.status_code < 500, (depth, resp.status_code)
        assert resp.get_json()["error"]["code"] in ("malformed_json", "validation_error")
    # Nested inside a valid envelope, deep in a mutation's args.
    nested = "{" + '"a":{' * 50_000 + "}" * 50_000 + "}"
    raw = (f'{{"client_id": "{headers.client_id}", "sent_at": "{_now()}", "mutations": '
           f'[{{"id": 1, "name": "site.create", "at": "{_now()}", "args": {nested}}}]}}')
    resp = client.post("/api/v1/sync/push", headers=headers, data=raw,
                       content_type="application/json")
    assert 400 <= resp.status_code < 500


@pytest.mark.parametrize("path", ["/api/v1/bulletins?region=%00", "/api/v1/sites?q=a%00b",
                                  "/api/v1/hazards?region=%00", "/api/v1/inspections?region=%00"])
def test_nul_in_a_query_is_a_validation_error(client, auth, path):
    """Found by the fuzz run on PostgreSQL (text cannot hold NUL): was a 500."""
    resp = client.get(path, headers=auth("county_reviewer", COUNTY1))
    assert_error(resp, 422, "validation_error")


def test_nul_in_a_body_is_a_validation_error(client, auth, session):
    resp = client.post("/api/v1/auth/login", json={
        "username": "a\x00b", "password": "x" * 8, "client_id": str(uuid.uuid4())})
    assert_error(resp, 422, "validation_error")
    headers = auth()
    # In a push only that mutation is refused (server.text), so the phone can carry on.
    resp = _push(client, headers, _mutation(1, "site.create", _site_args(name="店\x00")))
    assert resp.status_code == 200, resp.get_json()
    (result,) = resp.get_json()["results"]
    assert result["status"] == "rejected" and result["error"]["code"] == "validation_error"
    assert "name" in result["error"]["details"]
    assert session.scalar(select(func.count()).select_from(Site)) == 0


def test_oversized_bodies_are_refused_whole(client, auth, app, session):
    headers = auth()
    limit = app.config["MAX_JSON_BYTES"]
    pad = "x" * (limit + 1)
    resp = _push(client, headers, _mutation(1, "site.create", _site_args(address=pad)))
    assert_error(resp, 413, "payload_too_large")
    many = [_mutation(i, "site.create", _site_args()) for i in range(1, 200)]
    resp = _push(client, headers, *many)
    assert resp.status_code in (413, 422)
    assert session.scalar(select(func.count()).select_from(Site)) == 0
    # A body over the whole-request limit is cut off before it is read.
    big = b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    resp = client.post("/api/v1/sync/push", headers=headers, data=big,
                       content_type="application/json")
    assert_error(resp, 413, "payload_too_large")


@pytest.mark.parametrize("body,ctype", [
    (b"\xff\xfe\x00garbage", "application/json"),
    (b'{"client_id": 1e999999}', "application/json"),
    (b'{"a": NaN}', "application/json"),
    (b"[]", "application/json"),
    (b"null", "application/json"),
    (b'"just a string"', "application/json"),
    (b'{"mutations": []}', "text/plain"),
    (b"", "application/json"),
    (b'{"client_id": "\\ud800"}', "application/json"),
])
def test_malformed_bodies_get_contract_errors(client, auth, body, ctype):
    resp = client.post("/api/v1/sync/push", headers=auth(), data=body, content_type=ctype)
    assert 400 <= resp.status_code < 500, resp.status_code
    assert set(resp.get_json()["error"]) == {"code", "message", "details"}


def test_mutations_naming_another_regions_objects_are_rejected(client, auth, make_site,
                                                               session):
    """An inspector of 织里镇 names a site of 新市镇 (another county) and a region there."""
    foreign = make_site(region="330521102201")
    headers = auth("township_inspector", TOWNSHIP1)
    before = session.scalar(select(func.count()).select_from(ChangeLog))
    resp = _push(client, headers,
                 _mutation(1, "site.update", {"id": str(foreign.id), "base_version": 1,
                                              "changes": {"name": "被篡改"}}),
                 _mutation(2, "hazard.report", {
                     "id": str(uuid.uuid4()), "site_id": str(foreign.id), "sector": "gas",
                     "description": "x", "severity": "general", "source": "self_check",
                     "photos": []}),
                 _mutation(3, "site.create", _site_args(region=TOWNSHIP3)))
    assert resp.status_code == 200, resp.get_json()
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 3, results
    assert all(r["error"]["code"] == "not_found" for r in results), results
    session.expire_all()
    assert session.get(Site, foreign.id).name == "张记面馆"
    assert session.scalar(select(func.count()).select_from(ChangeLog)) == before
    # And reads: the foreign site does not exist for this user.
    assert_error(client.get(f"/api/v1/sites/{foreign.id}", headers=headers), 404, "not_found")


def test_a_revoked_phone_cannot_push_its_queue(client, auth, session):
    phone = auth("township_inspector", TOWNSHIP1)
    reviewer = auth("county_reviewer", COUNTY1)
    resp = client.post(f"/api/v1/devices/{phone.client_id}/revoke", headers=reviewer)
    assert resp.status_code == 200, resp.get_json()
    resp = _push(client, phone, _mutation(1, "site.create", _site_args()))
    assert_error(resp, 401, "token_revoked")
    assert_error(client.get("/api/v1/sync/pull", headers=phone), 401, "token_revoked")
    assert session.scalar(select(func.count()).select_from(Site)) == 0


def test_a_push_for_someone_elses_client_id_is_refused(client, auth, session):
    mine, theirs = auth(), auth()
    resp = _push(client, mine, _mutation(1, "site.create", _site_args()),
                 client_id=theirs.client_id)
    assert_error(resp, 403, "client_id_mismatch")
    assert session.scalar(select(func.count()).select_from(Site)) == 0
