"""The one place where environment strings become typed settings.

`create_app` loads `Defaults`, then the instance folder's `config.py` if any, then every
`XUNCHA_*` environment variable (Flask parses each value as JSON when it can, so
`XUNCHA_LOGIN_MAX_FAILURES=5` arrives as an int), then the test mapping. `finalize`
checks and normalises what came in.
"""

from __future__ import annotations

import os
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Defaults:
    SECRET_KEY: str | None = None
    DATABASE_URL: str | None = None  # default: SQLite file in the instance folder
    BLOB_DIR: str | None = None  # default: <instance>/blobs
    # A CJK TrueType font for label sheets (XUNCHA_CJK_FONT); None: the first installed
    # of server.evidence.labels.KNOWN_CJK_FONTS (the setup installs fonts-wqy-microhei).
    CJK_FONT: str | None = None
    # The folder of pg_dump/pg_restore for backups (XUNCHA_PG_BINDIR); None: the ones
    # matching the server's major version among /usr/lib/postgresql/<N>/bin and PATH.
    PG_BINDIR: str | None = None
    # A file of at least 32 random bytes (XUNCHA_BACKUP_KEY_FILE): `xuncha backup` puts
    # the secret key into the archive encrypted with it, `xuncha restore` takes it back.
    # Keep a copy off the machine. None: backups carry no secret key.
    BACKUP_KEY_FILE: str | None = None
    # Where the audit chain's head is anchored (XUNCHA_AUDIT_HEAD_FILE); None:
    # <instance>/audit-head.json. Best on storage a database intruder cannot write.
    AUDIT_HEAD_FILE: str | None = None
    BASE_URL = "http://127.0.0.1:5000"
    TIMEZONE = "Asia/Shanghai"

    # Request bodies: blobs may be large photos; JSON bodies are limited separately.
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    MAX_JSON_BYTES = 2 * 1024 * 1024

    SQLITE_BUSY_TIMEOUT_MS = 30_000

    # Login throttle (server.auth.throttle), held in the database so it holds across
    # workers: failures per account within the window before an unknown client has to
    # wait LOGIN_DELAY_BASE_SECONDS × 2^(failures beyond it), at most the window. A
    # client this user logged in from before is never slowed by others' failures.
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_SECONDS = 15 * 60
    LOGIN_DELAY_BASE_SECONDS = 15
    # The same per client address (one address against many accounts). Higher than the
    # account allowance: a township office's staff share one NAT address. 0 turns it off.
    LOGIN_MAX_FAILURES_PER_ADDR = 30
    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto/-Host (nginx in
    # front of gunicorn: 1). 0 trusts no forwarded header, so the limits above count the
    # proxy's address unless this is set.
    PROXY_HOPS = 0
    # How many web worker processes serve this database (gunicorn -w); `xuncha check`
    # refuses SQLite with more than one. WEB_CONCURRENCY is read too.
    WORKERS = 1

    # Plausibility checks on inspections.
    GPS_MAX_DISTANCE_M = 300
    GPS_MAX_ACCURACY_M = 100
    CLOCK_SKEW_MAX_SECONDS = 10 * 60
    # An inspection finished faster than this per answered item is flagged too_fast.
    MIN_SECONDS_PER_ITEM = 2

    # Sync: a push carries at most this many mutations; a pull page at most PULL_MAX.
    PUSH_MAX_MUTATIONS = 100
    # Where writers go one at a time (SQLite), a push of at least this many mutations is
    # worked out before the write lock (sync.push); a smaller one is applied in the write
    # transaction its token check begins, which reads less.
    PUSH_PLAN_MIN_MUTATIONS = 5
    PULL_DEFAULT_LIMIT = 500
    PULL_MAX_LIMIT = 1000

    # Hazard register.
    DEFAULT_DEADLINE_DAYS = 7
    ESCALATION_DAYS = 180
    FOLLOW_UP_DAYS = 30
    MAJOR_DEADLINE_DAYS = 30  # a reported major hazard's deadline until its plan sets one
    SECTOR_DEADLINE_DAYS: dict = {}  # general hazards per sector, e.g. {"gas": 3}; else 7
    NIGHTLY_AT = "01:30"  # local time of the scheduler's nightly jobs
    # Signals of shallow inspection (统计预警): a child region with at least this many
    # hazards and no major one; a region whose hazards per inspection in a sector are
    # below this share of its peers' median (each with at least this many inspections).
    SIGNAL_MIN_HAZARDS = 20
    SIGNAL_MIN_INSPECTIONS = 10
    SIGNAL_LOW_RATIO = 0.3

    # Checklists (forms.deployment): the regional variants this deployment publishes, a
    # comma-separated list or JSON list ("south"); unset publishes every variant. And
    # the names of the local documents some items rest on, a JSON object of key -> name
    # (keys: forms/local_bases.toml), e.g. {"self_built": "湖州市……导则"}.
    CHECKLIST_VARIANTS: str | list | None = None
    LOCAL_DOCUMENTS: dict = {}

    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # The review console's cookie session. Production behind HTTPS sets
    # XUNCHA_SESSION_COOKIE_SECURE=true (`xuncha check` should say so).
    SESSION_COOKIE_NAME = "xuncha_console"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 8 * 60 * 60  # one working day
    # The dashboard reads the hazard rollup while it is at most this old (a scheduled
    # `server.register.dashboard.refresh_rollup`), else aggregates the register live.
    DASHBOARD_ROLLUP_MAX_AGE_SECONDS = 900
    JSON_SORT_KEYS = False


def finalize(config: dict, instance_path: str) -> None:
    """Fill derived defaults and turn strings into the types the app uses."""
    url = config.get("DATABASE_URL") or "sqlite:///" + os.path.join(instance_path, "xuncha.db")
    config["DATABASE_URL"] = normalize_database_url(url)
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    config["BLOB_DIR"] = config.get("BLOB_DIR") or os.path.join(instance_path, "blobs")
    config["BASE_URL"] = str(config["BASE_URL"]).rstrip("/")
    try:
        config["TZ"] = ZoneInfo(config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"XUNCHA_TIMEZONE: unknown time zone {config['TIMEZONE']!r}") from exc
    for key in ("LOGIN_MAX_FAILURES_PER_ADDR", "PROXY_HOPS", "WORKERS"):
        config[key] = int(config.get(key) or 0)
    for key in ("LOGIN_MAX_FAILURES", "LOGIN_WINDOW_SECONDS", "LOGIN_DELAY_BASE_SECONDS",
                "SQLITE_BUSY_TIMEOUT_MS",
                "MAX_CONTENT_LENGTH", "MAX_JSON_BYTES", "GPS_MAX_DISTANCE_M",
                "DEFAULT_DEADLINE_DAYS", "ESCALATION_DAYS", "FOLLOW_UP_DAYS"):
        config[key] = int(config[key])
    config["LOGIN_WINDOW"] = timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    _finalize_register(config)
    _finalize_checklists(config)
    # `xuncha check` fails production on a per-instance secret: workers on two machines
    # would each make their own.
    config["SECRET_KEY_FROM_INSTANCE"] = not config.get("SECRET_KEY")
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(instance_path)


def _finalize_register(config: dict) -> None:
    """The hazard register's settings (deadlines, scheduler time, signals)."""
    for key in ("MAJOR_DEADLINE_DAYS", "SIGNAL_MIN_HAZARDS", "SIGNAL_MIN_INSPECTIONS"):
        config[key] = int(config[key])
    config["SIGNAL_LOW_RATIO"] = float(config["SIGNAL_LOW_RATIO"])
    sectors = config.get("SECTOR_DEADLINE_DAYS") or {}
    if not isinstance(sectors, dict):
        raise ValueError("XUNCHA_SECTOR_DEADLINE_DAYS: a JSON object of sector -> days")
    config["SECTOR_DEADLINE_DAYS"] = {str(k): int(v) for k, v in sectors.items()}
    hour, _, minute = str(config["NIGHTLY_AT"]).partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ValueError(f"XUNCHA_NIGHTLY_AT: not a time HH:MM: {config['NIGHTLY_AT']!r}")


def _finalize_checklists(config: dict) -> None:
    variants = config.get("CHECKLIST_VARIANTS")
    if isinstance(variants, str):
        variants = [v for v in variants.split(",") if v.strip()]
    if variants is not None and not (isinstance(variants, list)
                                     and all(isinstance(v, str) for v in variants)):
        raise ValueError("XUNCHA_CHECKLIST_VARIANTS: variant names, e.g. south or [\"south\"]")
    config["CHECKLIST_VARIANTS"] = [v.strip() for v in variants] if variants else None
    names = config.get("LOCAL_DOCUMENTS") or {}
    if not isinstance(names, dict):
        raise ValueError("XUNCHA_LOCAL_DOCUMENTS: a JSON object of local document key -> name")
    config["LOCAL_DOCUMENTS"] = {str(k): str(v) for k, v in names.items()}


def normalize_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and pick psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret(instance_path: str) -> str:
    """A per-instance secret kept in the instance folder, made on first use.

    Production sets XUNCHA_SECRET_KEY (and `xuncha check` says so); the embedded default
    should still never run with a secret that is the same on every machine.
    """
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    except FileNotFoundError:
        pass
    os.makedirs(instance_path, exist_ok=True)
    secret = os.urandom(32).hex()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret)
    return secret
