"""Initial schema: catalog, organisation, users, control states and the audit chain.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

import isms.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_events',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.String(length=128), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor'), ['actor'], unique=False)
        batch_op.create_index('ix_audit_events_object', ['object_type', 'object_id'], unique=False)

    audit_head = op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    # The chain starts empty: seq 0 and the all-zero genesis hash.
    op.bulk_insert(audit_head, [{'id': 1, 'seq': 0, 'hash': '0' * 64}])
    op.create_table('catalog_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition', sa.String(length=4), nullable=False),
    sa.Column('ref_id', sa.String(length=16), nullable=False),
    sa.Column('alias', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_aliases')),
    sa.UniqueConstraint('edition', 'ref_id', 'alias', name=op.f('uq_catalog_aliases_edition_ref_id_alias'))
    )
    op.create_table('catalog_controls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition', sa.String(length=4), nullable=False),
    sa.Column('control_id', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('group_id', sa.String(length=16), nullable=False),
    sa.Column('group_title', sa.String(length=255), nullable=False),
    sa.Column('objective_id', sa.String(length=16), nullable=True),
    sa.Column('objective_title', sa.String(length=255), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('default_responsibility', sa.String(length=16), nullable=False),
    sa.Column('aws_evidence', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_controls')),
    sa.UniqueConstraint('edition', 'control_id', name=op.f('uq_catalog_controls_edition_control_id'))
    )
    op.create_table('catalog_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('id_2013', sa.String(length=16), nullable=True),
    sa.Column('id_2022', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_mappings')),
    sa.UniqueConstraint('id_2013', 'id_2022', name=op.f('uq_catalog_mappings_id_2013_id_2022'))
    )
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('edition', sa.String(length=4), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('created_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('admin', 'lead', 'owner', 'auditor', name='role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('created_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('control_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition', sa.String(length=4), nullable=False),
    sa.Column('control_id', sa.String(length=16), nullable=False),
    sa.Column('applicability', sa.Enum('applicable', 'excluded', name='applicability', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('inclusion_reasons', sa.String(length=64), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('implementation_status', sa.Enum('not_started', 'planned', 'partial', 'implemented', name='implementation_status', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('responsibility', sa.Enum('company', 'aws', 'shared', name='responsibility', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('company_part', sa.Text(), nullable=False),
    sa.Column('aws_part', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('review_cadence', sa.Enum('none', 'monthly', 'quarterly', 'half_yearly', 'yearly', name='review_cadence', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['edition', 'control_id'], ['catalog_controls.edition', 'catalog_controls.control_id'], name=op.f('fk_control_states_edition_control_id_catalog_controls')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_control_states_owner_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_control_states_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_control_states')),
    sa.UniqueConstraint('edition', 'control_id', name=op.f('uq_control_states_edition_control_id'))
    )
    with op.batch_alter_table('control_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_control_states_owner_id'), ['owner_id'], unique=False)



def downgrade():
    with op.batch_alter_table('control_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_control_states_owner_id'))

    op.drop_table('control_states')
    op.drop_table('users')
    op.drop_table('organisations')
    op.drop_table('catalog_mappings')
    op.drop_table('catalog_controls')
    op.drop_table('catalog_aliases')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_object')
        batch_op.drop_index(batch_op.f('ix_audit_events_actor'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
