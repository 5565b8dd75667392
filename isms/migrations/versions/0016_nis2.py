"""nis2: frameworks mapped to ISO/IEC 27001, records of unmapped requirements, coverage
snapshots for the digest, and the SoA's coverage sheets setting

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 10:01:44.207111
"""
import sqlalchemy as sa
from alembic import op

import isms.db

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('catalog_frameworks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('short_name', sa.String(length=31), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('iso_edition', sa.String(length=4), nullable=False),
    sa.Column('attribution', sa.Text(), nullable=False),
    sa.Column('source_notice', sa.Text(), nullable=False),
    sa.Column('advisory', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_frameworks')),
    sa.UniqueConstraint('code', name=op.f('uq_catalog_frameworks_code'))
    )
    op.create_table('coverage_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('framework', sa.String(length=32), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('verdicts', sa.JSON(), nullable=False),
    sa.Column('taken_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_snapshots')),
    sa.UniqueConstraint('framework', 'taken_on', name=op.f('uq_coverage_snapshots_framework_taken_on'))
    )
    op.create_table('catalog_requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('framework', sa.String(length=32), nullable=False),
    sa.Column('requirement_id', sa.String(length=32), nullable=False),
    sa.Column('parent_id', sa.String(length=32), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['framework'], ['catalog_frameworks.code'], name=op.f('fk_catalog_requirements_framework_catalog_frameworks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_requirements')),
    sa.UniqueConstraint('framework', 'requirement_id', name=op.f('uq_catalog_requirements_framework_requirement_id'))
    )
    op.create_table('requirement_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('framework', sa.String(length=32), nullable=False),
    sa.Column('requirement_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('not_started', 'in_progress', 'done', name='record_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('updated_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_requirement_records_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requirement_records')),
    sa.UniqueConstraint('framework', 'requirement_id', name=op.f('uq_requirement_records_framework_requirement_id'))
    )
    with op.batch_alter_table('requirement_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requirement_records_owner_id'), ['owner_id'], unique=False)

    op.create_table('catalog_requirement_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('framework', sa.String(length=32), nullable=False),
    sa.Column('requirement_id', sa.String(length=32), nullable=False),
    sa.Column('iso_id', sa.String(length=16), nullable=False),
    sa.Column('relationship', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['framework', 'requirement_id'], ['catalog_requirements.framework', 'catalog_requirements.requirement_id'], name='fk_catalog_requirement_mappings_requirement'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_requirement_mappings')),
    sa.UniqueConstraint('framework', 'requirement_id', 'iso_id', name='uq_catalog_requirement_mappings_pair')
    )
    op.create_table('requirement_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('evidence_item_id', sa.Integer(), nullable=False),
    sa.Column('created_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evidence_item_id'], ['evidence_items.id'], name=op.f('fk_requirement_evidence_evidence_item_id_evidence_items')),
    sa.ForeignKeyConstraint(['record_id'], ['requirement_records.id'], name=op.f('fk_requirement_evidence_record_id_requirement_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requirement_evidence')),
    sa.UniqueConstraint('record_id', 'evidence_item_id', name=op.f('uq_requirement_evidence_record_id_evidence_item_id'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('soa_frameworks', sa.String(length=200), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('soa_frameworks')

    op.drop_table('requirement_evidence')
    op.drop_table('catalog_requirement_mappings')
    with op.batch_alter_table('requirement_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requirement_records_owner_id'))

    op.drop_table('requirement_records')
    op.drop_table('catalog_requirements')
    op.drop_table('coverage_snapshots')
    op.drop_table('catalog_frameworks')
