"""The evidence tables as migrated (0004) are exactly what the models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.extensions import db

OURS = {"blobs", "blob_refs"}


def _touches_ours(entry) -> bool:
    parts = entry if isinstance(entry, list) else [entry]
    for part in parts:
        for obj in part[1:]:
            table = getattr(obj, "table", None)
            name = obj if isinstance(obj, str) else getattr(obj, "name", None)
            if (table is not None and table.name in OURS) or name in OURS:
                return True
    return False


def test_models_match_migrations(app):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    assert [entry for entry in diff if _touches_ours(entry)] == []


def test_the_migration_has_our_tables(app):
    from sqlalchemy import inspect

    tables = set(inspect(db.engine).get_table_names())
    assert tables >= OURS
