"""console: campaigns and their assignments; indexes for the console's register and dashboard

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

Owned by the console work (pre-release: edited in place).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    op.create_table('campaigns',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('sectors', _JSON, nullable=False),
    sa.Column('region_codes', _JSON, nullable=False),
    sa.Column('site_kinds', _JSON, nullable=False),
    sa.Column('region_code', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_campaigns_created_by_users')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_campaigns_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index('ix_campaigns_region_code_ends_on', ['region_code', 'ends_on'], unique=False)

    op.create_table('campaign_assignments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('site_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sa.String(length=20), nullable=False),
    sa.Column('inspector_id', sa.Uuid(), nullable=False),
    sa.Column('task_id', sa.Uuid(), nullable=True),
    sa.Column('assigned_by', sa.Uuid(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by'], ['users.id'], name=op.f('fk_campaign_assignments_assigned_by_users')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_assignments_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_campaign_assignments_inspector_id_users')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_campaign_assignments_region_code_regions')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_campaign_assignments_site_id_sites')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_campaign_assignments_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_assignments')),
    sa.UniqueConstraint('campaign_id', 'site_id', name=op.f('uq_campaign_assignments_campaign_id'))
    )
    with op.batch_alter_table('campaign_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_assignments_inspector_id', ['inspector_id'], unique=False)

    op.create_table('hazard_rollups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=20), nullable=False),
    sa.Column('sector', sa.String(length=16), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('major', sa.Boolean(), nullable=False),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('found_month', sa.String(length=7), nullable=False),
    sa.Column('closed_month', sa.String(length=7), nullable=True),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_rollups'))
    )
    with op.batch_alter_table('hazard_rollups', schema=None) as batch_op:
        batch_op.create_index('ix_hazard_rollups_region_code', ['region_code'], unique=False)
    op.create_table('hazard_rollup_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_rollup_runs'))
    )
    # On the register's table, for the console's register page (declared in
    # server/models/rollup.py so that models and migrations agree).
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.create_index('ix_hazards_overdue_deadline', ['deadline', 'id'], unique=False,
                              postgresql_where=sa.text('overdue IS true'),
                              sqlite_where=sa.text('overdue IS 1'))
        batch_op.create_index('ix_hazards_found_at_id', ['found_at', 'id'], unique=False,
                              postgresql_include=['region_code'])
        batch_op.create_index('ix_hazards_severity_region_code_found_at',
                              ['severity', 'region_code', 'found_at'], unique=False)


def downgrade():
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.drop_index('ix_hazards_severity_region_code_found_at')
        batch_op.drop_index('ix_hazards_found_at_id')
        batch_op.drop_index('ix_hazards_overdue_deadline')
    op.drop_table('hazard_rollup_runs')
    with op.batch_alter_table('hazard_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_hazard_rollups_region_code')
    op.drop_table('hazard_rollups')
    with op.batch_alter_table('campaign_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_assignments_inspector_id')
    op.drop_table('campaign_assignments')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index('ix_campaigns_region_code_ends_on')
    op.drop_table('campaigns')
