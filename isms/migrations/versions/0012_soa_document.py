"""soa document: controls from other sources, document control, transition sources

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 10:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # Empty for Annex A; otherwise where the control comes from (ISO/IEC 27017, a contract...).
    with op.batch_alter_table('catalog_controls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=200), server_default='',
                                      nullable=False))
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('soa_document_id', sa.String(length=60),
                                      server_default='ISMS-SOA', nullable=False))
        batch_op.add_column(sa.Column('soa_classification', sa.String(length=60),
                                      server_default='Internal', nullable=False))
        batch_op.add_column(sa.Column('soa_review_months', sa.Integer(), server_default='12',
                                      nullable=False))
    # Document control frozen with each issued version.
    with op.batch_alter_table('soa_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('classification', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('next_review_on', sa.Date(), nullable=True))
    # The 2013 decisions a merged 2022 control came from, kept until the lead decides.
    with op.batch_alter_table('control_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transition_sources', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('control_states', schema=None) as batch_op:
        batch_op.drop_column('transition_sources')
    with op.batch_alter_table('soa_versions', schema=None) as batch_op:
        batch_op.drop_column('next_review_on')
        batch_op.drop_column('classification')
        batch_op.drop_column('document_id')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('soa_review_months')
        batch_op.drop_column('soa_classification')
        batch_op.drop_column('soa_document_id')
    with op.batch_alter_table('catalog_controls', schema=None) as batch_op:
        batch_op.drop_column('source')
