"""evidence: blobs (photo metadata) and blob references (photo scope)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Owned by the evidence work (pre-release: edited in place).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql  # noqa: F401

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('device_make', sa.String(length=64), nullable=True),
    sa.Column('device_model', sa.String(length=64), nullable=True),
    sa.Column('gps_lat', sa.Double(), nullable=True),
    sa.Column('gps_lon', sa.Double(), nullable=True),
    sa.Column('uploaded_by', sa.Uuid(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_blobs_uploaded_by_users')),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_blobs'))
    )
    # Leads with sha256: "who refers to this blob" is one index range.
    op.create_table('blob_refs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('owner_type', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', 'owner_type', 'owner_id', name=op.f('pk_blob_refs'))
    )


def downgrade():
    op.drop_table('blob_refs')
    op.drop_table('blobs')
