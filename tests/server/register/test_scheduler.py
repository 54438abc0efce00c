"""Only one scheduler runs: PostgreSQL advisory lock, or a lock file with SQLite."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from server.jobs import SchedulerLock, SchedulerLocked

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
XUNCHA = [sys.executable, "-c", "from server.__main__ import main; main()", "scheduler"]


def test_the_lock_is_exclusive_and_released(app):
    first = SchedulerLock(app).acquire()
    with pytest.raises(SchedulerLocked):
        SchedulerLock(app).acquire()
    first.release()
    SchedulerLock(app).acquire().release()


@pytest.mark.scheduler
@pytest.mark.slow
def test_two_scheduler_processes_cannot_both_run(database_url, tmp_path):
    env = dict(os.environ, XUNCHA_DATABASE_URL=database_url, XUNCHA_SECRET_KEY="test",
               XUNCHA_INSTANCE_PATH=str(tmp_path / "instance"))
    first = subprocess.Popen(XUNCHA, env=env, cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        line = first.stdout.readline()
        assert "scheduler started" in line, line or first.stderr.read()
        second = subprocess.run(XUNCHA, env=env, cwd=REPO, capture_output=True, text=True,
                                timeout=60)
        assert second.returncode == 1
        assert "scheduler not started" in second.stderr
        assert first.poll() is None  # the first one is still running
    finally:
        first.terminate()
        first.wait(30)
        first.stdout.close()
        first.stderr.close()
    # Once the first is gone, the lock is free again.
    once = subprocess.run([*XUNCHA, "--once"], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert once.returncode == 0, once.stderr
    assert "nightly: {" in once.stdout and "weekly_bulletin: 0" in once.stdout
