"""links by control: the control index also orders a control's items by id, and deleted
items have an index of their own

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 17:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evidence_links', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_links_control')
        batch_op.create_index('ix_evidence_links_control', ['edition', 'control_id', 'item_id'],
                              unique=False)
    deleted = sa.text('deleted_at IS NOT NULL')
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_items_deleted', ['id'], unique=False,
                              postgresql_where=deleted, sqlite_where=deleted)


def downgrade():
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_items_deleted')
    with op.batch_alter_table('evidence_links', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_links_control')
        batch_op.create_index('ix_evidence_links_control', ['edition', 'control_id'],
                              unique=False)
