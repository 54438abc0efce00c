"""hazards: the county's judgement of a gas supplier's major-hazard clue

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

A hazard that is a gas supplier's major-hazard clue (`supplier_major`, 建城规〔2023〕4号
Art 9) stays 待认定 until a county reviewer judges it (Art 3 leaves the verdict to the
county-level gas authority): `hazards.supplier_confirmed` is NULL while it waits, true once
confirmed (已认定), false once dismissed (不予认定). Existing clues wait.
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supplier_confirmed', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.drop_column('supplier_confirmed')
