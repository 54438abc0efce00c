"""The production stack on this machine, for the stack test and the load benchmark.

nginx (Debian's, run as this user with its own prefix and a free loopback port, no
daemon) → gunicorn workers (`server.deploy.wsgi:app`, rendered gunicorn.conf.py) →
PostgreSQL (a database of its own, wiped first) or SQLite with one worker; one
`xuncha scheduler`. Every file comes from `xuncha deploy-config`, so the test exercises
what production installs. Starts only the processes it owns and stops them by pid.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from server.config import normalize_database_url

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack_database(base_url: str | None, suffix: str = "_stack") -> str | None:
    """A database of the stack's own next to `base_url` (PostgreSQL), wiped first."""
    if not base_url:
        return None
    base = normalize_database_url(base_url)
    name = base.rsplit("/", 1)[1] + suffix
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
    return url


class Stack:
    def __init__(self, root: Path, pg_url: str | None = None, workers: int | None = None,
                 db_suffix: str = "_stack", blob_dir: Path | None = None):
        self.root = Path(root)
        root = self.root
        self.procs: dict[str, subprocess.Popen] = {}
        self.port = free_port()
        self.app_port = free_port()
        # SQLite serializes writers in one file: one worker, as `xuncha check` insists.
        self.workers = workers or (3 if pg_url else 1)
        db_url = stack_database(pg_url, db_suffix) or f"sqlite:///{root / 'instance' / 'xuncha.db'}"
        self.db_url = db_url
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
        self.env.update({
            "XUNCHA_DATABASE_URL": db_url,
            "XUNCHA_INSTANCE_PATH": str(root / "instance"),
            "XUNCHA_BLOB_DIR": str(blob_dir or root / "blobs"),
            "XUNCHA_SECRET_KEY": uuid.uuid4().hex * 2,
            "XUNCHA_BASE_URL": f"http://127.0.0.1:{self.port}",
            "XUNCHA_PROXY_HOPS": "1",
            "XUNCHA_WORKERS": str(self.workers),
            "PYTHONUNBUFFERED": "1",
        })

    def xuncha(self, *args, check=True) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "xuncha"), *args], cwd=REPO, env=self.env,
                              capture_output=True, text=True, check=check, timeout=120)

    def spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.root / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.procs[name] = subprocess.Popen(argv, cwd=REPO, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name].log = log

    def start(self) -> None:
        self.xuncha("db-upgrade")
        self.xuncha("demo")
        conf = self.root / "conf"
        self.xuncha("deploy-config", "--out", str(conf), "--listen", f"127.0.0.1:{self.port}",
                    "--bind", f"127.0.0.1:{self.app_port}", "--workers", str(self.workers))
        self.spawn("gunicorn", [str(BIN / "gunicorn"), "-c", str(conf / "gunicorn.conf.py"),
                                "server.deploy.wsgi:app"])
        self.spawn("scheduler", [str(BIN / "xuncha"), "scheduler"])
        prefix = self.root / "nginx"
        prefix.mkdir()
        user = "user root root;\n" if os.geteuid() == 0 else ""
        (prefix / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\n"
            f"error_log {prefix}/error.log warn;\nevents {{ worker_connections 4096; }}\n"
            f"http {{\n  access_log {prefix}/access.log;\n"
            f"  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n"
            f"  fastcgi_temp_path {prefix}/fastcgi;\n  uwsgi_temp_path {prefix}/uwsgi;\n"
            f"  scgi_temp_path {prefix}/scgi;\n  default_type application/octet-stream;\n"
            f"  include {conf / 'nginx-xuncha.conf'};\n}}\n")
        self.spawn("nginx", [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                             "-e", str(prefix / "error.log")])
        self.wait_ready()

    def wait_ready(self, timeout=60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise AssertionError(f"{name} exited: {self.log(name)}")
            try:
                status, _, _ = self.request("GET", "/api/v1/health")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError("stack not ready: " + self.log("gunicorn") + self.log("nginx"))

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def request(self, method, path, body=None, headers=None, raw=False):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = body if raw or body is None else json.dumps(body).encode()
            hdrs = {"Content-Type": "application/json"} if body is not None and not raw else {}
            hdrs.update(headers or {})
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
            if resp.getheader("Content-Encoding") == "gzip":
                payload = gzip.decompress(payload)
            parsed = json.loads(payload) if payload and "json" in (
                resp.getheader("Content-Type") or "") else payload
            return resp.status, dict(resp.getheaders()), parsed
        finally:
            conn.close()

    def stop(self) -> None:
        for name in ("nginx", "gunicorn", "scheduler"):
            proc = self.procs.get(name)
            if proc is None:
                continue
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            proc.log.close()


class PrivatePostgres:
    """A throwaway PostgreSQL cluster of our own (initdb in a temp folder, a free loopback
    port), so a chaos run can restart *its* database without touching anyone else's."""

    def __init__(self, root: Path | None = None):
        # Its own folder straight under the temp dir: the postgres account must reach it,
        # and pytest's and tempfile's folders are private to this user.
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="xuncha-pg-"))
        self.data = self.root / "pgdata"
        self.port = free_port()
        self.bindir = _pg_bindir()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self, argv: list[str]) -> list[str]:
        # initdb refuses to run as root: run the cluster as the postgres account then.
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *argv]
        return argv

    def pg_ctl(self, *args: str) -> None:
        # The server's output goes to its log file (-l), never to a pipe of ours: the
        # postmaster outlives pg_ctl and would hold the pipe open.
        subprocess.run(self._as_owner([str(self.bindir / "pg_ctl"), "-D", str(self.data),
                                       "-w", "-t", "60", "-l", str(self.root / "pg.log"),
                                       *args]),
                       check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=90)

    def start(self) -> PrivatePostgres:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        made = subprocess.run(self._as_owner([
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--no-sync"]), capture_output=True, text=True,
            timeout=120, check=False)
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stderr.strip()[-500:]}")
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
                "-c fsync=off -c max_connections=200")
        self.pg_ctl("-o", opts, "start")
        return self

    def restart(self) -> None:
        self.pg_ctl("-m", "fast", "restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.pg_ctl("-m", "fast", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _pg_bindir() -> Path:
    # Debian keeps the server tools per major version; PATH may hold only wrappers.
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries not found (Debian: postgresql)")
