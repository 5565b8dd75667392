"""evidence items, versions, links and purges

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:44:28.194527
"""
import sqlalchemy as sa
from alembic import op

import isms.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evidence_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('file', 'link', 'statement', 'third_party_report', name='evidence_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('tags', sa.String(length=500), nullable=False),
    sa.Column('created_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('latest_version_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_by_id', sa.Integer(), nullable=True),
    sa.Column('delete_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_evidence_items_created_by_id_users')),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['users.id'], name=op.f('fk_evidence_items_deleted_by_id_users')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_evidence_items_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_items'))
    )
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_items_owner_id'), ['owner_id'], unique=False)

    op.create_table('evidence_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('edition', sa.String(length=4), nullable=False),
    sa.Column('control_id', sa.String(length=16), nullable=False),
    sa.Column('created_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['edition', 'control_id'], ['catalog_controls.edition', 'catalog_controls.control_id'], name=op.f('fk_evidence_links_edition_control_id_catalog_controls')),
    sa.ForeignKeyConstraint(['item_id'], ['evidence_items.id'], name=op.f('fk_evidence_links_item_id_evidence_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_links')),
    sa.UniqueConstraint('item_id', 'edition', 'control_id', name=op.f('uq_evidence_links_item_id_edition_control_id'))
    )
    with op.batch_alter_table('evidence_links', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_links_control', ['edition', 'control_id'], unique=False)

    op.create_table('evidence_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text_content', sa.Text(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('media_type', sa.String(length=127), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=True),
    sa.Column('storage_backend', sa.String(length=16), nullable=True),
    sa.Column('collected_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('purged_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['evidence_items.id'], name=op.f('fk_evidence_versions_item_id_evidence_items')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_evidence_versions_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_versions')),
    sa.UniqueConstraint('item_id', 'number', name=op.f('uq_evidence_versions_item_id_number'))
    )
    with op.batch_alter_table('evidence_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_versions_sha256'), ['sha256'], unique=False)

    # The item -> latest version key closes a cycle, so it is added once both tables exist.
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f('fk_evidence_items_latest_version_id_evidence_versions'), 'evidence_versions',
            ['latest_version_id'], ['id'])

    op.create_table('evidence_purges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('requested', 'approved', 'rejected', name='purge_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_evidence_purges_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_evidence_purges_requested_by_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['evidence_versions.id'], name=op.f('fk_evidence_purges_version_id_evidence_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_purges'))
    )


def downgrade():
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f('fk_evidence_items_latest_version_id_evidence_versions'), type_='foreignkey')
    op.drop_table('evidence_purges')
    with op.batch_alter_table('evidence_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_versions_sha256'))

    op.drop_table('evidence_versions')
    with op.batch_alter_table('evidence_links', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_links_control')

    op.drop_table('evidence_links')
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_items_owner_id'))

    op.drop_table('evidence_items')
