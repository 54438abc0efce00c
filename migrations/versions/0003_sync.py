"""sync: mutation results, change log, revisions, conflicts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Owned by the sync work (pre-release: edited in place).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sync_change_log',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('entity_id', sa.Uuid(), nullable=False),
    sa.Column('op', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('merged_into', sa.Uuid(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_sync_change_log')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('sync_change_log', schema=None) as batch_op:
        batch_op.create_index('ix_sync_change_log_region_code_seq', ['region_code', 'seq'], unique=False)
        batch_op.create_index('ix_sync_change_log_type_entity', ['type', 'entity_id'], unique=False)

    op.create_table('sync_mutation_results',
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('mutation_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('feed_seq', sa.BigInteger(), nullable=True),
    sa.Column('device_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['devices.client_id'], name=op.f('fk_sync_mutation_results_client_id_devices')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_mutation_results_user_id_users')),
    sa.PrimaryKeyConstraint('client_id', 'mutation_id', name=op.f('pk_sync_mutation_results'))
    )
    op.create_table('sync_site_conflicts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('site_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sa.String(length=20), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('server_value', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('losing_value', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('actor_id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=True),
    sa.Column('mutation_id', sa.BigInteger(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.Uuid(), nullable=True),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_sync_site_conflicts_actor_id_users')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_sync_site_conflicts_region_code_regions')),
    sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_sync_site_conflicts_resolved_by_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_sync_site_conflicts_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_site_conflicts'))
    )
    with op.batch_alter_table('sync_site_conflicts', schema=None) as batch_op:
        batch_op.create_index('ix_sync_site_conflicts_site_id_resolved', ['site_id', 'resolved_at'], unique=False)

    op.create_table('sync_site_revisions',
    sa.Column('site_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('client_id', sa.Uuid(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_sync_site_revisions_actor_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_sync_site_revisions_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('site_id', 'version', name=op.f('pk_sync_site_revisions'))
    )


def downgrade():
    op.drop_table('sync_site_revisions')
    with op.batch_alter_table('sync_site_conflicts', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_site_conflicts_site_id_resolved')

    op.drop_table('sync_site_conflicts')
    op.drop_table('sync_mutation_results')
    with op.batch_alter_table('sync_change_log', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_change_log_type_entity')
        batch_op.drop_index('ix_sync_change_log_region_code_seq')

    op.drop_table('sync_change_log')
