"""evidence: blobs, photo metadata, partial uploads

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Owned by the evidence work; filled in as its models land (pre-release: edit in place).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
