import pytest
from sqlalchemy import text

from server import create_app
from server.extensions import db


def test_factory_applies_layers_in_order(tmp_path, monkeypatch):
    monkeypatch.setenv("XUNCHA_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text("BASE_URL = 'http://instance.example/'\nGPS_MAX_DISTANCE_M = 111\n")
    monkeypatch.setenv("XUNCHA_GPS_MAX_DISTANCE_M", "222")
    app = create_app({"SECRET_KEY": "s", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["BASE_URL"] == "http://instance.example"  # instance file, normalised
    assert app.config["GPS_MAX_DISTANCE_M"] == 222  # environment beats the instance file
    assert app.config["TZ"].key == "Asia/Shanghai"
    app2 = create_app({"SECRET_KEY": "s", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
                       "GPS_MAX_DISTANCE_M": 333})
    assert app2.config["GPS_MAX_DISTANCE_M"] == 333  # the test mapping comes last


def test_factory_does_no_database_work(tmp_path, monkeypatch):
    monkeypatch.setenv("XUNCHA_INSTANCE_PATH", str(tmp_path))
    create_app({"SECRET_KEY": "s", "DATABASE_URL": f"sqlite:///{tmp_path}/never.db"})
    assert not (tmp_path / "never.db").exists()


def test_secret_is_made_once_per_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("XUNCHA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("XUNCHA_SECRET_KEY", raising=False)
    a = create_app({"DATABASE_URL": "sqlite://"}).config["SECRET_KEY"]
    b = create_app({"DATABASE_URL": "sqlite://"}).config["SECRET_KEY"]
    assert a == b and len(a) == 64


def test_postgres_urls_use_psycopg3(tmp_path, monkeypatch):
    monkeypatch.setenv("XUNCHA_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SECRET_KEY": "s", "DATABASE_URL": "postgres://u@h/db"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_bad_timezone_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("XUNCHA_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ValueError, match="time zone"):
        create_app({"SECRET_KEY": "s", "TIMEZONE": "Mars/Olympus"})


def test_sqlite_pragmas_and_immediate_writes(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite-only settings")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_sqlite_write_transactions_take_the_lock_up_front(app, tmp_path):
    """A second writer waits for the first (busy timeout) instead of failing mid-way."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite-only settings")
    import sqlite3

    path = app.config["DATABASE_URL"][len("sqlite:///"):]
    with db.engine.connect() as conn:
        conn.begin()  # BEGIN IMMEDIATE: the RESERVED lock is held from here on
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
        conn.rollback()
