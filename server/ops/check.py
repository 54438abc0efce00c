"""`xuncha check`: what is wrong with this installation, before it bites in the field.

Each check returns OK, WARN (works, but not how production should run) or FAIL (will lose
or refuse work: the command exits non-zero). Production is `XUNCHA_ENV=production`.
"""

from __future__ import annotations

import fcntl
import os
import re
import shlex
import tempfile
from dataclasses import dataclass

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import text

from server.extensions import db

OK, WARN, FAIL = "OK", "WARN", "FAIL"


@dataclass(frozen=True)
class Result:
    name: str
    status: str
    message: str


def is_production(config) -> bool:
    return str(config.get("ENV") or "").lower() == "production"


def configured_workers(config, environ=os.environ) -> int:
    """The web worker count as configured anywhere we can see it."""
    counts = [int(config.get("WORKERS") or 1)]
    if str(environ.get("WEB_CONCURRENCY", "")).strip().isdigit():
        counts.append(int(environ["WEB_CONCURRENCY"]))
    args = shlex.split(environ.get("GUNICORN_CMD_ARGS", ""))
    for i, arg in enumerate(args):
        m = re.fullmatch(r"(?:-w|--workers)(?:=?(\d+))?", arg)
        if m:
            value = m.group(1) or (args[i + 1] if i + 1 < len(args) else "")
            if str(value).isdigit():
                counts.append(int(value))
    return max(counts)


def check_workers(app: Flask, environ=os.environ) -> Result:
    workers = configured_workers(app.config, environ)
    sqlite = app.config["DATABASE_URL"].startswith("sqlite")
    if sqlite and workers > 1:
        return Result("workers", FAIL,
                      f"SQLite with {workers} web workers: use PostgreSQL "
                      "(XUNCHA_DATABASE_URL) or one worker.")
    if sqlite and is_production(app.config):
        return Result("workers", WARN, "Production on SQLite: fine for one township "
                                       "server, a city needs PostgreSQL.")
    return Result("workers", OK, f"{workers} worker(s) on {'SQLite' if sqlite else 'PostgreSQL'}")


def check_secret(app: Flask) -> Result:
    from_instance = app.config.get("SECRET_KEY_FROM_INSTANCE", False)
    secret = str(app.config.get("SECRET_KEY") or "")
    if is_production(app.config) and from_instance:
        return Result("secret", FAIL, "XUNCHA_SECRET_KEY is not set: every worker and "
                                      "server must share one secret (cursors, QR tags).")
    if len(secret) < 32:
        return Result("secret", WARN if not is_production(app.config) else FAIL,
                      "The secret key is shorter than 32 characters.")
    return Result("secret", OK, "set" if not from_instance else
                  "made for this instance (set XUNCHA_SECRET_KEY in production)")


def check_base_url(app: Flask) -> Result:
    url = app.config["BASE_URL"]
    if is_production(app.config) and not url.startswith("https://"):
        return Result("base_url", FAIL, f"BASE_URL {url} is not https: QR tags and the "
                                        "field app need https in production.")
    if is_production(app.config) and not app.config.get("SESSION_COOKIE_SECURE"):
        return Result("base_url", WARN, "Set XUNCHA_SESSION_COOKIE_SECURE=true behind https.")
    return Result("base_url", OK, url)


def check_blob_dir(app: Flask) -> Result:
    path = app.config["BLOB_DIR"]
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".check-") as fh:
            fh.write(b"xuncha")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        return Result("blob_dir", FAIL, f"{path} is not writable: {exc.strerror or exc}")
    st = os.statvfs(path)
    free_mb = st.f_bavail * st.f_frsize // (1024 * 1024)
    if free_mb < 1024:
        return Result("blob_dir", WARN, f"{path}: only {free_mb} MB free")
    return Result("blob_dir", OK, f"{path} writable, {free_mb} MB free")


def check_database(app: Flask) -> Result:
    cfg = Config()
    cfg.set_main_option("script_location", app.extensions["migrate"].directory)
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            from server.ops.snapshot import schema_revision

            current = schema_revision(conn)
    except Exception as exc:  # any driver error means the same thing here
        return Result("database", FAIL, f"unreachable: {str(exc).splitlines()[0][:200]}")
    if current is None:
        return Result("database", FAIL, "no schema: run `xuncha db-upgrade`")
    if current not in heads:
        return Result("database", FAIL, f"schema at {current}, code expects "
                                        f"{', '.join(sorted(heads))}: run `xuncha db-upgrade`")
    return Result("database", OK, f"{db.engine.dialect.name}, schema at {current}")


def scheduler_running(app: Flask) -> bool | None:
    """Whether a `xuncha scheduler` process holds its lock (None: cannot tell)."""
    from server.jobs import SCHEDULER_LOCK_KEY

    engine = db.engine
    if engine.dialect.name == "postgresql":
        # A bigint advisory key shows in pg_locks as (classid, objid) = (high, low) words.
        with engine.connect() as conn:
            held = conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid = :hi AND objid = :lo AND objsubid = 1 AND granted"),
                {"hi": SCHEDULER_LOCK_KEY >> 32, "lo": SCHEDULER_LOCK_KEY & 0xFFFFFFFF}).scalar()
        return bool(held)
    path = os.path.join(app.instance_path, "scheduler.lock")
    if not os.path.exists(path):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        # Taking the lock for an instant tells whether someone holds it; a shared lock
        # never blocks a scheduler already running, and is released at once.
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def check_scheduler(app: Flask) -> Result:
    try:
        running = scheduler_running(app)
    except Exception as exc:
        return Result("scheduler", WARN, f"cannot tell: {str(exc).splitlines()[0][:200]}")
    if running:
        return Result("scheduler", OK, "one `xuncha scheduler` process holds the lock")
    status = FAIL if is_production(app.config) else WARN
    return Result("scheduler", status, "no `xuncha scheduler` running: no overdue reminders, "
                                       "escalations or bulletins")


def check_proxy(app: Flask) -> Result:
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if is_production(app.config) and hops == 0:
        return Result("proxy", WARN, "XUNCHA_PROXY_HOPS=0: behind nginx set 1, or every "
                                     "client counts as nginx's address for login limits")
    return Result("proxy", OK, f"{hops} trusted proxy hop(s)")


def check_connections(app: Flask) -> Result:
    """Enough PostgreSQL connections for every worker's pool at its fullest."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return Result("connections", OK, "embedded database")
    pool = engine.pool
    per_worker = pool.size() + max(getattr(pool, "_max_overflow", 0), 0)
    workers = configured_workers(app.config)
    # Web workers' pools, the scheduler's pool and its lock connection, one for backups.
    needed = workers * per_worker + per_worker + 2
    try:
        with engine.connect() as conn:
            limit = int(conn.execute(text("SHOW max_connections")).scalar())
            reserved = int(conn.execute(text("SHOW superuser_reserved_connections")).scalar())
    except Exception as exc:
        return Result("connections", WARN, f"cannot tell: {str(exc).splitlines()[0][:200]}")
    if needed > limit - reserved:
        return Result("connections", WARN,
                      f"{workers} workers x {per_worker} pooled connections (+ scheduler) may "
                      f"need {needed}, PostgreSQL allows {limit - reserved}: raise "
                      "max_connections or use fewer workers")
    return Result("connections", OK, f"up to {needed} of {limit - reserved} connections")


def check_backup_tools(app: Flask) -> Result:
    """pg_dump/pg_restore that can work with this server, for `xuncha backup`/`restore`."""
    from server.ops import pgtools

    engine = db.engine
    if engine.dialect.name != "postgresql":
        return Result("backup", OK, "SQLite: backups use its online backup API")
    try:
        with engine.connect() as conn:
            client = pgtools.for_server(conn, app.config.get("PG_BINDIR"))
            server = pgtools.server_major(conn)
    except pgtools.ToolError as exc:
        # Backups would fail every night: that loses work as surely as a bad config.
        return Result("backup", FAIL, str(exc))
    except Exception as exc:
        return Result("backup", WARN, f"cannot tell: {str(exc).splitlines()[0][:200]}")
    note = "" if client.major == server else \
        f" (no client {server} installed; {client.major} can dump and restore it)"
    return Result("backup", OK, f"server PostgreSQL {server}: pg_dump/pg_restore "
                                f"{client.version} in {client.bindir}{note}")


# --- the keys: do the tags in the field still verify, and do backups carry the secret
# key that signs them?

def check_signing_key(app: Flask) -> Result:
    from server.evidence.keys import foreign_tags, key_id

    secret = app.config["SECRET_KEY"]
    try:
        others, unverified = foreign_tags(db.session, secret)
    except Exception as exc:  # no schema yet: the database check says so
        return Result("tags", WARN, f"cannot tell: {str(exc).splitlines()[0][:200]}")
    if others:
        return Result("tags", FAIL,
                      f"QR tags were printed with {len(others)} other secret key(s) "
                      f"({', '.join(others)}); they fail verification with the current key "
                      f"({key_id(secret)}): restore the key from the backup (`xuncha restore "
                      "--key-file …`, or set XUNCHA_SECRET_KEY to it) or reprint every tag")
    if unverified:
        return Result("tags", FAIL,
                      f"{unverified} recently verified QR scans do not verify with the current "
                      f"secret key ({key_id(secret)}): the tags in the field were signed with "
                      "another key; restore it from the backup or reprint the tags")
    return Result("tags", OK, f"QR tags verify with the current key ({key_id(secret)})")


def check_backup_key(app: Flask) -> Result:
    from server.ops.keyfile import from_config
    from server.ops.snapshot import BackupError

    if not app.config.get("BACKUP_KEY_FILE"):
        status = WARN if is_production(app.config) else OK
        return Result("backup_key", status,
                      "XUNCHA_BACKUP_KEY_FILE is not set: daily backups hold no secret key, "
                      "and a restore onto a new machine breaks every printed QR tag")
    try:
        key = from_config(app.config)
    except BackupError as exc:
        return Result("backup_key", FAIL, str(exc))
    return Result("backup_key", OK, f"backups carry the secret key, encrypted with {key.source}")


def check_published_checklists(app: Flask) -> Result:
    from server.checklists.catalogue import shadowed

    try:
        rows = shadowed(db.session)
    except Exception as exc:  # no schema yet: the database check says so
        return Result("checklists", WARN, f"cannot tell: {str(exc).splitlines()[0][:200]}")
    if rows:
        names = ", ".join(f"{r.code} v{r.version}" for r in rows)
        return Result("checklists", FAIL,
                      f"repository files take the numbers of versions published from the console "
                      f"({names}): renumber the files above the highest published version")
    return Result("checklists", OK, "published checklist versions and repository files agree")


CHECKS = (check_database, check_connections, check_workers, check_secret, check_base_url, check_blob_dir,
          check_scheduler, check_proxy, check_backup_tools, check_published_checklists)


def run_checks(app: Flask) -> list[Result]:
    with app.app_context():
        try:
            return [check(app) for check in (*CHECKS, check_signing_key, check_backup_key)]
        finally:
            db.session.remove()
