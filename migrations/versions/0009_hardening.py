"""hardening (issue 19): console sessions, blob uploaders, signing keys, content seals,
the client a failed login came from

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

- console_sessions: one row per console login; the cookie holds only its random token,
  so a logout, a password or role change, a disabled account or a staff member's revoke
  ends it at once (server.auth.sessions).
- blob_uploads: every user (and device) that proved it holds a blob's bytes by uploading
  them; a mutation may reference a blob only so, or through its scope
  (server.evidence.provenance). Filled from blobs.uploaded_by.
- signing_keys: the fingerprint of each key that signed a QR tag, so `xuncha check` can
  tell when tags in the field are signed by a key this server no longer has.
- content_seals: the content hash of each inspection and hazard event as sealed into the
  audit chain (server.audit.seals), so an edited inspection or a deleted event is named.
- login_failures.client_key: the device (phone client_id or console device cookie) a
  failed login came from: a known device is not locked out by others' failures
  (server.auth.throttle).
Re-chained by the lead at merge.
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'console_sessions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_reason', sa.String(length=32), nullable=True),
        sa.Column('remote_addr', sa.String(length=64), nullable=True),
        sa.Column('user_agent', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_console_sessions_user_id', ['user_id'], unique=False)

    op.create_table(
        'blob_uploads',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('client_id', sa.Uuid(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('sha256', 'user_id'),
    )
    op.execute("INSERT INTO blob_uploads (sha256, user_id, at) "
               "SELECT sha256, uploaded_by, uploaded_at FROM blobs "
               "WHERE uploaded_by IS NOT NULL")

    op.create_table(
        'signing_keys',
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key_id'),
    )

    op.create_table(
        'content_seals',
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('row_key', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('batch', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'row_key'),
    )
    with op.batch_alter_table('content_seals', schema=None) as batch_op:
        batch_op.create_index('ix_content_seals_batch', ['batch'], unique=False)

    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_login_failures_client_key_at', ['client_key', 'at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_client_key_at')
        batch_op.drop_column('client_key')
    with op.batch_alter_table('content_seals', schema=None) as batch_op:
        batch_op.drop_index('ix_content_seals_batch')
    op.drop_table('content_seals')
    op.drop_table('signing_keys')
    op.drop_table('blob_uploads')
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_console_sessions_user_id')
    op.drop_table('console_sessions')
