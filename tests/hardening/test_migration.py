"""Migration 0009 agrees with the models (nothing for autogenerate to add)."""

from __future__ import annotations


def test_hardening_tables_match_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from server.extensions import db

    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    mine = [d for d in diff if any(name in repr(d) for name in (
        "console_sessions", "blob_uploads", "signing_keys", "content_seals", "client_key"))]
    assert mine == []
