"""`xuncha check` and `xuncha deploy-config`."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import text

from server.ops import check
from server.ops.check import FAIL, OK, WARN
from server.ops.localstack import NGINX
from tests.conftest import PG, _make_app


def _by_name(app) -> dict:
    return {r.name: r for r in check.run_checks(app)}


def test_a_sound_development_instance_passes(app):
    results = _by_name(app)
    assert results["database"].status == OK and "schema at" in results["database"].message
    assert results["workers"].status == OK
    assert results["blob_dir"].status == OK
    # No scheduler in a test: a warning in development, not a failure.
    assert results["scheduler"].status == WARN
    assert not [r for r in results.values() if r.status == FAIL]


@pytest.mark.parametrize("source", ["config", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"])
def test_sqlite_with_several_workers_fails(app, monkeypatch, source):
    if PG:
        pytest.skip("the rule is about SQLite")
    if source == "config":
        app.config["WORKERS"] = 3
    elif source == "WEB_CONCURRENCY":
        monkeypatch.setenv("WEB_CONCURRENCY", "4")
    else:
        monkeypatch.setenv("GUNICORN_CMD_ARGS", "--bind 127.0.0.1:8000 -w 4 --timeout 60")
    result = check.check_workers(app)
    assert result.status == FAIL and "SQLite" in result.message


def test_postgresql_with_several_workers_is_fine(app):
    if not PG:
        pytest.skip("needs PostgreSQL")
    app.config["WORKERS"] = 8
    assert check.check_workers(app).status == OK


def test_production_rules(app):
    app.config.update(ENV="production", SECRET_KEY_FROM_INSTANCE=True,
                      BASE_URL="http://xuncha.example", PROXY_HOPS=0)
    results = _by_name(app)
    assert results["secret"].status == FAIL
    assert results["base_url"].status == FAIL
    assert results["scheduler"].status == FAIL
    assert results["proxy"].status == WARN
    app.config.update(SECRET_KEY_FROM_INSTANCE=False, SECRET_KEY="s" * 64,
                      BASE_URL="https://xuncha.example", SESSION_COOKIE_SECURE=True,
                      PROXY_HOPS=1)
    results = _by_name(app)
    assert {results[n].status for n in ("secret", "base_url", "proxy")} == {OK}


def test_production_secret_from_the_environment(tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("XUNCHA_INSTANCE_PATH", str(tmp_path / "inst"))
    from server import create_app

    app = create_app({"DATABASE_URL": database_url, "BLOB_DIR": str(tmp_path / "b")})
    assert app.config["SECRET_KEY_FROM_INSTANCE"] is True
    monkeypatch.setenv("XUNCHA_SECRET_KEY", "k" * 64)
    app2 = create_app({"DATABASE_URL": database_url, "BLOB_DIR": str(tmp_path / "b")})
    assert app2.config["SECRET_KEY_FROM_INSTANCE"] is False
    for a in (app, app2):
        with a.app_context():
            from server.extensions import db

            db.engine.dispose()


def test_blob_dir_not_writable_fails(app, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app.config["BLOB_DIR"] = str(blocker / "blobs")
    result = check.check_blob_dir(app)
    assert result.status == FAIL and "not writable" in result.message


def test_database_without_schema_or_behind_head_fails(tmp_path):
    empty = _make_app(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)
    try:
        with empty.app_context():
            result = check.check_database(empty)
            assert result.status == FAIL and "db-upgrade" in result.message
            from server.extensions import db

            with db.engine.begin() as conn:
                conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
                conn.execute(text("INSERT INTO alembic_version VALUES ('0002')"))
            result = check.check_database(empty)
            assert result.status == FAIL and "schema at 0002" in result.message
    finally:
        with empty.app_context():
            from server.extensions import db

            db.engine.dispose()


def test_unreachable_database_fails(tmp_path):
    gone = _make_app("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    try:
        with gone.app_context():
            result = check.check_database(gone)
        assert result.status == FAIL and "unreachable" in result.message
    finally:
        with gone.app_context():
            from server.extensions import db

            db.engine.dispose()


def test_scheduler_lock_is_seen(app):
    from server.jobs import SchedulerLock

    assert check.check_scheduler(app).status == WARN
    lock = SchedulerLock(app).acquire()
    try:
        assert check.check_scheduler(app).status == OK
    finally:
        lock.release()
    assert check.check_scheduler(app).status == WARN


def test_cli_exit_status(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "OK    database" in result.output
    app.config.update(ENV="production", BASE_URL="http://x")
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1 and "FAIL  base_url" in result.output


def test_deploy_config_renders_working_files(app, tmp_path):
    out = tmp_path / "deploy"
    result = app.test_cli_runner().invoke(args=[
        "deploy-config", "--out", str(out), "--listen", "127.0.0.1:8080",
        "--bind", "127.0.0.1:8001", "--workers", "4", "--server-name", "xuncha.test"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"gunicorn.conf.py", "nginx-xuncha.conf", "xuncha-web.service",
            "xuncha-scheduler.service", "xuncha.env"} <= names
    nginx = (out / "nginx-xuncha.conf").read_text()
    limit_mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    assert f"client_max_body_size {limit_mb + 1}m;" in nginx
    assert "server 127.0.0.1:8001;" in nginx and "gzip_types application/json" in nginx
    assert "@@" not in "".join(p.read_text() for p in out.iterdir())
    conf: dict = {}
    exec(compile((out / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), conf)
    assert conf["workers"] == 4 and conf["bind"] == "127.0.0.1:8001"
    env = (out / "xuncha.env").read_text()
    assert "XUNCHA_ENV=production" in env and "XUNCHA_PROXY_HOPS=1" in env
    assert "XUNCHA_WORKERS=4" in env
    secret = next(line.split("=", 1)[1] for line in env.splitlines()
                  if line.startswith("XUNCHA_SECRET_KEY="))
    # An explicit secret is kept (cursors and printed QR tags stay valid) ...
    assert secret == app.config["SECRET_KEY"]
    # ... a per-instance one is replaced by a fresh, shareable one.
    from server.deploy.render import values_for

    app.config["SECRET_KEY_FROM_INSTANCE"] = True
    assert len(values_for(app)["secret"]) == 64
    assert oct((out / "xuncha.env").stat().st_mode & 0o777) == "0o600"
    # Backups carry the secret key, encrypted with a key file rendered beside it.
    assert "XUNCHA_BACKUP_KEY_FILE=/etc/xuncha/backup.key" in env
    assert oct((out / "backup.key").stat().st_mode & 0o777) == "0o600"
    assert len((out / "backup.key").read_bytes()) >= 32
    assert "server.deploy.wsgi:app" in (out / "xuncha-web.service").read_text()
    if NGINX:
        main = tmp_path / "nginx.conf"
        main.write_text(f"pid {tmp_path}/n.pid; error_log {tmp_path}/e.log;\n"
                        "events {}\n"
                        f"http {{ client_body_temp_path {tmp_path}/b; "
                        f"proxy_temp_path {tmp_path}/p; include {out}/nginx-xuncha.conf; }}\n")
        proc = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(main),
                               "-e", str(tmp_path / "e.log")], capture_output=True, text=True,
                              check=False, env={**os.environ})
        assert proc.returncode == 0, proc.stderr


def test_postgresql_connection_budget(app):
    if not PG:
        assert check.check_connections(app).status == OK
        return
    assert check.check_connections(app).status == OK
    app.config["WORKERS"] = 500
    result = check.check_connections(app)
    assert result.status == WARN and "max_connections" in result.message
