"""What another writer commits while a push is on its way in (its body parsed, no lock
held yet) is what the push reads under its lock: it answers what the database says
then, never what it would have said before."""

import threading
import uuid
from datetime import UTC, datetime

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
from server.schemas.sync import PushSchema
from tests.conftest import TOWNSHIP2, VILLAGE4
from tests.sync.factories import derived_id, failable_items, inspection_args
from tests.sync.helpers import mutation, push

FAILS = failable_items()[:2]


def _while_parsed(monkeypatch, change):
    """Run `change()` (another writer) once the push's body is parsed, before it locks."""
    real, done = PushSchema.load, []

    def parse_then_change(self, data, **kw):
        loaded = real(self, data, **kw)
        if not done:  # once: the other writer's own push comes through here too
            done.append(True)
            change()
        return loaded

    monkeypatch.setattr(PushSchema, "load", parse_then_change)


def test_an_open_hazard_made_meanwhile_is_merged_into(client, field_auth, session, make_site,
                                                      monkeypatch):
    """Another phone found the same item at the same site while this push was on its way:
    the push merges into that hazard rather than opening a second one."""
    site = make_site()
    mine, other = field_auth(), field_auth()
    theirs = inspection_args(site, fail=FAILS[:1])
    _while_parsed(monkeypatch, lambda: _push_once(
        client, other, [mutation(1, "inspection.submit", theirs)]))
    ours = inspection_args(site, fail=FAILS[:1])
    resp = _push(client, mine, [mutation(1, "inspection.submit", ours)])
    assert resp.status_code == 200, resp.get_json()
    result = resp.get_json()["results"][0]
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
                                                  monkeypatch):
    site = make_site()
    headers = field_auth()
    args = inspection_args(site, site_signature=False)  # its only medium: the inspector's signature
    signature = args["signatures"]["inspector"]

    def upload():
        with db.engine.begin() as conn:  # the evidence upload's rows, by another request
            conn.execute(Blob.__table__.insert().values(
                sha256=signature, size=1234, media_type="image/png", width=300, height=150,
                uploaded_by=headers.user_id, uploaded_at=datetime.now(UTC)))
            conn.execute(BlobUpload.__table__.insert().values(
                sha256=signature, user_id=headers.user_id, at=datetime.now(UTC)))

    _while_parsed(monkeypatch, upload)
    assert _push(client, headers, [mutation(1, "inspection.submit", args)]).status_code == 200
    session.expire_all()
    assert session.get(Inspection, uuid.UUID(args["id"])).awaiting_media is False


def test_a_site_moved_out_of_scope_meanwhile_refuses_the_submission(
        client, field_auth, session, make_site, monkeypatch):
    site = make_site()
    headers = field_auth()
    site_id = site.id  # read now: the test's own session holds no lock during the push

    def move():
        with db.engine.begin() as conn:
            conn.execute(update(Site).where(Site.id == site_id)
                         .values(region_code=VILLAGE4, version=Site.version + 1))

    _while_parsed(monkeypatch, move)
    args = inspection_args(site, fail=FAILS)
    result = _push(client, headers, [mutation(1, "inspection.submit", args)]).get_json()
    assert result["results"][0]["status"] == "rejected"
    assert result["results"][0]["error"]["code"] == "not_found"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0
    assert session.scalar(select(func.count()).select_from(Hazard)) == 0


def test_an_inspection_id_taken_meanwhile_is_a_conflict(client, field_auth, session,
                                                        make_site, monkeypatch):
    """The same inspection sent from another of the user's phones (a reinstalled app)."""
    site = make_site()
    headers = field_auth()
    args = inspection_args(site, fail=FAILS[:1])

    def other_phone():
        other = _other_device(headers)
        _push_once(client, other, [mutation(1, "inspection.submit", args)])

    _while_parsed(monkeypatch, other_phone)
    result = _push(client, headers, [mutation(1, "inspection.submit", args)]).get_json()
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
                                                              make_site, monkeypatch):
    """A double "send": the counter moved while the push was parsed; nothing is applied
    twice."""
    headers = field_auth()
    mutations = [mutation(i + 1, "inspection.submit",
                          inspection_args(make_site(), fail=FAILS[:1])) for i in range(3)]
    _while_parsed(monkeypatch, lambda: _push_once(client, headers, mutations))
    results = _push(client, headers, mutations).get_json()["results"]
    assert [r["status"] for r in results] == ["duplicate"] * 3
    assert [r["first_status"] for r in results] == ["applied"] * 3
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Inspection)) == 3
    assert session.scalar(select(func.count()).select_from(Hazard)) == 3


def test_a_user_moved_to_another_township_meanwhile(client, field_auth, session, make_site,
                                                    monkeypatch):
    from server.models import User

    site = make_site()
    headers = field_auth()

    def move_user():
        with db.engine.begin() as conn:
            conn.execute(update(User).where(User.id == headers.user_id)
                         .values(region_code=TOWNSHIP2))

    _while_parsed(monkeypatch, move_user)
    result = _push(client, headers, [mutation(1, "inspection.submit",
                                             inspection_args(site))]).get_json()
    assert result["results"][0]["error"]["code"] == "not_found"
