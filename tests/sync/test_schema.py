"""The sync tables made by migration 0003 agree with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.extensions import db

SYNC_TABLES = {"sync_mutation_results", "sync_change_log", "sync_site_revisions",
               "sync_site_conflicts"}


def _table_of(diff) -> str | None:
    op = diff[0] if isinstance(diff, list) else diff
    for item in op[1:] if isinstance(op, tuple) else ():
        name = getattr(item, "name", None)
        table = getattr(item, "table", None)
        if table is not None:
            return table.name
        if isinstance(item, str) and item in SYNC_TABLES:
            return item
        if name in SYNC_TABLES:
            return name
    return None


def test_models_match_migration(app):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, db.metadata)
    mine = [d for d in diffs if _table_of(d) in SYNC_TABLES]
    assert mine == []
