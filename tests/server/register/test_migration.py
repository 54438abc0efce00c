"""The register's tables as migrated are exactly what the models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.extensions import db

OURS = {"hazards", "hazard_events", "hazard_aliases", "inspections", "notifications", "tasks",
        "bulletins"}


def _tables(diff) -> set[str]:
    found = set()
    for entry in diff:
        for part in entry if isinstance(entry, list) else [entry]:
            for obj in part[1:]:
                name = getattr(obj, "name", None) if not isinstance(obj, str) else obj
                table = getattr(obj, "table", None)
                if table is not None:
                    found.add(table.name)
                elif name in OURS:
                    found.add(name)
    return found


def test_models_match_migrations(app):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    assert not (_tables(diff) & OURS), [d for d in diff]
