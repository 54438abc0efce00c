"""Backup and restore: a consistent archive, a fresh instance, devices that carry on or reset."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from server.ops.backup import BackupError, backup, read_manifest, restore
from tests.conftest import PG, TOWNSHIP1, VILLAGE1, _make_app
from tests.server.test_errors import assert_error


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Store:
    """The blob store's on-disk layout (server.evidence.store): <ab>/<cd>/<sha256>."""

    def __init__(self, root):
        self.root = Path(root)

    def path(self, name):
        return self.root / name[:2] / name[2:4] / name

    def put(self, name, data):
        self.path(name).parent.mkdir(parents=True, exist_ok=True)
        self.path(name).write_bytes(data)

    def get(self, name):
        return self.path(name).read_bytes()


def _site(mid: int, name: str) -> dict:
    args = {"id": str(uuid.uuid4()), "name": name, "kind": "restaurant",
            "region_code": VILLAGE1, "address": "晟舍村东街1号", "sectors": ["gas"]}
    return {"id": mid, "name": "site.create", "at": datetime.now(UTC).isoformat(),
            "args": args}


def _push(client, headers, *mutations):
    resp = client.post("/api/v1/sync/push", headers=headers, json={
        "client_id": str(headers.client_id), "sent_at": datetime.now(UTC).isoformat(),
        "mutations": list(mutations)})
    assert resp.status_code == 200, resp.get_json()
    assert all(r["status"] == "applied" for r in resp.get_json()["results"]), resp.get_json()
    return resp.get_json()


def _pull_all(client, headers, cursor=None):
    changes = []
    while True:
        resp = client.get("/api/v1/sync/pull", headers=headers,
                          query_string={"cursor": cursor} if cursor else {})
        if resp.status_code != 200:
            return resp, changes, cursor
        body = resp.get_json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return resp, changes, cursor


def _ids(changes, type_="site"):
    return {c["id"] for c in changes if c["type"] == type_ and c["op"] == "put"}


@pytest.fixture
def fresh_target(tmp_path):
    """A second, empty instance to restore into (its own database and blob folder)."""
    made = []

    def make():
        if PG:
            from server.config import normalize_database_url
            from tests.conftest import TEST_DATABASE_URL

            base = normalize_database_url(TEST_DATABASE_URL)
            name = base.rsplit("/", 1)[1] + "_restore"
            admin = create_engine(base, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                    {"n": name}).scalar():
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            url = base.rsplit("/", 1)[0] + "/" + name
            wipe = create_engine(url, isolation_level="AUTOCOMMIT")
            with wipe.connect() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            wipe.dispose()
        else:
            url = f"sqlite:///{tmp_path / 'restored' / 'xuncha.db'}"
        target = _make_app(url, tmp_path / "restored")
        made.append(target)
        return target

    yield make
    for target in made:
        with target.app_context():
            from server.extensions import db

            db.session.remove()
            db.engine.dispose()


def test_round_trip_devices_continue_or_reset(app, client, auth, make_site, tmp_path,
                                              fresh_target):
    make_site()
    early = auth("township_inspector", TOWNSHIP1)   # last pulls before the backup
    late = auth("township_inspector", TOWNSHIP1)    # pulls again after it
    store = Store(app.config["BLOB_DIR"])
    photo, signature = b"\xff\xd8 photo of a gas hose", b"\x89PNG signature"
    for data in (photo, signature):
        store.put(sha(data), data)
    site_a = _site(1, "王记饭店")
    hazard_id = str(uuid.uuid4())
    _push(client, early, site_a, {
        "id": 2, "name": "hazard.report", "at": datetime.now(UTC).isoformat(),
        "args": {"id": hazard_id, "site_id": site_a["args"]["id"], "sector": "gas",
                 "description": "软管老化", "severity": "general", "source": "inspection",
                 "photos": [sha(photo), sha(signature), sha(b"still on the phone")]}})
    _, _, early_cursor = _pull_all(client, early)
    _, _, late_cursor = _pull_all(client, late)

    archive = tmp_path / "backups" / "b.tar.gz"
    manifest = backup(app, archive)
    assert manifest.blobs == {sha(photo): len(photo), sha(signature): len(signature)}
    # The one photo never uploaded is reported, not hidden.
    assert manifest.missing == [sha(b"still on the phone")]
    assert manifest.referenced == 3 and manifest.tables["sites"] == 2

    # Work after the backup: lost by the restore, and `late` has seen it.
    lost = _site(1, "丢失的小店")
    _push(client, late, lost)
    _, seen, late_cursor = _pull_all(client, late, late_cursor)
    assert lost["args"]["id"] in _ids(seen)

    target = fresh_target()
    report = restore(target, archive)
    assert report.blobs_restored == 2
    restored_store = Store(target.config["BLOB_DIR"])
    assert restored_store.get(sha(photo)) == photo and restored_store.get(sha(signature)) \
        == signature

    with target.app_context():
        from server import audit
        from server.extensions import db
        from server.models import Hazard, Site

        assert db.session.scalar(select(func.count()).select_from(Site)) == 2
        assert db.session.get(Hazard, uuid.UUID(hazard_id)) is not None
        assert audit.verify(db.session).ok
        db.session.remove()

    c2 = target.test_client()
    # New work on the restored server.
    after = _site(3, "新开的茶馆")
    _push(c2, early, after)
    # `early` saw nothing past the backup: it carries on and gets only what is new.
    resp, changes, _ = _pull_all(c2, early, early_cursor)
    assert resp.status_code == 200
    assert _ids(changes) == {after["args"]["id"]}
    # `late` holds a site the server no longer has: its cursor resets, cleanly.
    resp, _, _ = _pull_all(c2, late, late_cursor)
    assert_error(resp, 409, "cursor_reset")
    resp, changes, _ = _pull_all(c2, late)
    assert resp.status_code == 200
    site_ids = _ids(changes)
    assert {after["args"]["id"], site_a["args"]["id"]} <= site_ids
    assert lost["args"]["id"] not in site_ids


def test_restore_refuses_a_non_empty_instance_unless_forced(app, make_site, tmp_path,
                                                            fresh_target):
    make_site()
    archive = tmp_path / "b.tar.gz"
    backup(app, archive)
    target = fresh_target()
    restore(target, archive)
    with pytest.raises(BackupError, match="not empty"):
        restore(target, archive)
    report = restore(target, archive, force=True)
    assert report.manifest.tables["sites"] == 1
    with target.app_context():
        from server.extensions import db
        from server.models import Site

        assert db.session.scalar(select(func.count()).select_from(Site)) == 1
        db.session.remove()


def test_a_damaged_archive_changes_nothing(app, make_site, tmp_path, fresh_target):
    make_site()
    store = Store(app.config["BLOB_DIR"])
    data = b"evidence"
    store.put(sha(data), data)
    archive = tmp_path / "b.tar.gz"
    backup(app, archive)
    # Swap the blob's bytes inside the archive.
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(bad, "w:gz") as dst:
        for member in src.getmembers():
            fh = src.extractfile(member)
            payload = fh.read() if fh else None
            if member.name.endswith(sha(data)):
                payload = b"tampered"
                member.size = len(payload)
            dst.addfile(member, io.BytesIO(payload) if payload is not None else None)
    target = fresh_target()
    with pytest.raises(BackupError, match="does not match"):
        restore(target, bad)
    with target.app_context():
        from sqlalchemy import inspect

        from server.extensions import db

        assert "sites" not in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_a_corrupt_stored_blob_is_left_out_and_reported(app, make_site, tmp_path):
    store = Store(app.config["BLOB_DIR"])
    data = b"a photo"
    store.put(sha(data), data)
    path = next(p for p in (tmp_path / "blobs").rglob(sha(data)))
    path.write_bytes(b"bit rot")
    manifest = backup(app, tmp_path / "b.tar.gz")
    assert manifest.blobs == {} and manifest.corrupt == [f"{sha(data)[:2]}/{sha(data)[2:4]}/"
                                                         f"{sha(data)}"]


def test_backup_while_writers_run_is_consistent(app, auth, make_site, tmp_path, fresh_target):
    """Writers keep pushing during the backup; the archive is one consistent moment."""
    make_site()
    headers = auth("township_inspector", TOWNSHIP1)
    stop = threading.Event()
    pushed = []

    def writer():
        c = app.test_client()
        mid = 1
        while not stop.is_set() and mid < 200:
            resp = c.post("/api/v1/sync/push", headers=headers, json={
                "client_id": str(headers.client_id), "sent_at": datetime.now(UTC).isoformat(),
                "mutations": [_site(mid, f"店{mid}")]})
            if resp.status_code == 200:
                pushed.append(mid)
                mid += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while len(pushed) < 5 and datetime.now(UTC) < deadline:
            threading.Event().wait(0.05)
        archive = tmp_path / "b.tar.gz"
        manifest = backup(app, archive)
    finally:
        stop.set()
        thread.join()
    target = fresh_target()
    restore(target, archive)
    with target.app_context():
        from server.extensions import db
        from server.models import ChangeLog, Device, MutationResult, Site

        sites = db.session.scalar(select(func.count()).select_from(Site))
        results = db.session.scalar(select(func.count()).select_from(MutationResult))
        last = db.session.scalar(select(Device.last_mutation_id)
                                 .where(Device.client_id == headers.client_id))
        logged = db.session.scalar(select(func.count()).select_from(ChangeLog)
                                   .where(ChangeLog.type == "site"))
        db.session.remove()
    # Every table agrees on how far the device had got: no half-copied push.
    assert sites == results + 1 == last + 1 == logged == manifest.tables["sites"]


def test_cli_backup_and_restore(app, make_site, tmp_path, fresh_target):
    make_site()
    archive = tmp_path / "cli.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(archive),
                                                   "--without-secret-key"])
    assert result.exit_code == 0, result.output
    assert "1 rows in" not in result.output and "backup" in result.output
    manifest = read_manifest(archive)
    assert json.loads(json.dumps(manifest.tables))["sites"] == 1
    target = fresh_target()
    result = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    result = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 1 and "not empty" in result.output
