"""`xuncha backup` / `xuncha restore`: the database and the blob store in one archive.

Consistency while the server runs. The database is copied first, as one snapshot: SQLite
through its online backup API (readers and writers carry on; the copy is one consistent
moment), PostgreSQL with `pg_dump --snapshot` on a snapshot exported by our own
REPEATABLE READ transaction, so the facts we record (row counts, referenced blobs,
change-log height) describe exactly what was dumped. Blobs are copied after it: they are
immutable and content-addressed, and a row never references a blob that was not stored
before the row was written, so every blob the snapshot references and the store held is
in the archive. Photos still on their way (an inspection `awaiting_media`) are listed as
missing in the manifest, not treated as an error.

Archive (tar.gz)::

    manifest.json            format, schema revision, counts, every blob's sha256 and size
    database/xuncha.sqlite3  or database/xuncha.pgdump (pg_dump custom format)
    blobs/...                the store's layout (originals and derived copies; no tmp/
                             or partial uploads: a resumable upload restarts cleanly)

Restore goes into an empty instance (no users, no blobs) unless forced, verifies every
blob's hash before touching anything, migrates the restored database to the code's head,
and leaves a restore marker so stale pull cursors reset (see `server.restore_epoch`).
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import bindparam, func, inspect, select, table, text, update
from sqlalchemy.exc import SQLAlchemyError

from server import restore_epoch as epoch
from server.audit import anchor, seals
from server.evidence.keys import key_id
from server.extensions import db
from server.models import ChangeLog, Device
from server.ops import keyfile, snapshot
from server.ops.blobcopy import (
    ORIGINAL,
    blob_files,
    count_originals,
    move_blobs,
    sha256_file,
    verify_blobs,
)
from server.ops.snapshot import BackupError, schema_revision  # noqa: F401 - re-exported

FORMAT = "xuncha-backup/1"


@dataclass
class Manifest:
    format: str
    backup_id: str
    created_at: str
    dialect: str
    revision: str | None
    tables: dict[str, int]
    max_seq: int
    txid_xmax: int | None
    blobs: dict[str, int]  # sha256 -> size, originals only
    derived: int
    referenced: int
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    pg_dump_major: int | None = None  # which pg_restore can read the dump (None: SQLite)
    # The secret key's fingerprint when the archive carries it (encrypted, `secret.json`).
    secret_key_id: str | None = None
    # The audit chain's head in the snapshot {seq, hash}: what a truncated chain is
    # compared with (server.audit.anchor).
    audit_head: dict | None = None
    # Why the chain no longer reaches the head anchored before (None: it does).
    audit_warning: str | None = None


@dataclass
class RestoreReport:
    manifest: Manifest
    blobs_restored: int
    resumed_at: int
    reset_all: bool
    secret_path: Path | None = None  # where the restored secret key was written
    secret_overridden: bool = False  # XUNCHA_SECRET_KEY is set to another key


# --- backup -----------------------------------------------------------------------------

def backup(app: Flask, out_path: str | os.PathLike, *,
           key: keyfile.BackupKey | None = None) -> Manifest:
    """Write a consistent archive of the database and the blob store to `out_path`.

    With `key` (or XUNCHA_BACKUP_KEY_FILE) the archive carries the secret key, encrypted
    (`keyfile`); without, it carries none (`Manifest.secret_key_id` is None).
    """
    key = key or keyfile.from_config(app.config)
    out = Path(out_path).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    blob_root = Path(app.config["BLOB_DIR"])
    with tempfile.TemporaryDirectory(prefix=".xuncha-backup-", dir=out.parent) as tmp:
        with app.app_context():
            audit_warning = _seal_and_compare(app)
            arcname, facts = snapshot.dump_database(app, Path(tmp))
            dialect = db.engine.dialect.name
        part = out.with_name(out.name + ".part")
        blobs: dict[str, int] = {}
        corrupt: list[str] = []
        derived = 0
        with tarfile.open(part, "w:gz", compresslevel=1) as tar:
            # Photos are JPEG already: level 1 spends no time on bytes that will not shrink.
            tar.add(facts["file"], arcname=arcname)
            for rel, path in blob_files(blob_root):
                m = ORIGINAL.match(rel)
                if m:
                    digest = sha256_file(path)
                    if digest != m.group(1):
                        corrupt.append(rel)  # never copy bad bytes under a good name
                        continue
                    blobs[digest] = path.stat().st_size
                else:
                    derived += 1
                tar.add(path, arcname=f"blobs/{rel}")
            backup_id = str(uuid.uuid4())
            secret = app.config["SECRET_KEY"]
            if key is not None:
                _add_member(tar, keyfile.MEMBER, keyfile.seal(secret, key, backup_id))
            manifest = Manifest(
                format=FORMAT, backup_id=backup_id,
                created_at=datetime.now(UTC).isoformat(), dialect=dialect,
                revision=facts["revision"], tables=facts["tables"], max_seq=facts["max_seq"],
                txid_xmax=facts["txid_xmax"], blobs=blobs, derived=derived,
                referenced=len(facts["referenced"]),
                missing=sorted(facts["referenced"] - set(blobs)), corrupt=corrupt,
                pg_dump_major=facts.get("pg_dump_major"),
                secret_key_id=key_id(secret) if key is not None else None,
                audit_head=facts.get("audit_head"), audit_warning=audit_warning)
            _add_member(tar, "manifest.json",
                        json.dumps(asdict(manifest), indent=1, sort_keys=True).encode())
        with open(part, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(part, out)
    head = manifest.audit_head
    if head and audit_warning is None:  # never anchor over a chain that lost its end
        anchor.write(app, anchor.Head(head["seq"], head["hash"]), f"backup {backup_id}")
    with app.app_context():
        try:
            _mark_backed_up(facts["counters"])
        except SQLAlchemyError as exc:
            # Harmless for the archive; phones only keep their mutations longer.
            raise BackupError(f"The backup is written to {out}, but devices could not be "
                              "told what it holds (they keep their work until the next "
                              f"backup): {str(exc).splitlines()[0][:200]}") from None
    return manifest


def _seal_and_compare(app: Flask) -> str | None:
    """Seal the inspections and hazard events written since the last seal into the audit
    chain (so the snapshot's head covers them); say why the chain does not reach the head
    anchored before, if it does not."""
    session = db.session
    try:
        try:
            anchored = anchor.read(app)
            problem = anchor.compare(session, anchored) if anchored else None
        except anchor.Forged as exc:
            problem = str(exc)
        seals.seal(session)
        session.commit()
    finally:
        session.remove()
    return problem


def _add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _mark_backed_up(counters: dict[uuid.UUID, int]) -> None:
    """Tell devices which of their mutations the archive just written holds.

    Only after the archive is durable: a phone forgets what is marked here. Counters only
    move up (a slow backup finishing after a newer one marks nothing lower).
    """
    if not counters:
        return
    session = db.session
    try:
        devices = Device.__table__
        session.connection().execute(
            update(devices).where(devices.c.client_id == bindparam("cid"),
                                  devices.c.backed_up_mutation_id < bindparam("last"))
            .values(backed_up_mutation_id=bindparam("last")),
            [{"cid": cid, "last": last} for cid, last in counters.items()])
        session.commit()
    finally:
        session.remove()


# --- restore ----------------------------------------------------------------------------

def read_manifest(archive: str | os.PathLike) -> Manifest:
    with tarfile.open(archive, "r:gz") as tar:
        try:
            member = tar.getmember("manifest.json")
        except KeyError:
            raise BackupError("Not a xuncha backup: no manifest.json.") from None
        data = json.loads(tar.extractfile(member).read())
    if data.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {data.get('format')!r}.")
    known = set(Manifest.__dataclass_fields__)
    return Manifest(**{k: v for k, v in data.items() if k in known})


def _archived_secret(archive, manifest: Manifest, key: keyfile.BackupKey | None) -> str:
    """The archive's secret key, decrypted (before anything is touched)."""
    if key is None:
        raise BackupError("The archive holds the server's secret key (it signs the QR tags "
                          "in the field), encrypted: give --key-file or --passphrase-file "
                          "(or set XUNCHA_BACKUP_KEY_FILE). --without-secret restores without "
                          "it, and every tag printed before the backup will fail to verify.")
    with tarfile.open(archive, "r:gz") as tar:
        try:
            data = tar.extractfile(tar.getmember(keyfile.MEMBER)).read()
        except KeyError:
            raise BackupError("The archive is damaged: its manifest lists a secret key "
                              "but secret.json is missing.") from None
    secret = keyfile.unseal(data, key, manifest.backup_id)
    if key_id(secret) != manifest.secret_key_id:
        raise BackupError("The archive is damaged: its secret key is not the one the "
                          "manifest names.")
    return secret


def instance_contents(app: Flask) -> dict[str, int]:
    """What the target already holds: users, sites, stored blobs (0s = empty)."""
    out = {"users": 0, "sites": 0, "blobs": 0}
    url = app.config["DATABASE_URL"]
    fresh_file = url.startswith("sqlite") and not os.path.exists(snapshot.sqlite_path(url))
    with app.app_context():
        if fresh_file:  # do not create the file (or fail on its missing folder) just to look
            return out | {"blobs": count_originals(Path(app.config["BLOB_DIR"]))}
        names = set(inspect(db.engine).get_table_names())
        for name in ("users", "sites"):
            if name in names:
                out[name] = db.session.scalar(select(func.count()).select_from(table(name)))
        db.session.remove()
    out["blobs"] = count_originals(Path(app.config["BLOB_DIR"]))
    return out


def restore(app: Flask, archive: str | os.PathLike, *, force: bool = False,
            key: keyfile.BackupKey | None = None,
            without_secret: bool = False) -> RestoreReport:
    """Restore an archive into this instance (stop the web workers first); with the
    archive's secret key when it has one (decrypted with `key`) unless `without_secret`."""
    manifest = read_manifest(archive)
    secret = None
    if manifest.secret_key_id and not without_secret:
        secret = _archived_secret(archive, manifest, key or keyfile.from_config(app.config))
    present = instance_contents(app)
    if any(present.values()) and not force:
        raise BackupError("The target instance is not empty "
                          f"({', '.join(f'{v} {k}' for k, v in present.items() if v)}); "
                          "restore into a fresh one, or pass --force to replace it.")
    blob_root = Path(app.config["BLOB_DIR"])
    # Unpacked inside the store's own tmp/ (same filesystem: blobs move in by rename;
    # never mistaken for stored blobs).
    (blob_root / "tmp").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="restore-", dir=blob_root / "tmp") as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")  # refuses absolute paths, .., links out
        verify_blobs(work / "blobs", manifest.blobs)
        with app.app_context():
            snapshot.restore_database(app, work / "database", manifest.dialect,
                                      manifest.pg_dump_major)
            secret_path = overridden = None
            if secret is not None:
                secret_path = keyfile.install(app.instance_path, secret)
                # XUNCHA_SECRET_KEY, when set, wins over the instance file.
                overridden = (not app.config.get("SECRET_KEY_FROM_INSTANCE")
                              and app.config["SECRET_KEY"] != secret)
                if not overridden:
                    app.config["SECRET_KEY"] = secret
            resumed_at, reset_all = _mark_restore(app, manifest)
            # The restored chain is the truth now: anchor its head (with the restore's
            # own entry), so the head of the lost history is not reported as removed.
            anchor.write(app, anchor.current(db.session),
                         f"restore of backup {manifest.backup_id}")
            db.session.remove()
        restored = move_blobs(work / "blobs", blob_root)
    return RestoreReport(manifest=manifest, blobs_restored=restored, resumed_at=resumed_at,
                         reset_all=reset_all, secret_path=secret_path,
                         secret_overridden=bool(overridden))


def _mark_restore(app: Flask, manifest: Manifest) -> tuple[int, bool]:
    """Move the change log past anything issued before and record the restore."""
    from server import audit

    session = db.session
    max_seq = epoch.current_top(session)
    resumed_at = epoch.resume_seq(max(max_seq, manifest.max_seq))
    reset_below = 0
    if db.engine.dialect.name == "sqlite":
        updated = session.execute(text(
            "UPDATE sqlite_sequence SET seq = :s WHERE name = 'sync_change_log'"),
            {"s": resumed_at - 1}).rowcount
        if not updated:
            session.execute(text(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('sync_change_log', :s)"),
                {"s": resumed_at - 1})
    else:
        session.execute(text(
            "SELECT setval(pg_get_serial_sequence('sync_change_log', 'seq'), :s)"),
            {"s": resumed_at - 1})
        # Where pull windows are measured in transaction ids (a change log with a txid
        # column): restored into a cluster whose counter is behind the backup's, old
        # cursors would skip new changes, so all of them reset.
        now = session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))
        if hasattr(ChangeLog, "txid") and manifest.txid_xmax is not None \
                and now < manifest.txid_xmax:
            reset_below = resumed_at
    # Everything now in the database is in the archive it came from.
    session.execute(update(Device).values(backed_up_mutation_id=Device.last_mutation_id))
    audit.record(session, epoch.ACTION, actor_name="cli", target_type="backup",
                 target_id=manifest.backup_id,
                 details={"backup_id": manifest.backup_id, "backup_at": manifest.created_at,
                          "max_seq": max_seq, "resumed_at": resumed_at,
                          "reset_below": reset_below})
    session.commit()
    session.remove()
    return resumed_at, bool(reset_below)
