"""reviews, follow-ups, digests, scheduler lease, notices

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:58:38.569941
"""
import sqlalchemy as sa
from alembic import op

import isms.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('overdue_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('noticed_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_overdue_notices')),
    sa.UniqueConstraint('subject', 'due_on', name=op.f('uq_overdue_notices_subject_due_on'))
    )
    op.create_table('scheduler_leases',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('expires_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_leases'))
    )
    op.create_table('digest_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('claimed_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_digest_claims_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_claims')),
    sa.UniqueConstraint('user_id', 'local_date', name=op.f('uq_digest_claims_user_id_local_date'))
    )
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition', sa.String(length=4), nullable=False),
    sa.Column('control_id', sa.String(length=16), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.Enum('effective', 'needs_improvement', 'not_effective', name='review_outcome', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('created_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['corrects_id'], ['reviews.id'], name=op.f('fk_reviews_corrects_id_reviews')),
    sa.ForeignKeyConstraint(['edition', 'control_id'], ['catalog_controls.edition', 'catalog_controls.control_id'], name=op.f('fk_reviews_edition_control_id_catalog_controls')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_reviews_reviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_control', ['edition', 'control_id', 'reviewed_on'], unique=False)

    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_follow_ups_done_by_id_users')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_follow_ups_owner_id_users')),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_follow_ups_review_id_reviews')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_owner_id'), ['owner_id'], unique=False)

    op.create_table('evidence_expiry_notices',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('noticed_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['evidence_versions.id'], name=op.f('fk_evidence_expiry_notices_version_id_evidence_versions')),
    sa.PrimaryKeyConstraint('version_id', name=op.f('pk_evidence_expiry_notices'))
    )
    op.create_table('review_evidence',
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('evidence_version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['evidence_version_id'], ['evidence_versions.id'], name=op.f('fk_review_evidence_evidence_version_id_evidence_versions')),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_evidence_review_id_reviews')),
    sa.PrimaryKeyConstraint('review_id', 'evidence_version_id', name=op.f('pk_review_evidence'))
    )
    with op.batch_alter_table('control_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_review_on', sa.Date(), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_calendar_token_hash'), ['calendar_token_hash'])



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_calendar_token_hash'), type_='unique')
        batch_op.drop_column('calendar_token_hash')

    with op.batch_alter_table('control_states', schema=None) as batch_op:
        batch_op.drop_column('first_review_on')

    op.drop_table('review_evidence')
    op.drop_table('evidence_expiry_notices')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_owner_id'))

    op.drop_table('follow_ups')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_control')

    op.drop_table('reviews')
    op.drop_table('digest_claims')
    op.drop_table('scheduler_leases')
    op.drop_table('overdue_notices')
