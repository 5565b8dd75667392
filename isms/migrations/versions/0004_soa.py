"""risk refs and issued SoA versions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 16:12:44.286196
"""
import sqlalchemy as sa
from alembic import op

import isms.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('soa_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('edition', sa.String(length=4), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'approved', 'withdrawn', name='soa_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('change_summary', sa.Text(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approver_title', sa.String(length=200), nullable=False),
    sa.Column('workbook', sa.LargeBinary(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('previous_sha256', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_soa_versions_approved_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_soa_versions_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_soa_versions')),
    sa.UniqueConstraint('number', name=op.f('uq_soa_versions_number'))
    )
    with op.batch_alter_table('control_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('risk_refs', sa.String(length=500), nullable=False,
                                      server_default=''))



def downgrade():
    with op.batch_alter_table('control_states', schema=None) as batch_op:
        batch_op.drop_column('risk_refs')

    op.drop_table('soa_versions')
