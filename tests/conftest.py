"""Shared fixtures: a migrated database per test, the app, a client, users and factories.

SQLite (default): migrations run once into a template file; every test gets a copy.
PostgreSQL (XUNCHA_TEST_DATABASE_URL set): migrations run once into a fresh schema;
every test's rows are truncated afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid

import pytest
from sqlalchemy import create_engine, text

from server.config import normalize_database_url

TEST_DATABASE_URL = os.environ.get("XUNCHA_TEST_DATABASE_URL")
PG = bool(TEST_DATABASE_URL)
BASE_CONFIG = {"TESTING": True, "SECRET_KEY": "test-secret", "BASE_URL": "http://xuncha.test"}


def _make_app(url: str, tmp_path, **extra):
    from server import create_app

    cfg = dict(BASE_CONFIG, DATABASE_URL=url, BLOB_DIR=str(tmp_path / "blobs"))
    cfg.update(extra)
    return create_app(cfg)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Migrate once per session; return the URL (PG) or template file path (SQLite)."""
    from flask_migrate import upgrade

    base = tmp_path_factory.mktemp("template")
    if PG:
        url = normalize_database_url(TEST_DATABASE_URL)
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{base / 'template.db'}"
    app = _make_app(url, base)
    with app.app_context():
        upgrade()
        from server.extensions import db

        db.engine.dispose()
    return url if PG else str(base / "template.db")


@pytest.fixture
def database_url(database_template, tmp_path):
    if PG:
        yield database_template
        _truncate_all(database_template)
    else:
        path = tmp_path / "xuncha.db"
        shutil.copyfile(database_template, path)
        yield f"sqlite:///{path}"


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'")).scalars().all()
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                              + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("XUNCHA_INSTANCE_PATH", str(tmp_path / "instance"))
    app = _make_app(database_url, tmp_path)
    with app.app_context():
        yield app
        from server.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    from server.extensions import db

    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def regions(session):
    """The demo region tree (one city, two counties, three townships, eight villages)."""
    from server.demo import REGIONS
    from server.regions import import_regions

    lines = ["code,name,level,parent_code,lat,lon"] + [",".join(map(str, r)) for r in REGIONS]
    import_regions(session, "\n".join(lines))
    session.commit()
    return {r[0]: r for r in REGIONS}


# Named places of the demo tree, for readable tests.
CITY = "330500"
COUNTY1, COUNTY2 = "330502", "330521"
TOWNSHIP1, TOWNSHIP2, TOWNSHIP3 = "330502101", "330502102", "330521102"
VILLAGE1, VILLAGE2, VILLAGE4 = "330502101201", "330502101202", "330502102201"

_FAST_HASH = None


def _fast_password_hash():
    # One real scrypt hash of "password1" reused by every factory user, so tests stay fast.
    global _FAST_HASH
    if _FAST_HASH is None:
        from server.auth.service import hash_password

        _FAST_HASH = hash_password("password1")
    return _FAST_HASH


@pytest.fixture
def make_user(session, regions):
    from server.models import User

    def make(role="township_inspector", region=TOWNSHIP1, username=None, **overrides):
        user = User(username=username or f"{role[:8]}-{uuid.uuid4().hex[:8]}",
                    name=overrides.pop("name", "测试用户"), role=role, region_code=region,
                    password_hash=_fast_password_hash(), **overrides)
        session.add(user)
        session.commit()
        return user

    return make


@pytest.fixture
def auth(session, make_user):
    """auth(role, region) -> headers with a fresh bearer token; .user/.client_id attached."""
    from server.auth.tokens import new_token, token_hash
    from server.models import AuthToken, Device

    class Headers(dict):
        user = None
        client_id = None
        token = None

    def login_as(role="township_inspector", region=TOWNSHIP1, user=None):
        user = user or make_user(role=role, region=region)
        client_id = uuid.uuid4()
        token = new_token()
        session.add(Device(client_id=client_id, user_id=user.id, name="test phone"))
        session.flush()
        session.add(AuthToken(token_hash=token_hash(token), user_id=user.id,
                              client_id=client_id))
        session.commit()
        headers = Headers(Authorization=f"Bearer {token}")
        headers.user, headers.client_id, headers.token = user, client_id, token
        return headers

    return login_as


@pytest.fixture
def make_site(session, regions):
    from server.sites.service import create_site

    def make(region=VILLAGE1, **overrides):
        data = {"id": uuid.uuid4(), "name": "张记面馆", "kind": "restaurant",
                "region_code": region, "address": "晟舍村中路8号", "lat": 30.842,
                "lon": 120.271, "contact_name": "张先生", "contact_phone": "13800000000",
                "sectors": ["gas", "fire"]}
        data.update(overrides)
        site = create_site(session, None, data)
        session.commit()
        return site

    return make


# --- guards -----------------------------------------------------------------------------

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else None
    if host is not None and host not in ("127.0.0.1", "::1", "localhost") \
            and not str(host).startswith("127."):
        raise RuntimeError(f"test tried to open the network: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Tests talk to loopback only (the local PostgreSQL, our own server processes)."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture(autouse=True)
def _no_scheduler(request, monkeypatch):
    """A test that starts APScheduler must say so with @pytest.mark.scheduler."""
    if request.node.get_closest_marker("scheduler"):
        return
    from apscheduler.schedulers.base import BaseScheduler

    def refuse(*_a, **_k):
        raise RuntimeError("test started a scheduler without @pytest.mark.scheduler")

    monkeypatch.setattr(BaseScheduler, "start", refuse)
