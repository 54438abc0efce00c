"""hazards: drop ix_hazards_found_at, a prefix of ix_hazards_found_at_id

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

ix_hazards_found_at_id (found_at, id), from 0005, serves every query that
ix_hazards_found_at (found_at) served. The second one only cost every hazard insert
and update of found_at an index write.
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.drop_index('ix_hazards_found_at')


def downgrade():
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.create_index('ix_hazards_found_at', ['found_at'], unique=False)
