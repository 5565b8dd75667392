"""control proposals: an owner proposes a decision, the lead accepts or rejects it

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 10:40:00
"""
import sqlalchemy as sa
from alembic import op

import isms.db

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('control_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition', sa.String(length=4), nullable=False),
    sa.Column('control_id', sa.String(length=16), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('current', sa.JSON(), nullable=False),
    sa.Column('proposed', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('open', 'accepted', 'rejected', 'superseded', name='proposal_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_control_proposals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['edition', 'control_id'], ['catalog_controls.edition', 'catalog_controls.control_id'], name=op.f('fk_control_proposals_edition_control_id_catalog_controls')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_control_proposals_proposed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_control_proposals'))
    )
    with op.batch_alter_table('control_proposals', schema=None) as batch_op:
        batch_op.create_index('ix_control_proposals_status', ['status', 'edition', 'control_id'], unique=False)


def downgrade():
    with op.batch_alter_table('control_proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_control_proposals_status')
    op.drop_table('control_proposals')
