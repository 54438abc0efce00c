"""Where writers go one at a time (SQLite), a push is worked out before its write
transaction (sync.push._plan, a recording unit) and kept only if what it read still
holds there: otherwise it is applied afresh and answers what the database says then,
never what the plan said."""

import threading
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from server.extensions import db
from server.models import (
    Blob,
    BlobUpload,
    Device,
    Hazard,
    HazardAlias,
    Inspection,
    MutationResult,
    Site,
)
from sync import push as push_engine
from tests.conftest import TOWNSHIP2, VILLAGE4
from tests.sync.factories import derived_id, failable_items, inspection_args
from tests.sync.helpers import mutation, push
from tests.sync.test_push_batch import _forget_the_push, _snapshot

FAILS = failable_items()[:2]


@pytest.fixture(autouse=True)
def plan_ahead(monkeypatch):
    """Plan on both databases here (by default only SQLite does: see the last test)."""
    from server.api import sync as sync_api

    monkeypatch.setattr(sync_api, "one_writer_at_a_time", lambda _bind: True)


@pytest.fixture
def plans(monkeypatch):
    """Every plan made and whether push kept it, in order: [(plan or None, kept), …]."""
    seen = []
    real_plan, real_holds = push_engine._plan, push_engine._holds

    def spy_plan(*args):
        seen.append([real_plan(*args), None])
        return seen[-1][0]

    def spy_holds(plan, actor, last):
        kept = real_holds(plan, actor, last)
        for entry in seen:
            if entry[0] is plan:
                entry[1] = kept
        return kept

    monkeypatch.setattr(push_engine, "_plan", spy_plan)
    monkeypatch.setattr(push_engine, "_holds", spy_holds)
    return seen


def _between_plan_and_lock(monkeypatch, change):
    """Run `change()` (another writer) after the push planned, before its write begins."""
    from server.api import sync as sync_api

    real, done = sync_api._relock, []

    def change_then_relock(**kw):
        if not done:  # once: the other writer's own push comes through here too
            done.append(True)
            change()
        return real(**kw)

    monkeypatch.setattr(sync_api, "_relock", change_then_relock)


def test_a_push_of_plain_submissions_is_planned_and_the_plan_is_kept(
        client, field_auth, session, make_site, plans):
    headers = field_auth()
    bad = inspection_args(make_site())
    bad["checklist"]["version"] = 99
    mutations = [mutation(1, "inspection.submit", inspection_args(make_site(), fail=FAILS)),
                 mutation(2, "inspection.submit", bad),
                 mutation(3, "inspection.submit", inspection_args(make_site(), fail=FAILS[:1])),
                 mutation(4, "inspection.bogus", {})]
    resp = push(client, headers, mutations)
    assert [r["status"] for r in resp.get_json()["results"]] == [
        "applied", "rejected", "applied", "rejected"]
    assert len(plans) == 1 and plans[0][0] is not None and plans[0][1] is True
    assert session.scalar(select(func.count()).select_from(Hazard)) == 3
    assert session.get(Device, headers.client_id).last_mutation_id == 4
    # The replay: nothing new, nothing to plan.
    again = push(client, headers, mutations).get_json()["results"]
    assert [r["status"] for r in again] == ["duplicate"] * 4
    assert plans[1][0] is None


def test_the_plan_writes_what_the_push_without_it_writes(client, field_auth, session,
                                                         make_site, plans, monkeypatch):
    headers = field_auth()
    sites = [make_site() for _ in range(3)]
    bad = inspection_args(sites[2], fail=FAILS)
    bad["answers"][0]["value"] = "no such value"
    mutations = [mutation(1, "inspection.submit", inspection_args(sites[0], fail=FAILS)),
                 mutation(2, "inspection.submit", inspection_args(sites[1])),
                 mutation(3, "inspection.submit", bad),
                 mutation(4, "inspection.submit", inspection_args(sites[2], fail=FAILS[1:]))]
    sent_at = datetime.now(UTC)

    def run():
        resp = push(client, headers, mutations, sent_at=sent_at)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["results"], _snapshot(session)

    planned_results, planned = run()
    assert plans[-1][1] is True
    _forget_the_push(session, headers.client_id)
    monkeypatch.setattr(push_engine, "_plan", lambda *_a: None)
    results, unplanned = run()
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "applied"]
    assert planned_results == results
    for key in planned:
        assert planned[key] == unplanned[key], key


def test_a_push_of_several_kinds_is_planned_too(client, field_auth, session, make_site,
                                                plans):
    site = make_site()
    headers = field_auth()
    found = inspection_args(site, fail=FAILS[:1])
    resp = push(client, headers, [
        mutation(1, "inspection.submit", found),
        mutation(2, "hazard.comment", {"id": derived_id(found["id"], FAILS[0]), "text": "好"}),
        mutation(3, "inspection.submit", inspection_args(site, fail=FAILS[:1]))])  # merges
    assert [r["status"] for r in resp.get_json()["results"]] == ["applied"] * 3
    assert len(plans) == 1 and plans[0][0] is not None and plans[0][1] is True


def test_not_planned_when_a_mutation_writes_through_the_orm(client, field_auth, make_site,
                                                            plans):
    from tests.sync.helpers import site_args

    headers = field_auth()
    resp = push(client, headers, [
        mutation(1, "site.create", site_args()),
        mutation(2, "inspection.submit", inspection_args(make_site(), fail=FAILS[:1]))])
    assert [r["status"] for r in resp.get_json()["results"]] == ["applied"] * 2
    assert plans == [[None, None]]  # none made, so none to keep


# --- what another writer changed between the plan and the lock ---------------------------

def test_an_open_hazard_made_meanwhile_is_merged_into(client, field_auth, session, make_site,
                                                      plans, monkeypatch):
    """Another phone found the same item at the same site while this push was planned:
    the plan would make a second open hazard; the push merges into the other one."""
    site = make_site()
    mine, other = field_auth(), field_auth()
    theirs = inspection_args(site, fail=FAILS[:1])
    _between_plan_and_lock(monkeypatch, lambda: _push_once(
        client, other, [mutation(1, "inspection.submit", theirs)]))
    ours = inspection_args(site, fail=FAILS[:1])
    resp = _push(client, mine, [mutation(1, "inspection.submit", ours)])
    assert resp.status_code == 200, resp.get_json()
    result = resp.get_json()["results"][0]
    assert plans[0][0] is not None and plans[0][1] is False
    assert result["status"] == "applied"
    assert result["merged"] == [{"derived_id": derived_id(ours["id"], FAILS[0]),
                                 "hazard_id": derived_id(theirs["id"], FAILS[0])}]
    session.expire_all()
    assert [str(h) for h in session.scalars(select(Hazard.id))] == [
        derived_id(theirs["id"], FAILS[0])]
    assert session.get(HazardAlias, uuid.UUID(derived_id(ours["id"], FAILS[0]))) is not None


def _push(client, headers, mutations):
    """Push as a worker would: the test's own reads (a site's id after its commit) began
    a write transaction in the test's session; end it first, and keep what the other
    writers need of the user (its id) at hand, so that they read nothing through it."""
    headers.user_id = headers.user.id
    db.session.commit()
    return push(client, headers, mutations)


def _push_once(client, headers, mutations):
    """Another request, as from another worker: its own thread, app context and session."""
    out = {}
    thread = threading.Thread(target=lambda: out.update(resp=push(client, headers, mutations)))
    thread.start()
    thread.join()
    assert out["resp"].status_code == 200, out["resp"].get_json()


def test_a_photo_arrived_meanwhile_is_not_awaited(client, field_auth, session, make_site,
                                                  plans, monkeypatch):
    site = make_site()
    headers = field_auth()
    args = inspection_args(site, site_signature=False)  # its only medium: the inspector's signature
    signature = args["signatures"]["inspector"]

    def upload():
        with db.engine.begin() as conn:  # the evidence upload's rows, by another request
            conn.execute(Blob.__table__.insert().values(
                sha256=signature, size=1234, media_type="image/png", width=300, height=150,
                uploaded_by=headers.user.id, uploaded_at=datetime.now(UTC)))
            conn.execute(BlobUpload.__table__.insert().values(
                sha256=signature, user_id=headers.user.id, at=datetime.now(UTC)))

    _between_plan_and_lock(monkeypatch, upload)
    assert _push(client, headers, [mutation(1, "inspection.submit", args)]).status_code == 200
    assert plans[0][1] is False
    session.expire_all()
    assert session.get(Inspection, uuid.UUID(args["id"])).awaiting_media is False


def test_a_site_moved_out_of_scope_meanwhile_refuses_the_submission(
        client, field_auth, session, make_site, plans, monkeypatch):
    site = make_site()
    headers = field_auth()
    site_id = site.id  # read now: the test's own session holds no lock during the push

    def move():
        with db.engine.begin() as conn:
            conn.execute(update(Site).where(Site.id == site_id)
                         .values(region_code=VILLAGE4, version=Site.version + 1))

    _between_plan_and_lock(monkeypatch, move)
    args = inspection_args(site, fail=FAILS)
    result = _push(client, headers, [mutation(1, "inspection.submit", args)]).get_json()
    assert plans[0][1] is False
    assert result["results"][0]["status"] == "rejected"
    assert result["results"][0]["error"]["code"] == "not_found"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0
    assert session.scalar(select(func.count()).select_from(Hazard)) == 0


def test_an_inspection_id_taken_meanwhile_is_a_conflict(client, field_auth, session,
                                                        make_site, plans, monkeypatch):
    """The same inspection sent from another of the user's phones (a reinstalled app)."""
    site = make_site()
    headers = field_auth()
    args = inspection_args(site, fail=FAILS[:1])

    def other_phone():
        other = _other_device(headers)
        _push_once(client, other, [mutation(1, "inspection.submit", args)])

    _between_plan_and_lock(monkeypatch, other_phone)
    result = _push(client, headers, [mutation(1, "inspection.submit", args)]).get_json()
    assert plans[0][1] is False
    assert result["results"][0]["status"] == "rejected"
    assert result["results"][0]["error"]["code"] == "conflict"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Inspection)) == 1
    assert session.scalar(select(func.count()).select_from(MutationResult)) == 2


def _other_device(headers):
    """Another phone (device and token) of the same user."""
    from server.auth.tokens import new_token, token_hash
    from server.models import AuthToken

    client_id, token, user_id = uuid.uuid4(), new_token(), headers.user_id
    with db.engine.begin() as conn:
        conn.execute(Device.__table__.insert().values(
            client_id=client_id, user_id=user_id, name="second phone",
            last_mutation_id=0))
        conn.execute(AuthToken.__table__.insert().values(
            token_hash=token_hash(token), user_id=user_id, client_id=client_id,
            created_at=datetime.now(UTC)))
    other = type(headers)(Authorization=f"Bearer {token}")
    other.user, other.client_id, other.token = headers.user, client_id, token
    other.user_id = user_id
    return other


def test_the_same_push_applied_meanwhile_makes_all_duplicates(client, field_auth, session,
                                                              make_site, plans, monkeypatch):
    """A double "send": the counter moved after the plan read it; nothing is applied twice."""
    headers = field_auth()
    mutations = [mutation(i + 1, "inspection.submit",
                          inspection_args(make_site(), fail=FAILS[:1])) for i in range(3)]
    _between_plan_and_lock(monkeypatch, lambda: _push_once(client, headers, mutations))
    results = _push(client, headers, mutations).get_json()["results"]
    assert [r["status"] for r in results] == ["duplicate"] * 3
    assert [r["first_status"] for r in results] == ["applied"] * 3
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Inspection)) == 3
    assert session.scalar(select(func.count()).select_from(Hazard)) == 3


def test_a_user_moved_to_another_township_meanwhile(client, field_auth, session, make_site,
                                                    plans, monkeypatch):
    from server.models import User

    site = make_site()
    headers = field_auth()

    def move_user():
        with db.engine.begin() as conn:
            conn.execute(update(User).where(User.id == headers.user_id)
                         .values(region_code=TOWNSHIP2))

    _between_plan_and_lock(monkeypatch, move_user)
    result = _push(client, headers, [mutation(1, "inspection.submit",
                                             inspection_args(site))]).get_json()
    assert plans[0][1] is False
    assert result["results"][0]["error"]["code"] == "not_found"


def test_by_default_only_a_one_writer_database_plans(client, field_auth, make_site,
                                                     monkeypatch):
    """Without the fixture's override: SQLite plans, PostgreSQL (row locks, writers side
    by side) applies in its one transaction."""
    from server.api import sync as sync_api

    monkeypatch.undo()
    seen = []
    real_plan = push_engine._plan
    monkeypatch.setattr(push_engine, "_plan", lambda *a: seen.append(1) or real_plan(*a))
    assert sync_api.one_writer_at_a_time(db.engine) == (db.engine.dialect.name == "sqlite")
    headers = field_auth()
    resp = push(client, headers, [mutation(1, "inspection.submit",
                                           inspection_args(make_site(), fail=FAILS))])
    assert resp.get_json()["results"][0]["status"] == "applied"
    assert len(seen) == (1 if db.engine.dialect.name == "sqlite" else 0)
