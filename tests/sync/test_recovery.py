"""After a restore: kept mutations sent again apply once; lost ones are audited, not a wall.

Over HTTP, with a real backup and a real restore into a second instance (a second SQLite
file, or the `<test database>_restore` PostgreSQL database).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from server.ops.backup import backup, restore
from tests.conftest import TOWNSHIP1, VILLAGE1
from tests.ops.test_backup import fresh_target  # noqa: F401 (fixture)
from tests.server.test_errors import assert_error


def _site(mid: int, name: str) -> dict:
    return {"id": mid, "name": "site.create", "at": datetime.now(UTC).isoformat(),
            "args": {"id": str(uuid.uuid4()), "name": name, "kind": "shop",
                     "region_code": VILLAGE1, "address": "晟舍村1号", "sectors": ["fire"]}}


def _push(client, headers, *mutations):
    return client.post("/api/v1/sync/push", headers=headers, json={
        "client_id": str(headers.client_id), "sent_at": datetime.now(UTC).isoformat(),
        "mutations": list(mutations)})


def _lost(client, headers, first, last, epoch, **extra):
    return client.post("/api/v1/sync/lost", headers=headers, json={
        "client_id": str(headers.client_id), "from": first, "to": last, "epoch": epoch,
        **extra})


def _ok(resp):
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _sites_named(app, names):
    with app.app_context():
        from server.extensions import db
        from server.models import Site

        rows = db.session.execute(select(Site.name, func.count()).where(Site.name.in_(names))
                                  .group_by(Site.name)).all()
        db.session.remove()
    return dict(rows)


def _audit(app, action):
    with app.app_context():
        from server import audit
        from server.extensions import db
        from server.models import AuditEntry

        rows = [dict(r) for r in db.session.scalars(
            select(AuditEntry.details).where(AuditEntry.action == action))]
        assert audit.verify(db.session).ok
        db.session.remove()
    return rows


def _backup_then_more(app, client, headers, tmp_path):
    """Mutations 1-2 in a backup, 3-4 pushed after it (acknowledged, then lost)."""
    before = [_site(1, "备份前一"), _site(2, "备份前二")]
    answer = _ok(_push(client, headers, *before))
    assert answer["epoch"] == 0 and answer["safe_mutation_id"] == 0
    archive = tmp_path / "b.tar.gz"
    backup(app, archive)
    after = [_site(3, "备份后三"), _site(4, "备份后四")]
    answer = _ok(_push(client, headers, *after))
    # The backup holds 1-2: the phone may forget those, and must keep 3-4.
    assert [r["status"] for r in answer["results"]] == ["applied", "applied"]
    assert answer["safe_mutation_id"] == 2 and answer["epoch"] == 0
    pull = _ok(client.get("/api/v1/sync/pull", headers=headers))
    assert pull["safe_mutation_id"] == 2 and pull["epoch"] == 0
    return archive, before, after


def test_kept_mutations_sent_again_after_a_restore_apply_once(app, client, auth, tmp_path,
                                                             fresh_target):  # noqa: F811
    phone = auth("township_inspector", TOWNSHIP1)
    archive, _before, after = _backup_then_more(app, client, phone, tmp_path)
    target = fresh_target()
    restore(target, archive)
    c2 = target.test_client()

    new = _site(5, "恢复后五")
    gap = assert_error(_push(c2, phone, new), 409, "mutation_gap")
    assert gap["details"]["expected"] == 3
    pull = _ok(c2.get("/api/v1/sync/pull", headers=phone))
    assert pull["epoch"] > 0 and pull["safe_mutation_id"] == 2  # restored = held by a backup

    # The phone kept 3-4 (not yet safe): it sends them again, same ids, then the new one.
    answer = _ok(_push(c2, phone, *after, new))
    assert [r["status"] for r in answer["results"]] == ["applied"] * 3
    assert answer["last_mutation_id"] == 5 and answer["epoch"] == pull["epoch"]
    again = _ok(_push(c2, phone, *after, new))  # a lost answer: the same batch once more
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 3
    names = ["备份前一", "备份前二", "备份后三", "备份后四", "恢复后五"]
    assert _sites_named(target, names) == dict.fromkeys(names, 1)
    assert _audit(target, "mutations_lost") == []

    # A backup of the restored server makes all of it safe to forget.
    backup(target, tmp_path / "b2.tar.gz")
    assert _ok(c2.get("/api/v1/sync/pull", headers=phone))["safe_mutation_id"] == 5


def test_a_phone_that_kept_nothing_is_unblocked_and_the_loss_audited(app, client, auth,
                                                                    tmp_path, fresh_target):  # noqa: F811
    phone = auth("township_inspector", TOWNSHIP1)
    other = auth("township_inspector", TOWNSHIP1)
    archive, _before, _after = _backup_then_more(app, client, phone, tmp_path)
    target = fresh_target()
    restore(target, archive)
    c2 = target.test_client()
    new = _site(5, "恢复后五")
    assert assert_error(_push(c2, phone, new), 409, "mutation_gap")["details"]["expected"] == 3

    # Bad reports change nothing: wrong start, wrong order, unknown fields, the same epoch
    # as now, another user's client_id.
    current = _ok(c2.get("/api/v1/sync/pull", headers=phone))["epoch"]
    assert assert_error(_lost(c2, phone, 4, 4, 0), 409, "mutation_gap")["details"] \
        == {"expected": 3}
    assert assert_error(_lost(c2, phone, 2, 4, 0), 409, "mutation_gap")["details"] \
        == {"expected": 3}
    assert "to" in assert_error(_lost(c2, phone, 3, 2, 0), 422, "validation_error")["details"]
    assert "to" in assert_error(_lost(c2, phone, 3, 10**6, 0), 422,
                                "validation_error")["details"]
    assert assert_error(_lost(c2, phone, 3, 4, 0, note="x"), 422, "validation_error")
    assert_error(_lost(c2, phone, "3", 4, 0), 422, "validation_error")
    err = assert_error(_lost(c2, phone, 3, 4, current), 409, "loss_not_explained")
    assert err["details"]["epoch"] == current
    resp = c2.post("/api/v1/sync/lost", headers=other, json={
        "client_id": str(phone.client_id), "from": 3, "to": 4, "epoch": 0})
    assert_error(resp, 403, "client_id_mismatch")
    assert _audit(target, "mutations_lost") == []
    assert_error(_push(c2, phone, new), 409, "mutation_gap")

    # The honest report: 3-4 were acknowledged in epoch 0 and are gone from the phone.
    done = _ok(_lost(c2, phone, 3, 4, 0))
    assert done == {"last_mutation_id": 4, "epoch": current, "safe_mutation_id": 2,
                    "lost": {"from": 3, "to": 4}}
    [entry] = _audit(target, "mutations_lost")
    assert entry == {"client_id": str(phone.client_id), "from": 3, "to": 4, "count": 2,
                     "acknowledged_epoch": 0, "epoch": current}
    # Carries on where it is; the same report again is no longer at the expected id.
    assert [r["status"] for r in _ok(_push(c2, phone, new))["results"]] == ["applied"]
    assert_error(_lost(c2, phone, 3, 4, 0), 409, "mutation_gap")
    assert _sites_named(target, ["备份后三", "备份后四", "恢复后五"]) == {"恢复后五": 1}


def test_an_app_that_never_saw_an_epoch_may_report_after_a_restore(app, client, auth,
                                                                  tmp_path, fresh_target):  # noqa: F811
    phone = auth("township_inspector", TOWNSHIP1)
    archive, _before, _after = _backup_then_more(app, client, phone, tmp_path)
    target = fresh_target()
    restore(target, archive)
    c2 = target.test_client()
    assert _ok(_lost(c2, phone, 3, 4, None))["last_mutation_id"] == 4
    assert _audit(target, "mutations_lost")[0]["acknowledged_epoch"] is None


def test_without_a_restore_no_loss_is_accepted(client, auth):
    phone = auth("township_inspector", TOWNSHIP1)
    _ok(_push(client, phone, _site(1, "一号")))
    for epoch in (0, None, 12345):
        err = assert_error(_lost(client, phone, 2, 5, epoch), 409, "loss_not_explained")
        assert err["details"] == {"epoch": 0, "expected": 2}
    assert _ok(_push(client, phone, _site(2, "二号")))["last_mutation_id"] == 2
