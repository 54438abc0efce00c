"""The database half of a backup: a consistent snapshot, its facts, and putting it back.

SQLite is copied through its online backup API (readers and writers carry on; the copy is
one consistent moment); PostgreSQL with `pg_dump --snapshot` on a snapshot exported by
our own REPEATABLE READ transaction, so the facts recorded (row counts, referenced blobs,
change-log height, the audit chain's head) describe exactly what was dumped. Restoring
replaces the database (`pg_restore` into a clean schema, or the SQLite file) and migrates
it to the code's head.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from flask import Flask
from sqlalchemy import JSON, String, create_engine, func, inspect, select, text
from sqlalchemy.engine import Connection, make_url

from server.extensions import db
from server.models import Device
from server.ops import pgtools

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class BackupError(Exception):
    """Backup or restore cannot go on; the message says why."""


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
    head = None
    if "audit_log" in names:
        row = conn.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                           ).first()
        head = {"seq": int(row[0]), "hash": row[1]} if row else {"seq": 0, "hash": None}
    return {"tables": tables, "revision": schema_revision(conn), "max_seq": int(max_seq),
            "referenced": _referenced_blobs(conn, names), "counters": counters,
            "audit_head": head}


def sqlite_path(url: str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return os.path.abspath(database)


def _libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq (pg_dump, pg_restore) reads it."""
    u = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


def dump_database(app: Flask, workdir: Path) -> tuple[str, dict]:
    url = app.config["DATABASE_URL"]
    engine = db.engine
    if engine.dialect.name == "sqlite":
        target = workdir / "xuncha.sqlite3"
        src = sqlite3.connect(sqlite_path(url),
                              timeout=app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
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


def restore_database(app: Flask, dump_dir: Path, dialect: str,
                     pg_dump_major: int | None) -> None:
    """Replace this instance's database with the archived one, migrated to the head."""
    from flask_migrate import upgrade

    engine = db.engine
    db.session.remove()
    engine.dispose()
    if engine.dialect.name != dialect:
        raise BackupError(f"The archive holds a {dialect} database; this instance "
                          f"uses {engine.dialect.name}.")
    url = app.config["DATABASE_URL"]
    if dialect == "sqlite":
        target = Path(sqlite_path(url))
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
            client = _client_for(app, conn, at_least=pg_dump_major or 0)
            # Web workers still connected would hold locks: fail clearly, not hang.
            conn.execute(text("SET lock_timeout = '15s'"))
            try:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            except Exception as exc:
                raise BackupError("Cannot replace the database while others use it; stop the "
                                  "web workers and the scheduler first "
                                  f"({exc.__class__.__name__}).") from None
            conn.execute(text("CREATE SCHEMA public"))
            conn.commit()
        engine.dispose()
        _run([client.tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", f"--dbname={_libpq_url(url)}",
              str(dump_dir / "xuncha.pgdump")])
    upgrade()  # an archive from an older release comes up to this code's schema
    db.session.remove()
    db.engine.dispose()
