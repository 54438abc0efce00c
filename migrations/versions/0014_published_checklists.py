"""published_checklists: checklist versions published from the console (issue 21)

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-03

One row per version published from a sheet: its definition (the loader's table), its
fingerprint, where it applies (region subtree, site kinds), who published it and why,
and when it retires. Re-chained by the lead at merge.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0014'
down_revision = '0011'
branch_labels = None
depends_on = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    op.create_table(
        'published_checklists',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('definition', JSONDoc, nullable=False),
        sa.Column('region_code', sa.String(length=20), nullable=False),
        sa.Column('site_kinds', JSONDoc, nullable=False),
        sa.Column('published_by', sa.Uuid(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('retires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('retired_by', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['region_code'], ['regions.code'],
                                name=op.f('fk_published_checklists_region_code_regions')),
        sa.ForeignKeyConstraint(['published_by'], ['users.id'],
                                name=op.f('fk_published_checklists_published_by_users')),
        sa.ForeignKeyConstraint(['retired_by'], ['users.id'],
                                name=op.f('fk_published_checklists_retired_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_published_checklists')),
        sa.UniqueConstraint('code', 'version', name='uq_published_checklists_code_version'))
    with op.batch_alter_table('published_checklists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_published_checklists_region_code'), ['region_code'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('published_checklists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_published_checklists_region_code'))
    op.drop_table('published_checklists')
