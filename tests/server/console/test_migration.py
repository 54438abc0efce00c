"""The console's tables as migrated agree with the models (nothing for autogenerate)."""

from __future__ import annotations


def test_console_tables_match_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from server.extensions import db

    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    mine = [d for d in diff if any(name in repr(d) for name in (
        "campaign", "hazard_rollup", "hazard_signal_rollup", "ix_inspections_received_at_site_id",
        "ix_hazards_overdue_deadline", "ix_hazards_found_at_id",
        "ix_hazards_severity_region_code_found_at"))]
    assert mine == []
