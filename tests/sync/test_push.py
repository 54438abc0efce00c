"""Push over HTTP: counter, duplicates, gaps, rejections, limits, client binding."""

import uuid

import pytest
from sqlalchemy import func, select

from server.models import ChangeLog, Device, MutationResult, Site, SiteConflict
from tests.conftest import TOWNSHIP2, VILLAGE1, VILLAGE4
from tests.server.test_errors import assert_error
from tests.sync.helpers import mutation, push, site_args


def test_applies_in_order_and_duplicate_returns_first_result(client, auth, session):
    headers = auth()
    a1, a2 = site_args(), site_args(name="王家小卖部", kind="shop")
    batch = [mutation(1, "site.create", a1), mutation(2, "site.create", a2)]
    first = push(client, headers, batch)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert body["last_mutation_id"] == 2
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    assert body["results"][0]["entity"] == {"type": "site", "id": a1["id"], "version": 1}

    again = push(client, headers, batch).get_json()
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert again["results"][1]["entity"]["id"] == a2["id"]
    assert again["results"][1]["first_status"] == "applied"
    assert session.scalar(select(func.count()).select_from(Site)) == 2
    assert session.get(Device, headers.client_id).last_mutation_id == 2


def test_gap_is_409_with_expected_and_applies_nothing(client, auth, session):
    headers = auth()
    push(client, headers, [mutation(1, "site.create", site_args())])
    resp = push(client, headers, [mutation(2, "site.create", site_args()),
                                  mutation(4, "site.create", site_args())])
    assert_error(resp, 409, "mutation_gap")
    assert resp.get_json()["error"]["details"]["expected"] == 2
    resp = push(client, headers, [mutation(3, "site.create", site_args())])
    assert resp.get_json()["error"]["details"]["expected"] == 2
    assert session.scalar(select(func.count()).select_from(Site)) == 1
    assert session.get(Device, headers.client_id).last_mutation_id == 1


def test_rejected_mutation_advances_counter_and_writes_nothing(client, auth, session):
    headers = auth()
    resp = push(client, headers, [
        mutation(1, "site.create", site_args(kind="castle")),
        mutation(2, "site.create", site_args(region_code=VILLAGE4)),  # out of scope
        mutation(3, "site.create", dict(site_args(), colour="red")),  # unknown field
        mutation(4, "no.such", {}),
        mutation(5, "site.create", site_args()),
    ]).get_json()
    statuses = [(r["status"], (r.get("error") or {}).get("code")) for r in resp["results"]]
    assert statuses == [("rejected", "validation_error"), ("rejected", "not_found"),
                        ("rejected", "validation_error"), ("rejected", "unknown_mutation"),
                        ("applied", None)]
    assert resp["results"][0]["error"]["details"] == {"kind": ["Must be one of: household, restaurant, shop, small_venue, self_built_commercial, rental_housing, construction_site, enterprise, fireworks_point, forest_area, gas_point."]}
    assert resp["last_mutation_id"] == 5
    assert session.scalar(select(func.count()).select_from(Site)) == 1
    stored = session.scalars(select(MutationResult).order_by(MutationResult.mutation_id)).all()
    assert [r.status for r in stored] == ["rejected"] * 4 + ["applied"]
    # A retry of a rejected one is a duplicate carrying the first error.
    dup = push(client, headers, [mutation(2, "site.create", site_args())]).get_json()
    assert dup["results"][0]["status"] == "duplicate"
    assert dup["results"][0]["error"]["code"] == "not_found"


def test_client_id_must_be_the_tokens(client, auth):
    a, b = auth(), auth()
    resp = push(client, a, [mutation(1, "site.create", site_args())], client_id=b.client_id)
    assert_error(resp, 403, "client_id_mismatch")
    resp = push(client, a, [mutation(1, "site.create", site_args())], client_id=uuid.uuid4())
    assert_error(resp, 403, "client_id_mismatch")


def test_limits_count_and_size(client, auth, session):
    headers = auth()
    many = [mutation(i, "site.create", site_args()) for i in range(1, 102)]
    assert_error(push(client, headers, many), 413, "payload_too_large")
    big = [mutation(1, "site.create", site_args(address="x" * (2 * 1024 * 1024)))]
    assert_error(push(client, headers, big), 413, "payload_too_large")
    assert session.scalar(select(func.count()).select_from(Site)) == 0


def test_malformed_envelope_is_422(client, auth):
    headers = auth()
    body = {"client_id": str(headers.client_id), "mutations": [{"id": "one", "name": "x",
                                                                "args": {}}]}
    assert_error(client.post("/api/v1/sync/push", json=body, headers=headers), 422,
                 "validation_error")
    body = {"client_id": str(headers.client_id), "mutations": [], "extra": 1}
    assert_error(client.post("/api/v1/sync/push", json=body, headers=headers), 422,
                 "validation_error")
    assert client.post("/api/v1/sync/push", json=body).status_code == 401


def test_site_update_field_merge_records_conflict(client, auth, session, make_site):
    site = make_site(region=VILLAGE1)
    a, b = auth(), auth()
    r1 = push(client, a, [mutation(1, "site.update", {
        "id": str(site.id), "base_version": 1,
        "changes": {"contact_phone": "13811112222", "address": "东街2号"}})]).get_json()
    assert r1["results"][0]["entity"]["version"] == 2
    # b edited offline from version 1: address collides, name does not.
    r2 = push(client, b, [mutation(1, "site.update", {
        "id": str(site.id), "base_version": 1,
        "changes": {"address": "西街9号", "name": "张记面馆(新)"}})]).get_json()
    assert r2["results"][0]["status"] == "applied"
    assert r2["results"][0]["conflicts"] == ["address"]
    session.expire_all()
    site = session.get(Site, site.id)
    assert (site.address, site.name, site.contact_phone) == ("东街2号", "张记面馆(新)",
                                                             "13811112222")
    assert site.version == 3
    conflict = session.scalars(select(SiteConflict)).one()
    assert (conflict.field, conflict.server_value, conflict.losing_value) == (
        "address", "东街2号", "西街9号")
    # a's own second edit from its old base is not a conflict with itself.
    r3 = push(client, a, [mutation(2, "site.update", {
        "id": str(site.id), "base_version": 1, "changes": {"address": "东街3号"}})]).get_json()
    assert "conflicts" not in r3["results"][0]
    session.expire_all()
    assert session.get(Site, site.id).address == "东街3号"


def test_change_log_rolls_back_with_rejected_savepoint(client, auth, session, make_site):
    headers = auth()
    before = session.scalar(select(func.count()).select_from(ChangeLog))
    push(client, headers, [mutation(1, "site.update", {
        "id": str(uuid.uuid4()), "base_version": 1, "changes": {"name": "x"}})])
    assert session.scalar(select(func.count()).select_from(ChangeLog)) == before


def test_move_out_of_scope_needs_scope_of_target(client, auth, make_site):
    site = make_site(region=VILLAGE1)
    headers = auth()
    resp = push(client, headers, [mutation(1, "site.update", {
        "id": str(site.id), "base_version": 1,
        "changes": {"region_code": TOWNSHIP2}})]).get_json()
    assert resp["results"][0]["error"]["code"] == "not_found"


def test_transient_failure_is_503_and_writes_nothing(client, auth, session, monkeypatch):
    """A locked database mid-batch: the whole push rolls back and asks to retry."""
    from sqlalchemy.exc import OperationalError

    from sync.mutations import sites as site_mutations

    headers = auth()
    real_create = site_mutations.sites.create_site
    calls = {"n": 0}

    def flaky_create(session_, actor, data):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("INSERT INTO sites …", {}, Exception("database is locked"))
        return real_create(session_, actor, data)

    monkeypatch.setattr(site_mutations.sites, "create_site", flaky_create)
    batch = [mutation(1, "site.create", site_args()), mutation(2, "site.create", site_args())]
    resp = push(client, headers, batch)
    assert_error(resp, 503, "retry_later")
    assert resp.headers["Retry-After"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Site)) == 0
    assert session.scalar(select(func.count()).select_from(MutationResult)) == 0
    assert session.get(Device, headers.client_id).last_mutation_id == 0
    retry = push(client, headers, batch).get_json()  # the retry applies both, once
    assert [r["status"] for r in retry["results"]] == ["applied", "applied"]


@pytest.mark.parametrize("change", ["revoke_token", "disable_user"])
def test_push_parses_without_the_write_lock_and_checks_the_token_inside_it(
        client, auth, session, monkeypatch, change):
    """While the body is parsed another writer commits (no lock is held yet: with BEGIN
    IMMEDIATE before parsing, SQLite would refuse it as locked); a logout or a disabled
    account committed then refuses the push, and nothing of it is written."""
    from sqlalchemy import update

    from server.extensions import db
    from server.models import AuthToken, User
    from server.models.types import utcnow
    from server.schemas.sync import PushSchema

    headers = auth()
    user_id = headers.user.id
    session.commit()  # the test's own read of the user holds no lock during the push
    real_load = PushSchema.load
    seen = {}

    def parse_then_concurrent_write(self, data, **kw):
        seen["parsed"] = real_load(self, data, **kw)
        with db.engine.begin() as other:  # another request's connection
            if change == "revoke_token":
                other.execute(update(AuthToken).where(AuthToken.client_id == headers.client_id)
                              .values(revoked_at=utcnow()))
            else:
                other.execute(update(User).where(User.id == user_id).values(active=False))
        return seen["parsed"]

    monkeypatch.setattr(PushSchema, "load", parse_then_concurrent_write)
    resp = push(client, headers, [mutation(1, "site.create", site_args())])
    assert_error(resp, 401, "token_revoked")
    assert [m["id"] for m in seen["parsed"]["mutations"]] == [1]  # parsed before the write
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Site)) == 0
    assert session.scalar(select(func.count()).select_from(MutationResult)) == 0
    assert session.get(Device, headers.client_id).last_mutation_id == 0


def test_push_loads_only_what_the_locked_counter_says_is_new(client, auth, session,
                                                              monkeypatch):
    """Args are loaded after the counter is read under the device lock: a duplicate is
    answered from its stored result without a look at its args (even args that would
    now be refused), and the new mutation after it is loaded and applied once."""
    from sync import push as push_engine

    headers = auth()
    assert push(client, headers, [mutation(1, "site.create", site_args())]).status_code == 200
    loads = []
    real = push_engine.load_args
    monkeypatch.setattr(push_engine, "load_args",
                        lambda name, args: loads.append(name) or real(name, args))
    resp = push(client, headers, [mutation(1, "site.create", {"garbage": True}),
                                  mutation(2, "site.create", site_args())]).get_json()
    assert [r["status"] for r in resp["results"]] == ["duplicate", "applied"]
    assert resp["results"][0]["first_status"] == "applied"
    assert loads == ["site.create"]  # the new one only
    a3 = site_args()
    resp = push(client, headers, [mutation(2, "site.create", site_args()),
                                  mutation(3, "site.create", a3)]).get_json()
    assert [r["status"] for r in resp["results"]] == ["duplicate", "applied"]
    assert session.scalar(select(func.count()).select_from(Site)) == 3
