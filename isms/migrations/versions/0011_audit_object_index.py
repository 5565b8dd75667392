"""audit events: the per-object index also orders by seq

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 19:30:00
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # A control's history reads its latest events; with seq in the index that needs no sort.
    op.drop_index('ix_audit_events_object', table_name='audit_events')
    op.create_index('ix_audit_events_object', 'audit_events',
                    ['object_type', 'object_id', 'seq'], unique=False)


def downgrade():
    op.drop_index('ix_audit_events_object', table_name='audit_events')
    op.create_index('ix_audit_events_object', 'audit_events', ['object_type', 'object_id'],
                    unique=False)
