"""register: hazards, events, inspections, notifications, tasks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Owned by the register work; filled in as its models land (pre-release: edit in place).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
