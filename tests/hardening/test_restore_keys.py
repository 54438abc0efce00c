"""Backups that restore a working county (issue 19, finding 9).

The archive carries the secret key, encrypted with the operator's key file or passphrase;
a restore onto a fresh machine puts it back, so a QR tag printed before the backup, a
pull cursor and a console session all keep working; `xuncha check` fails when tags exist
that the current key does not sign.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import create_engine, text

from server.evidence import qr
from server.ops.backup import BackupError, backup, read_manifest, restore
from server.ops.keyfile import BackupKey
from tests.conftest import BASE_CONFIG, COUNTY1, PG, TEST_DATABASE_URL
from tests.server.console.conftest import Console
from tests.sync.factories import inspection_args
from tests.sync.helpers import mutation, push

COOKIE = "xuncha_console"


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "backup.key"
    path.write_bytes(os.urandom(32))
    return BackupKey.from_key_file(path)


@pytest.fixture
def fresh_machine(tmp_path, monkeypatch):
    """make(name) -> the app of a new, empty machine: its own database, blob folder and
    instance folder, and no XUNCHA_SECRET_KEY (it makes its own, as `xuncha` would)."""
    from server import create_app
    from server.config import normalize_database_url

    made = []

    def make(name, *, fresh_database=True):
        if PG:
            base = normalize_database_url(TEST_DATABASE_URL)
            dbname = base.rsplit("/", 1)[1] + "_restore"
            admin = create_engine(base, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                    {"n": dbname}).scalar():
                    conn.execute(text(f'CREATE DATABASE "{dbname}"'))
            admin.dispose()
            url = base.rsplit("/", 1)[0] + "/" + dbname
            if fresh_database:
                wipe = create_engine(url, isolation_level="AUTOCOMMIT")
                with wipe.connect() as conn:
                    conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
                wipe.dispose()
        else:
            url = f"sqlite:///{tmp_path / name / 'xuncha.db'}"
        monkeypatch.setenv("XUNCHA_INSTANCE_PATH", str(tmp_path / name / "instance"))
        config = {k: v for k, v in BASE_CONFIG.items() if k != "SECRET_KEY"}
        target = create_app(dict(config, DATABASE_URL=url, BLOB_DIR=str(tmp_path / name / "blobs")))
        made.append(target)
        return target

    yield make
    for target in made:
        with target.app_context():
            from server.extensions import db

            db.session.remove()
            db.engine.dispose()


def _printed_tag(client, headers, site) -> tuple[str, str]:
    """The tag as a phone camera reads it off the printed QR image."""
    from server.extensions import db

    url = f"/api/v1/sites/{site.id}/qr.png"
    db.session.commit()  # the test's own read of site.id began a (SQLite) write transaction
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200
    with Image.open(io.BytesIO(resp.get_data())) as img:
        (barcode,) = zxingcpp.read_barcodes(img.convert("L"))
    return qr.parse_payload(barcode.text)


def _pull(client, headers, cursor=None):
    return client.get("/api/v1/sync/pull", headers=headers,
                      query_string={"cursor": cursor} if cursor else {})


def _world(app, client, auth, make_site, make_user):
    """Before the backup: a printed tag, an inspector's cursor, a reviewer's console."""
    site = make_site()
    inspector = auth(user=make_user(created_at=datetime.now(UTC) - timedelta(days=30)))
    tag = _printed_tag(client, inspector, site)
    resp = _pull(client, inspector)
    assert resp.status_code == 200 and not resp.get_json()["has_more"]
    cursor = resp.get_json()["cursor"]
    reviewer = Console(app.test_client(), make_user(role="county_reviewer", region=COUNTY1))
    assert reviewer.login().status_code == 302
    # Built now, from this instance's rows: the scan read off the tag, for later.
    args = inspection_args(site)
    args["scan"] = {"code": tag[0], "sig": tag[1]}
    from server.extensions import db

    db.session.commit()  # nothing of this session may linger into another app's database
    return {"inspection": args, "inspector": inspector, "tag": tag, "cursor": cursor,
            "cookie": reviewer.client.get_cookie(COOKIE).value}


def _submit_scanned(client, headers, args, mid=1):
    resp = push(client, headers, [mutation(mid, "inspection.submit", args)])
    (result,) = resp.get_json()["results"]
    assert result["status"] == "applied", result
    return result["flags"]


def _console_works(target, cookie) -> bool:
    browser = target.test_client()
    browser.set_cookie(COOKIE, cookie)
    return browser.get("/console/review").status_code == 200


def _checks(target) -> dict:
    from server.ops.check import run_checks

    return {r.name: r for r in run_checks(target)}


def test_a_restore_onto_a_fresh_machine_keeps_tags_cursors_and_sessions(
        app, client, auth, make_site, make_user, tmp_path, fresh_machine, key_file):
    world = _world(app, client, auth, make_site, make_user)
    archive = tmp_path / "backups" / "b.tar.gz"
    manifest = backup(app, archive, key=key_file)
    assert manifest.secret_key_id
    with tarfile.open(archive) as tar:  # never in the clear
        for member in tar.getmembers():
            if member.isfile():
                assert b"test-secret" not in tar.extractfile(member).read(), member.name

    machine = fresh_machine("new")
    assert machine.config["SECRET_KEY"] != app.config["SECRET_KEY"]  # its own, for now
    report = restore(machine, archive, key=key_file)
    assert report.secret_path is not None and not report.secret_overridden
    # The web workers start again after the restore: a new process reads the instance.
    served = fresh_machine("new", fresh_database=False)
    assert served.config["SECRET_KEY"] == app.config["SECRET_KEY"]
    with served.app_context():
        phone = served.test_client()
        resp = _pull(phone, world["inspector"], world["cursor"])
        assert resp.status_code == 200, resp.get_json()
        flags = _submit_scanned(phone, world["inspector"], world["inspection"])
        assert "qr_invalid" not in flags, flags
        assert _console_works(served, world["cookie"])
        assert _checks(served)["tags"].status == "OK"


def test_without_the_key_the_restore_says_what_breaks(app, client, auth, make_site, make_user,
                                                      tmp_path, fresh_machine, key_file):
    world = _world(app, client, auth, make_site, make_user)
    archive = tmp_path / "b.tar.gz"
    backup(app, archive, key=key_file)
    machine = fresh_machine("bare")
    with pytest.raises(BackupError, match="secret key"):
        restore(machine, archive)  # no key given: refused before anything is touched
    wrong = tmp_path / "wrong.key"
    wrong.write_bytes(os.urandom(32))
    with pytest.raises(BackupError, match="does not open"):
        restore(machine, archive, key=BackupKey.from_key_file(wrong))
    restore(machine, archive, without_secret=True)
    served = fresh_machine("bare", fresh_database=False)
    with served.app_context():
        phone = served.test_client()
        assert "qr_invalid" in _submit_scanned(phone, world["inspector"], world["inspection"])
        assert not _console_works(served, world["cookie"])
        tags = _checks(served)["tags"]
        assert tags.status == "FAIL" and "other secret key" in tags.message


def test_a_passphrase_works_too_and_the_manifest_anchors_the_audit_chain(
        app, make_site, tmp_path, fresh_machine):
    make_site()
    phrase = tmp_path / "phrase.txt"
    phrase.write_text("correct horse battery staple\n")
    key = BackupKey.from_passphrase_file(phrase)
    archive = tmp_path / "p.tar.gz"
    manifest = backup(app, archive, key=key)
    assert read_manifest(archive).audit_head == manifest.audit_head
    with tarfile.open(archive) as tar:
        sealed = json.loads(tar.extractfile("secret.json").read())
    assert sealed["kdf"] == "scrypt" and "test-secret" not in json.dumps(sealed)
    machine = fresh_machine("p")
    restore(machine, archive, key=key)
    assert (tmp_path / "p" / "instance" / "secret_key").read_text() == "test-secret"
    assert oct((tmp_path / "p" / "instance" / "secret_key").stat().st_mode)[-3:] == "600"


def test_cli_backup_refuses_a_weak_key_and_refuses_without_one(app, make_site, tmp_path):
    make_site()
    runner = app.test_cli_runner()
    weak = tmp_path / "weak.key"
    weak.write_bytes(b"short")
    result = runner.invoke(args=["backup", str(tmp_path / "a.tar.gz"), "--key-file", str(weak)])
    assert result.exit_code == 1 and "at least 32" in result.output
    result = runner.invoke(args=["backup", str(tmp_path / "b.tar.gz")])
    assert result.exit_code == 2 and "never written unencrypted" in result.output
    assert not (tmp_path / "b.tar.gz").exists()
    result = runner.invoke(args=["backup", str(tmp_path / "b.tar.gz"), "--without-secret-key"])
    assert result.exit_code == 0 and "holds no secret key" in result.output
    assert read_manifest(tmp_path / "b.tar.gz").secret_key_id is None
    good = tmp_path / "good.key"
    good.write_bytes(os.urandom(32))
    result = runner.invoke(args=["backup", str(tmp_path / "c.tar.gz"), "--key-file", str(good)])
    assert result.exit_code == 0 and "in the archive, encrypted" in result.output


def test_check_fails_on_scans_the_current_key_does_not_sign(app, client, auth, make_site,
                                                            make_user):
    """Tags printed before fingerprints were recorded: the verified scans tell."""
    from server.extensions import db
    from server.models import SigningKey

    world = _world(app, client, auth, make_site, make_user)
    flags = _submit_scanned(client, world["inspector"], world["inspection"])
    assert "qr_invalid" not in flags
    db.session.query(SigningKey).delete()
    db.session.commit()
    assert _checks(app)["tags"].status == "OK"
    app.config["SECRET_KEY"] = "another-key-" + uuid.uuid4().hex
    tags = _checks(app)["tags"]
    assert tags.status == "FAIL" and "scans" in tags.message
