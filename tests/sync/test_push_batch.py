"""A push's mutations go through one unit of work, written once with one statement per
table: the same rows, results and feed as the same mutations pushed one per request; a
refused one leaves nothing; a collision when the unit writes fails the whole push."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, event, func, select

from server.extensions import db
from server.models import (
    BlobRef,
    ChangeLog,
    Device,
    Hazard,
    HazardAlias,
    HazardEvent,
    Inspection,
    MutationResult,
)
from server.register.write import RegisterWrite
from tests.server.test_errors import assert_error
from tests.sync.factories import derived_id, failable_items, inspection_args, sha
from tests.sync.helpers import mutation, push

FAILS = failable_items()[:3]


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _refs_of(session, owner_id) -> set:
    return set(session.scalars(select(BlobRef.sha256).where(
        BlobRef.owner_id == uuid.UUID(str(owner_id)))))


def test_a_refused_submission_inside_a_batch_leaves_nothing(client, field_auth, session,
                                                           make_site):
    site, bad_site, after = make_site(), make_site(), make_site()
    headers = field_auth()
    first = inspection_args(site, fail=FAILS[:1])
    bad = inspection_args(bad_site, fail=FAILS[:2])
    bad["answers"][0]["value"] = "not a value of this item"
    last = inspection_args(after, fail=FAILS[1:2])
    resp = push(client, headers, [mutation(1, "inspection.submit", first),
                                  mutation(2, "inspection.submit", bad),
                                  mutation(3, "inspection.submit", last)])
    assert resp.status_code == 200, resp.get_json()
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"], results
    assert results[1]["error"]["code"] == "validation_error"
    assert session.get(Inspection, uuid.UUID(bad["id"])) is None
    bad_hazards = [uuid.UUID(derived_id(bad["id"], item)) for item in FAILS[:2]]
    assert session.scalar(select(func.count()).select_from(Hazard)
                          .where(Hazard.id.in_(bad_hazards))) == 0
    assert session.scalar(select(func.count()).select_from(ChangeLog).where(
        ChangeLog.entity_id.in_([uuid.UUID(bad["id"]), *bad_hazards]))) == 0
    assert not _refs_of(session, bad["id"])
    assert {str(i) for i in session.scalars(select(Inspection.id))} == {first["id"], last["id"]}
    assert _count(session, Hazard) == 2 and _count(session, HazardEvent) == 2
    assert session.get(Device, headers.client_id).last_mutation_id == 3
    assert _count(session, MutationResult) == 3


def test_a_hazard_made_by_the_batch_is_updated_later_in_the_same_push(client, field_auth,
                                                                      session, make_site):
    site = make_site()
    headers = field_auth()
    found = inspection_args(site, fail=FAILS[:1])
    hazard_id = derived_id(found["id"], FAILS[0])
    deadline = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    resp = push(client, headers, [
        mutation(1, "inspection.submit", found),
        mutation(2, "hazard.update", {"id": hazard_id, "base_version": 1,
                                      "changes": {"measures": "更换软管", "deadline": deadline}}),
        mutation(3, "inspection.submit", inspection_args(make_site()))])
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 3, results
    assert results[1]["entity"] == {"type": "hazard", "id": hazard_id, "version": 2}
    hazard = session.get(Hazard, uuid.UUID(hazard_id))
    assert (hazard.measures, hazard.version, hazard.status) == ("更换软管", 2, "rectifying")
    entries = session.execute(select(ChangeLog.op, ChangeLog.version).where(
        ChangeLog.entity_id == hazard.id)).all()
    assert entries == [("put", 2)]  # one entry per thing and region: the later note won


def test_a_failed_item_found_earlier_in_the_push_merges(client, field_auth, session, make_site):
    site = make_site()
    headers = field_auth()
    first = inspection_args(site, fail=FAILS[:2])
    second = inspection_args(site, fail=FAILS[1:3])
    third = inspection_args(site, fail=FAILS[:1])
    resp = push(client, headers, [mutation(1, "inspection.submit", first),
                                  mutation(2, "inspection.submit", second),
                                  mutation(3, "inspection.submit", third)])
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 3, results
    assert results[1]["merged"] == [{"derived_id": derived_id(second["id"], FAILS[1]),
                                     "hazard_id": derived_id(first["id"], FAILS[1])}]
    assert results[2]["merged"] == [{"derived_id": derived_id(third["id"], FAILS[0]),
                                     "hazard_id": derived_id(first["id"], FAILS[0])}]
    assert {str(h) for h in session.scalars(select(Hazard.id))} == {
        derived_id(first["id"], FAILS[0]), derived_id(first["id"], FAILS[1]),
        derived_id(second["id"], FAILS[2])}
    merged = session.get(Hazard, uuid.UUID(derived_id(first["id"], FAILS[1])))
    assert merged.version == 2 and len(merged.before_photos) == 2
    assert _count(session, HazardAlias) == 2
    removals = session.execute(select(ChangeLog.entity_id, ChangeLog.merged_into).where(
        ChangeLog.op == "remove")).all()
    assert {(str(a), str(b)) for a, b in removals} == {
        (derived_id(second["id"], FAILS[1]), derived_id(first["id"], FAILS[1])),
        (derived_id(third["id"], FAILS[0]), derived_id(first["id"], FAILS[0]))}


def test_two_submissions_of_one_push_with_the_same_id(client, field_auth, session, make_site):
    site, other = make_site(), make_site()
    headers = field_auth()
    first = inspection_args(site, fail=FAILS[:1])
    again = inspection_args(other, fail=FAILS[1:2], inspection_id=uuid.UUID(first["id"]))
    resp = push(client, headers, [mutation(1, "inspection.submit", first),
                                  mutation(2, "inspection.submit", again)])
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected"], results
    assert results[1]["error"] == {"code": "conflict",
                                   "message": f"Inspection {first['id']} already exists.",
                                   "details": {"id": first["id"]}}
    assert session.get(Inspection, uuid.UUID(first["id"])).site_id == site.id
    assert [str(h) for h in session.scalars(select(Hazard.id))] == [
        derived_id(first["id"], FAILS[0])]


def test_a_collision_when_the_batch_is_written_fails_the_whole_push(client, field_auth,
                                                                    session, make_site,
                                                                    monkeypatch):
    """A concurrent writer took an id after the push read which are taken: the unique
    key refuses the batch, and nothing of the push stays (503, retry)."""
    site = make_site()
    headers = field_auth()
    taken = inspection_args(site)
    assert push(client, headers, [mutation(1, "inspection.submit", taken)]).status_code == 200
    # The unit learns of no id in use, as if the other writer committed after its read.
    real_probe = RegisterWrite._probe

    def blind(self, sites, hashes, ids):
        real_probe(self, sites, hashes, set())
        self._free.update(ids)

    monkeypatch.setattr(RegisterWrite, "_probe", blind)
    fresh = inspection_args(make_site(), fail=FAILS[:1])
    resp = push(client, headers, [
        mutation(2, "inspection.submit", fresh),
        mutation(3, "inspection.submit", inspection_args(
            make_site(), inspection_id=uuid.UUID(taken["id"])))])
    assert_error(resp, 503, "retry_later")
    assert resp.headers["Retry-After"] == "1"
    session.expire_all()
    assert session.get(Inspection, uuid.UUID(fresh["id"])) is None
    assert _count(session, Hazard) == 0 and _count(session, Inspection) == 1
    assert _count(session, MutationResult) == 1
    assert session.get(Device, headers.client_id).last_mutation_id == 1
    assert not _refs_of(session, fresh["id"])


# --- the batch writes what one savepoint per mutation wrote ------------------------------

_VOLATILE = {"seq", "at", "received_at", "updated_at", "found_at", "closed_at", "created_at"}


def _rows(session, model, order) -> list[dict]:
    out = []
    for row in session.execute(select(model.__table__).order_by(*order)).mappings():
        out.append({k: v for k, v in row.items() if k not in _VOLATILE})
    return out


def _snapshot(session) -> dict:
    session.expire_all()
    changes = [tuple(sorted((k, str(v)) for k, v in r.items()))
               for r in _rows(session, ChangeLog, [ChangeLog.seq])]
    return {
        "inspections": _rows(session, Inspection, [Inspection.id]),
        "hazards": _rows(session, Hazard, [Hazard.id]),
        "events": _rows(session, HazardEvent, [HazardEvent.hazard_id, HazardEvent.seq]),
        "aliases": _rows(session, HazardAlias, [HazardAlias.alias_id]),
        "refs": _rows(session, BlobRef, [BlobRef.owner_id, BlobRef.sha256]),
        "change_log": sorted(changes),
        "results": [{k: v for k, v in r.items() if k not in {"received_at", "feed_seq"}}
                    for r in _rows(session, MutationResult, [MutationResult.mutation_id])],
    }


def _forget_the_push(session, client_id) -> None:
    for model in (BlobRef, HazardAlias, HazardEvent, Hazard, Inspection, MutationResult):
        session.execute(delete(model))
    session.execute(delete(ChangeLog).where(ChangeLog.type.in_(("hazard", "inspection"))))
    session.get(Device, client_id).last_mutation_id = 0
    session.commit()


def test_one_push_writes_what_one_push_per_mutation_writes(client, field_auth, session,
                                                            make_site):
    """One implementation for a batch of one and a batch of many: the same mutations
    pushed together or one per request leave the same rows, results and feed."""
    sites = [make_site() for _ in range(4)]
    headers = field_auth()
    ids = [uuid.uuid4() for _ in range(6)]
    plain = inspection_args(sites[0], fail=FAILS[:2], inspection_id=ids[0])
    photos_everywhere = inspection_args(sites[1], fail=FAILS[:1], inspection_id=ids[1])
    photos_everywhere["answers"][-1]["photos"] = [sha("extra")]
    photos_everywhere["signatures"]["site"] = sha("owner-signature")
    merges = inspection_args(sites[0], fail=FAILS[1:3], inspection_id=ids[2])
    refused = inspection_args(sites[2], inspection_id=ids[3])
    refused["checklist"]["version"] = 99
    verifies = inspection_args(sites[1], kind="verification", inspection_id=ids[4],
                               verifications=[{"hazard_id": derived_id(ids[1], FAILS[0]),
                                               "result": "rectified",
                                               "photos": [sha("after")]}])
    after = inspection_args(sites[3], fail=FAILS[2:3], inspection_id=ids[5])
    mutations = [
        mutation(1, "inspection.submit", plain),
        mutation(2, "inspection.submit", photos_everywhere),
        mutation(3, "inspection.submit", merges),
        mutation(4, "inspection.submit", refused),
        mutation(5, "hazard.comment", {"id": derived_id(ids[0], FAILS[0]), "text": "已告知",
                                       "photos": [sha("comment")]}),
        mutation(6, "inspection.submit", verifies),
        mutation(7, "inspection.submit", after),
    ]

    sent_at = datetime.now(UTC)

    def run(batches) -> tuple[list, dict]:
        results = []
        for batch in batches:
            resp = push(client, headers, batch, sent_at=sent_at)
            assert resp.status_code == 200, resp.get_json()
            results += resp.get_json()["results"]
        return results, _snapshot(session)

    together_results, together = run([mutations])
    assert [r["status"] for r in together_results] == [
        "applied", "applied", "applied", "rejected", "applied", "applied", "applied"]
    assert together["refs"] and together["change_log"] and together["aliases"]
    _forget_the_push(session, headers.client_id)
    alone_results, alone = run([[m] for m in mutations])
    assert together_results == alone_results
    for key in together:
        assert together[key] == alone[key], key


@pytest.mark.parametrize("exclusive", [True, False])
def test_a_push_writes_each_table_once(client, field_auth, session, make_site, exclusive):
    """The unit writes once: one INSERT per table for the whole push, with or without
    other kinds of mutation in it."""
    inserts = []

    def spy(_conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO"):
            inserts.append(statement.split()[2])

    headers = field_auth()
    mutations = [mutation(i + 1, "inspection.submit",
                          inspection_args(make_site(), fail=FAILS[:2])) for i in range(3)]
    if not exclusive:
        mutations.append(mutation(4, "hazard.comment", {
            "id": derived_id(mutations[0]["args"]["id"], FAILS[0]), "text": "好"}))
    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        resp = push(client, headers, mutations)
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)
    assert [r["status"] for r in resp.get_json()["results"]] == ["applied"] * len(mutations)
    assert sorted(inserts) == sorted(["inspections", "hazards", "hazard_events", "blob_refs",
                                      "sync_change_log", "sync_mutation_results"])
    assert _count(session, HazardEvent) == 6 + (0 if exclusive else 1)
    # Each inspection refers to 2 photos, 2 signatures (inspector, site); each hazard to 1.
    assert _count(session, BlobRef) == 18
