"""rectification notices (隐患整改通知书): numbers per device, on inspections and hazards

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

A device gets a small serial within its township at login (`devices.notice_township`,
`devices.notice_serial`, unique together): the prefix of the notice numbers the phone
issues offline ("<township>-<serial>-<year>-<seq>"), so no two phones can issue the same
number. `inspections.notice_no` (unique) is the notice an inspection ended with;
`hazards.notice_no` the notice a hazard was first given in (set by its "found" event).

`campaigns.mode`: `standard`, `cross_check` (交叉检查: inspectors assigned to sites of
other townships, reaching them for the campaign's window only) or `unannounced` (暗查暗访).
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('devices') as batch:
        batch.add_column(sa.Column('notice_township', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('notice_serial', sa.Integer(), nullable=True))
        batch.create_index('uq_devices_notice_serial', ['notice_township', 'notice_serial'],
                           unique=True)
    with op.batch_alter_table('inspections') as batch:
        batch.add_column(sa.Column('notice_no', sa.String(length=40), nullable=True))
        batch.create_index('uq_inspections_notice_no', ['notice_no'], unique=True)
    with op.batch_alter_table('hazards') as batch:
        batch.add_column(sa.Column('notice_no', sa.String(length=40), nullable=True))
    with op.batch_alter_table('campaigns') as batch:
        batch.add_column(sa.Column('mode', sa.String(length=16), nullable=False,
                                   server_default='standard'))


def downgrade():
    with op.batch_alter_table('campaigns') as batch:
        batch.drop_column('mode')
    with op.batch_alter_table('hazards') as batch:
        batch.drop_column('notice_no')
    with op.batch_alter_table('inspections') as batch:
        batch.drop_index('uq_inspections_notice_no')
        batch.drop_column('notice_no')
    with op.batch_alter_table('devices') as batch:
        batch.drop_index('uq_devices_notice_serial')
        batch.drop_column('notice_serial')
        batch.drop_column('notice_township')
