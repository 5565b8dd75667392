"""api tokens: personal access tokens for /api/v1, stored hashed, with a rate window

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 10:30:00
"""
import sqlalchemy as sa
from alembic import op

import isms.db

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('scope', sa.Enum('read', 'write', name='token_scope', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('window_start', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('window_count', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_api_tokens_secret_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))
    op.drop_table('api_tokens')
