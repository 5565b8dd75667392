"""auditor scopes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 16:43:29.278504
"""
import sqlalchemy as sa
from alembic import op

import isms.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('auditor_scopes',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('control_id', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_auditor_scopes_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'control_id', name=op.f('pk_auditor_scopes'))
    )


def downgrade():
    op.drop_table('auditor_scopes')
