"""restore recovery: each device's mutation counter as held by the latest backup

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

A phone keeps acknowledged mutations until a backup holds them (`safe_mutation_id` in push
and pull answers), so that after a restore it can send again what the backup missed.
Re-chained by the lead at merge (0006 belongs to the dashboard work).
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backed_up_mutation_id', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('backed_up_mutation_id')
