"""soa import mappings: named ways of reading someone's SoA workbook

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 10:30:00
"""
import sqlalchemy as sa
from alembic import op

import isms.db

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'soa_import_mappings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('settings', sa.JSON(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', isms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', isms.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_soa_import_mappings_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_soa_import_mappings')),
        sa.UniqueConstraint('name', name=op.f('uq_soa_import_mappings_name')),
    )


def downgrade():
    op.drop_table('soa_import_mappings')
