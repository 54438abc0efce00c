"""Browser tests: a real server process and the system Chromium driven by Playwright.

The server is `xuncha run` on a free loopback port with its own instance folder (blob
store, secret) and its own database, migrated with `xuncha db-upgrade` and seeded with
`xuncha demo` — the same commands a township office runs. The database is a SQLite file in
the instance folder, or, in the PostgreSQL pass (XUNCHA_TEST_DATABASE_URL set), a database
of its own next to the suite's (`<test database>_e2e`, `_e2e2`, …: made fresh for each
server and dropped when it stops), so the field app runs on PostgreSQL too and never meets
the suite's truncation. http://127.0.0.1 is a secure context, so
service workers, SubtleCrypto and storage persistence work as on a phone over HTTPS.

Tests skip with a message when Chromium is missing (`bash .ci/system-deps.sh` installs it).
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.config import normalize_database_url

CHROMIUM = os.environ.get("XUNCHA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
XUNCHA = str(Path(sys.executable).with_name("xuncha"))
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN",
         "timezone_id": "Asia/Shanghai"}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_PG_NAMES = itertools.count(1)


class PgDatabase:
    """A PostgreSQL database of the server's own, beside the suite's test database."""

    def __init__(self, test_url: str):
        base = make_url(normalize_database_url(test_url))
        n = next(_PG_NAMES)
        self.name = f"{base.database}_e2e{n if n > 1 else ''}"
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        self._admin_url = base.render_as_string(hide_password=False)
        self._admin("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", "CREATE DATABASE \"{}\"")

    def _admin(self, *statements: str) -> None:
        engine = create_engine(self._admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                for statement in statements:
                    conn.execute(text(statement.format(self.name)))
        finally:
            engine.dispose()

    def drop(self) -> None:
        self._admin("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)")


class LiveServer:
    """A `xuncha run` process; `url`, `instance`, `env`, and `xuncha(...)` for commands."""

    def __init__(self, instance: Path, **extra_env: str):
        self.instance = instance
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        test_url = os.environ.get("XUNCHA_TEST_DATABASE_URL")
        # Never the suite's own PG database: its fixtures truncate it after every test.
        self.database = PgDatabase(test_url) if test_url else None
        self.env = {**os.environ, "XUNCHA_INSTANCE_PATH": str(instance),
                    "XUNCHA_BASE_URL": self.url, "XUNCHA_SECRET_KEY": "e2e-secret",
                    "XUNCHA_DATABASE_URL": self.database.url if self.database
                    else f"sqlite:///{instance / 'xuncha.db'}",
                    "PYTHONUNBUFFERED": "1",
                    # The repo first: an editable install made before a package existed
                    # does not map it.
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                                os.environ.get("PYTHONPATH")]))}
        self.env.pop("XUNCHA_TEST_DATABASE_URL", None)
        self.env.update(extra_env)
        self.process: subprocess.Popen | None = None
        self.log = instance / "server.log"

    def xuncha(self, *args: str) -> str:
        done = subprocess.run([XUNCHA, *args], env=self.env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"xuncha {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self) -> None:
        self.xuncha("db-upgrade")
        self.xuncha("demo", "--empty")
        self.serve()

    def serve(self) -> None:
        """Start the process on the database as it is (after `stop_process`, a restore)."""
        self.instance.mkdir(parents=True, exist_ok=True)
        self._log_fh = open(self.log, "a")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [XUNCHA, "run", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=self._log_fh, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/app/", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise RuntimeError(f"server did not start:\n{self.log.read_text()}")

    def stop_process(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "_log_fh", None):
            self._log_fh.close()

    def stop(self) -> None:
        self.stop_process()
        if self.database:
            self.database.drop()


@pytest.fixture(scope="session")
def chromium_path():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found: run `bash .ci/system-deps.sh` as root to install "
                    "Chromium for the browser tests")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, chromium_path):
    server = LiveServer(tmp_path_factory.mktemp("e2e-instance"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_phone(browser, live_server):
    """new_phone() → a fresh browser context sized like a 360×740 phone (own storage)."""
    contexts = []

    def make(**overrides):
        # bypass_csp: Playwright's waiting helpers evaluate strings, which the app's CSP
        # (script-src 'self') rightly forbids; tests/server/test_pwa.py checks the header.
        context = browser.new_context(base_url=live_server.url, bypass_csp=True,
                                      service_workers="allow", **{**PHONE, **overrides})
        context.grant_permissions(["geolocation"], origin=live_server.url)
        context.set_geolocation({"latitude": 30.8385, "longitude": 120.2655, "accuracy": 12})
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def artifacts():
    """Folder for screenshots (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

