"""Shared set-up for the sync benchmarks: a migrated database, a user, a server process.

Not a benchmark itself (the leading underscore keeps it out of `python -m bench`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from server.config import normalize_database_url

PG_URL = os.environ.get("XUNCHA_BENCH_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/syncbench")


def fresh_database(kind: str, workdir: Path) -> str | None:
    """A URL to an empty, migrated database ('sqlite' or 'pg'); None if PG is unreachable."""
    from flask_migrate import upgrade


    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        url = normalize_database_url(PG_URL)
        name = url.rsplit("/", 1)[1]
        admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # noqa: BLE001 - report and skip PostgreSQL
            print(f"(PostgreSQL unavailable: {exc.__class__.__name__}; skipped)")
            return None
        finally:
            admin.dispose()
    app = make_app(url, workdir)
    with app.app_context():
        upgrade()
        from server.extensions import db

        db.engine.dispose()
    return url


def make_app(url: str, workdir: Path):
    from server import create_app

    os.environ["XUNCHA_INSTANCE_PATH"] = str(workdir / "instance")
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret",
                       "BLOB_DIR": str(workdir / "blobs")})


def seed_user(app, region: str = "330502101", n_devices: int = 1):
    """The demo regions, one inspector and `n_devices` logged-in devices → [(headers, client_id)]."""
    from server.auth.tokens import new_token, token_hash
    from server.demo import REGIONS
    from server.extensions import db
    from server.models import AuthToken, Device, User
    from server.regions import import_regions

    with app.app_context():
        session = db.session
        lines = ["code,name,level,parent_code,lat,lon"] + [",".join(map(str, r)) for r in REGIONS]
        import_regions(session, "\n".join(lines))
        from datetime import UTC, datetime, timedelta

        user = User(username="bench", name="压测员", role="township_inspector", region_code=region,
                    password_hash="x", created_at=datetime.now(UTC) - timedelta(days=30))
        session.add(user)
        session.flush()
        out = []
        for _ in range(n_devices):
            client_id, token = uuid.uuid4(), new_token()
            session.add(Device(client_id=client_id, user_id=user.id))
            session.flush()
            session.add(AuthToken(token_hash=token_hash(token), user_id=user.id,
                                  client_id=client_id))
            out.append(({"Authorization": f"Bearer {token}"}, client_id))
        session.commit()
        db.session.remove()
        db.engine.dispose()
    return out


class Workdir:
    def __enter__(self) -> Path:
        self.path = Path(tempfile.mkdtemp(prefix="xuncha-bench-"))
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)
