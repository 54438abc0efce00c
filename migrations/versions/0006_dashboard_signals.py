"""dashboard: the shallow-inspection signals' counts in the rollup, the period a run counted, an inspections index for campaign coverage; register page indexes cover their filters

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

The console dashboard read the register's live signals (a scan of the period's hazards
and inspections per page view); the rollup job now stores their counts. Campaign coverage
reads a campaign window's inspections from an index on received_at (declared in
server/models/rollup.py). Two register-page indexes of 0005 carry the columns their pages
filter on (overdue page: status and region; newest-first: severity), so those pages are
index-only scans.
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hazard_rollup_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signals_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('signals_to', sa.Date(), nullable=True))
    op.create_table('hazard_signal_rollups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=20), nullable=False),
    sa.Column('sector', sa.String(length=16), nullable=False),
    sa.Column('found', sa.Integer(), nullable=False),
    sa.Column('major', sa.Integer(), nullable=False),
    sa.Column('inspections', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['hazard_rollup_runs.id'], name=op.f('fk_hazard_signal_rollups_run_id_hazard_rollup_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_signal_rollups'))
    )
    with op.batch_alter_table('hazard_signal_rollups', schema=None) as batch_op:
        batch_op.create_index('ix_hazard_signal_rollups_run_id_region_code', ['run_id', 'region_code'], unique=False)
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index('ix_inspections_received_at_site_id', ['received_at'], unique=False,
                              postgresql_include=['site_id'])
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.drop_index('ix_hazards_overdue_deadline')
        batch_op.create_index('ix_hazards_overdue_deadline', ['deadline', 'id'], unique=False,
                              postgresql_where=sa.text('overdue IS true'),
                              sqlite_where=sa.text('overdue IS 1'),
                              postgresql_include=['status', 'region_code'])
        batch_op.drop_index('ix_hazards_found_at_id')
        batch_op.create_index('ix_hazards_found_at_id', ['found_at', 'id'], unique=False,
                              postgresql_include=['region_code', 'severity'])


def downgrade():
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.drop_index('ix_hazards_found_at_id')
        batch_op.create_index('ix_hazards_found_at_id', ['found_at', 'id'], unique=False,
                              postgresql_include=['region_code'])
        batch_op.drop_index('ix_hazards_overdue_deadline')
        batch_op.create_index('ix_hazards_overdue_deadline', ['deadline', 'id'], unique=False,
                              postgresql_where=sa.text('overdue IS true'),
                              sqlite_where=sa.text('overdue IS 1'))
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_inspections_received_at_site_id')
    with op.batch_alter_table('hazard_signal_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_hazard_signal_rollups_run_id_region_code')
    op.drop_table('hazard_signal_rollups')
    with op.batch_alter_table('hazard_rollup_runs', schema=None) as batch_op:
        batch_op.drop_column('signals_to')
        batch_op.drop_column('signals_from')
