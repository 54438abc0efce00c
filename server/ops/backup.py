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

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import (
    JSON,
    String,
    bindparam,
    create_engine,
    func,
    inspect,
    select,
    table,
    text,
    update,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError

from server import restore_epoch as epoch
from server.extensions import db
from server.models import ChangeLog, Device
from server.ops import pgtools

FORMAT = "xuncha-backup/1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ORIGINAL = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/([0-9a-f]{64})$")
# Not part of a backup: files being written and resumable uploads in progress.
_SKIP_DIRS = {"tmp", "partial"}
_BLOCK = 1024 * 1024


class BackupError(Exception):
    """Backup or restore cannot go on; the message says why."""


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


@dataclass
class RestoreReport:
    manifest: Manifest
    blobs_restored: int
    resumed_at: int
    reset_all: bool


# --- facts about a database snapshot ----------------------------------------------------

def schema_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _referenced_blobs(conn: Connection, names: set[str]) -> set[str]:
    """Every blob name the rows mention: 64-hex strings in JSON documents (answers,
    signatures, photo lists, event data) and in `sha256` columns. The audit log is left
    out: its hashes are chain links, not blobs."""
    found: set[str] = set()
    for tbl in db.metadata.sorted_tables:
        if tbl.name not in names or tbl.name == "audit_log":
            continue
        cols = [c for c in tbl.columns
                if isinstance(c.type, JSON) or (c.name == "sha256" and isinstance(c.type, String))]
        if not cols:
            continue
        result = conn.execution_options(stream_results=True, yield_per=2000).execute(
            select(*cols))
        for row in result:
            for value in row:
                _collect(value, found)
    return found


def _collect(value, found: set[str]) -> None:
    if isinstance(value, str):
        if _HEX64.match(value):
            found.add(value)
    elif isinstance(value, dict):
        for v in value.values():
            _collect(v, found)
    elif isinstance(value, list | tuple):
        for v in value:
            _collect(v, found)


def _snapshot_facts(conn: Connection) -> dict:
    names = set(inspect(conn).get_table_names())
    tables = {}
    for tbl in db.metadata.sorted_tables:
        if tbl.name in names:
            tables[tbl.name] = conn.execute(select(func.count()).select_from(tbl)).scalar()
    max_seq = 0
    if "sync_change_log" in names:
        max_seq = conn.execute(text("SELECT max(seq) FROM sync_change_log")).scalar() or 0
    counters = {}
    if "devices" in names:
        counters = dict(conn.execute(select(Device.client_id, Device.last_mutation_id)
                                     .where(Device.last_mutation_id > 0)).all())
    return {"tables": tables, "revision": schema_revision(conn), "max_seq": int(max_seq),
            "referenced": _referenced_blobs(conn, names), "counters": counters}


# --- backup -----------------------------------------------------------------------------

def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return os.path.abspath(database)


def _libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq (pg_dump, pg_restore) reads it."""
    u = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


def _dump_database(app: Flask, workdir: Path) -> tuple[str, dict]:
    url = app.config["DATABASE_URL"]
    engine = db.engine
    if engine.dialect.name == "sqlite":
        target = workdir / "xuncha.sqlite3"
        src = sqlite3.connect(_sqlite_path(url), timeout=app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # one step: a consistent copy while others read and write
        finally:
            dst.close()
            src.close()
        snap = create_engine(f"sqlite:///{target}")
        try:
            with snap.connect() as conn:
                facts = _snapshot_facts(conn)
        finally:
            snap.dispose()
        facts["txid_xmax"] = None
        return "database/xuncha.sqlite3", {**facts, "file": target}
    if engine.dialect.name != "postgresql":
        raise BackupError(f"No backup method for {engine.dialect.name}.")
    target = workdir / "xuncha.pgdump"
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        client = _client_for(app, conn)
        snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
        facts = _snapshot_facts(conn)
        facts["txid_xmax"] = int(conn.execute(text(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")).scalar())
        # The exporting transaction stays open until pg_dump has taken the snapshot over.
        _run([client.tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--snapshot={snapshot_id}", f"--file={target}", _libpq_url(url)])
        conn.rollback()
    return "database/xuncha.pgdump", {**facts, "file": target, "pg_dump_major": client.major}


def _client_for(app: Flask, conn: Connection, *, at_least: int = 0) -> pgtools.Client:
    try:
        return pgtools.for_server(conn, app.config.get("PG_BINDIR"), at_least=at_least)
    except pgtools.ToolError as exc:
        raise BackupError(str(exc)) from None


def _run(argv: list[str]) -> None:
    tool = os.path.basename(argv[0])
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(f"{tool} failed: {proc.stderr.strip()[:2000]}")


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_BLOCK):
            h.update(chunk)
    return h.hexdigest()


def _blob_files(root: Path):
    """(relative path, absolute path) of every stored file worth keeping."""
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir == Path("."):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        else:
            dirnames.sort()
        for name in sorted(filenames):
            yield (rel_dir / name).as_posix(), Path(dirpath) / name


def backup(app: Flask, out_path: str | os.PathLike) -> Manifest:
    """Write a consistent archive of the database and the blob store to `out_path`."""
    out = Path(out_path).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    blob_root = Path(app.config["BLOB_DIR"])
    with tempfile.TemporaryDirectory(prefix=".xuncha-backup-", dir=out.parent) as tmp:
        with app.app_context():
            arcname, facts = _dump_database(app, Path(tmp))
            dialect = db.engine.dialect.name
        part = out.with_name(out.name + ".part")
        blobs: dict[str, int] = {}
        corrupt: list[str] = []
        derived = 0
        with tarfile.open(part, "w:gz", compresslevel=1) as tar:
            # Photos are JPEG already: level 1 spends no time on bytes that will not shrink.
            tar.add(facts["file"], arcname=arcname)
            for rel, path in _blob_files(blob_root):
                m = _ORIGINAL.match(rel)
                if m:
                    digest = _sha256_file(path)
                    if digest != m.group(1):
                        corrupt.append(rel)  # never copy bad bytes under a good name
                        continue
                    blobs[digest] = path.stat().st_size
                else:
                    derived += 1
                tar.add(path, arcname=f"blobs/{rel}")
            manifest = Manifest(
                format=FORMAT, backup_id=str(uuid.uuid4()),
                created_at=datetime.now(UTC).isoformat(), dialect=dialect,
                revision=facts["revision"], tables=facts["tables"], max_seq=facts["max_seq"],
                txid_xmax=facts["txid_xmax"], blobs=blobs, derived=derived,
                referenced=len(facts["referenced"]),
                missing=sorted(facts["referenced"] - set(blobs)), corrupt=corrupt,
                pg_dump_major=facts.get("pg_dump_major"))
            data = json.dumps(asdict(manifest), indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
        with open(part, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(part, out)
    with app.app_context():
        try:
            _mark_backed_up(facts["counters"])
        except SQLAlchemyError as exc:
            # Harmless for the archive; phones only keep their mutations longer.
            raise BackupError(f"The backup is written to {out}, but devices could not be "
                              "told what it holds (they keep their work until the next "
                              f"backup): {str(exc).splitlines()[0][:200]}") from None
    return manifest


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
    return Manifest(**data)


def instance_contents(app: Flask) -> dict[str, int]:
    """What the target already holds: users, sites, stored blobs (0s = empty)."""
    out = {"users": 0, "sites": 0, "blobs": 0}
    url = app.config["DATABASE_URL"]
    fresh_file = url.startswith("sqlite") and not os.path.exists(_sqlite_path(url))
    with app.app_context():
        if fresh_file:  # do not create the file (or fail on its missing folder) just to look
            return out | {"blobs": _count_originals(app)}
        names = set(inspect(db.engine).get_table_names())
        for name in ("users", "sites"):
            if name in names:
                out[name] = db.session.scalar(select(func.count()).select_from(table(name)))
        db.session.remove()
    out["blobs"] = _count_originals(app)
    return out


def _count_originals(app: Flask) -> int:
    return sum(1 for rel, _ in _blob_files(Path(app.config["BLOB_DIR"])) if _ORIGINAL.match(rel))


def restore(app: Flask, archive: str | os.PathLike, *, force: bool = False) -> RestoreReport:
    """Restore an archive into this instance (stop the web workers first)."""
    manifest = read_manifest(archive)
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
        _verify_blobs(work / "blobs", manifest)
        with app.app_context():
            _restore_database(app, work / "database", manifest)
            resumed_at, reset_all = _mark_restore(app, manifest)
        restored = _move_blobs(work / "blobs", blob_root)
    return RestoreReport(manifest=manifest, blobs_restored=restored, resumed_at=resumed_at,
                         reset_all=reset_all)


def _verify_blobs(root: Path, manifest: Manifest) -> None:
    seen = {}
    for rel, path in _blob_files(root):
        m = _ORIGINAL.match(rel)
        if m:
            if _sha256_file(path) != m.group(1):
                raise BackupError(f"The archive is damaged: blob {rel} does not match its name.")
            seen[m.group(1)] = path.stat().st_size
    lost = set(manifest.blobs) - set(seen)
    if lost:
        raise BackupError(f"The archive is damaged: {len(lost)} blobs of the manifest "
                          f"are not in it (e.g. {sorted(lost)[0]}).")


def _restore_database(app: Flask, dump_dir: Path, manifest: Manifest) -> None:
    from flask_migrate import upgrade

    engine = db.engine
    db.session.remove()
    engine.dispose()
    if engine.dialect.name != manifest.dialect:
        raise BackupError(f"The archive holds a {manifest.dialect} database; this instance "
                          f"uses {engine.dialect.name}.")
    url = app.config["DATABASE_URL"]
    if manifest.dialect == "sqlite":
        target = Path(_sqlite_path(url))
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(target.name + ".restoring")
        shutil.copyfile(dump_dir / "xuncha.sqlite3", staged)
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        os.replace(staged, target)
    else:
        with engine.connect() as conn:
            # Chosen before anything is dropped: a missing client refuses with the
            # database untouched.
            client = _client_for(app, conn, at_least=manifest.pg_dump_major or 0)
            # Web workers still connected would hold locks: fail clearly, not hang.
            conn.execute(text("SET lock_timeout = '15s'"))
            try:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            except Exception as exc:
                raise BackupError("Cannot replace the database while others use it; stop "
                                  f"the web workers and the scheduler first ({exc.__class__.__name__}).") from None
            conn.execute(text("CREATE SCHEMA public"))
            conn.commit()
        engine.dispose()
        _run([client.tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", f"--dbname={_libpq_url(url)}",
              str(dump_dir / "xuncha.pgdump")])
    upgrade()  # an archive from an older release comes up to this code's schema
    db.session.remove()
    db.engine.dispose()


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


def _move_blobs(src: Path, dst: Path) -> int:
    moved = 0
    for rel, path in _blob_files(src):
        target = dst / rel
        if target.exists():
            continue  # content-addressed: the same name holds the same bytes
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        moved += 1
    return moved
