"""A real server process (gunicorn) for the sync tests, and a tiny JSON HTTP client."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """gunicorn serving the production entry (`server.deploy.wsgi:app`) on a loopback
    port against the test database.

    `--preload` builds the app once in the master, so a worker killed with SIGKILL is
    replaced by a fork in milliseconds; `kill_all` kills master and workers together.
    """

    def __init__(self, database_url: str, instance: Path, workers: int = 1,
                 secret: str = "test-secret"):
        self.database_url, self.instance, self.workers = database_url, instance, workers
        self.secret = secret
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = instance / "gunicorn.log"

    @property
    def host(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def start(self, timeout: float = 60) -> None:
        self.instance.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, XUNCHA_DATABASE_URL=self.database_url,
                   XUNCHA_SECRET_KEY=self.secret, XUNCHA_INSTANCE_PATH=str(self.instance),
                   XUNCHA_BLOB_DIR=str(self.instance / "blobs"), PYTHONPATH=str(ROOT))
        env.pop("XUNCHA_TEST_DATABASE_URL", None)
        self._log_fh = open(self.log, "ab")  # noqa: SIM115  (closed in stop())
        self.proc = subprocess.Popen(
            [str(GUNICORN), "--preload", "-w", str(self.workers), "-b",
             f"127.0.0.1:{self.port}", "--graceful-timeout", "1", "--timeout", "60",
             "--control-socket", str(self.instance / "gunicorn.ctl"),
             "server.deploy.wsgi:app"],
            cwd=ROOT, env=env, stdout=self._log_fh, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                status, _, _ = request(self.host, "GET", "/api/v1/health", timeout=2)
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not start")

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except FileNotFoundError:
            return []
        return [int(p) for p in text.split()]

    def kill_worker(self) -> None:
        for pid in self.worker_pids():
            with contextlib.suppress(ProcessLookupError):  # it may be exiting already
                os.kill(pid, signal.SIGKILL)

    def kill_all(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if getattr(self, "_log_fh", None) is not None:
            self._log_fh.close()
            self._log_fh = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill_all()
        if getattr(self, "_log_fh", None) is not None:
            self._log_fh.close()


def request(host, method: str, path: str, body=None, headers=None, timeout: float = 30):
    conn = http.client.HTTPConnection(*host, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        hdrs = dict(headers or {})
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        parsed = json.loads(raw) if raw and resp.getheader("Content-Type", "").startswith(
            "application/json") else raw
        return resp.status, dict(resp.getheaders()), parsed
    finally:
        conn.close()
