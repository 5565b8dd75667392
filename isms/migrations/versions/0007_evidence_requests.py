"""evidence requests

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 16:54:17.893583
"""
import sqlalchemy as sa
from alembic import op

import isms.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evidence_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition', sa.String(length=4), nullable=False),
    sa.Column('control_id', sa.String(length=16), nullable=False),
    sa.Column('auditor_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'answered', 'accepted', 'rejected', name='request_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('created_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=False),
    sa.Column('decided_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('evidence_item_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_evidence_requests_answered_by_id_users')),
    sa.ForeignKeyConstraint(['auditor_id'], ['users.id'], name=op.f('fk_evidence_requests_auditor_id_users')),
    sa.ForeignKeyConstraint(['edition', 'control_id'], ['catalog_controls.edition', 'catalog_controls.control_id'], name=op.f('fk_evidence_requests_edition_control_id_catalog_controls')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_evidence_requests_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_requests'))
    )
    with op.batch_alter_table('evidence_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_requests_owner_id'), ['owner_id'], unique=False)



def downgrade():
    with op.batch_alter_table('evidence_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_requests_owner_id'))

    op.drop_table('evidence_requests')
