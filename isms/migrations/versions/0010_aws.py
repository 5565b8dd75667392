"""AWS connections, runs and check results; inherited third-party reports

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 18:04:30.934308
"""
import sqlalchemy as sa
from alembic import op

import isms.db

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('aws_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('regions', sa.String(length=500), nullable=False),
    sa.Column('profile', sa.String(length=128), nullable=False),
    sa.Column('role_arn', sa.String(length=2048), nullable=False),
    sa.Column('external_id', sa.String(length=1224), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_aws_connections_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aws_connections')),
    sa.UniqueConstraint('name', name=op.f('uq_aws_connections_name'))
    )
    op.create_table('aws_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('started_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['aws_connections.id'], name=op.f('fk_aws_runs_connection_id_aws_connections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aws_runs'))
    )
    with op.batch_alter_table('aws_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aws_runs_connection_id'), ['connection_id'], unique=False)

    op.create_table('aws_check_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.String(length=64), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('evidence_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['aws_connections.id'], name=op.f('fk_aws_check_results_connection_id_aws_connections')),
    sa.ForeignKeyConstraint(['evidence_version_id'], ['evidence_versions.id'], name=op.f('fk_aws_check_results_evidence_version_id_evidence_versions')),
    sa.ForeignKeyConstraint(['run_id'], ['aws_runs.id'], name=op.f('fk_aws_check_results_run_id_aws_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aws_check_results'))
    )
    with op.batch_alter_table('aws_check_results', schema=None) as batch_op:
        batch_op.create_index('ix_aws_check_results_check', ['connection_id', 'check_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aws_check_results_run_id'), ['run_id'], unique=False)

    op.create_table('aws_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.String(length=64), nullable=False),
    sa.Column('evidence_item_id', sa.Integer(), nullable=True),
    sa.Column('last_result_id', sa.Integer(), nullable=True),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['aws_connections.id'], name=op.f('fk_aws_checks_connection_id_aws_connections')),
    sa.ForeignKeyConstraint(['evidence_item_id'], ['evidence_items.id'], name=op.f('fk_aws_checks_evidence_item_id_evidence_items')),
    sa.ForeignKeyConstraint(['last_result_id'], ['aws_check_results.id'], name=op.f('fk_aws_checks_last_result_id_aws_check_results')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aws_checks')),
    sa.UniqueConstraint('connection_id', 'check_id', name=op.f('uq_aws_checks_connection_id_check_id'))
    )
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inherited_from', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('issuer', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('report_name', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('period_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('period_to', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_evidence_items_inherited_from'), ['inherited_from'], unique=False)



def downgrade():
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_items_inherited_from'))
        batch_op.drop_column('period_to')
        batch_op.drop_column('period_from')
        batch_op.drop_column('report_name')
        batch_op.drop_column('issuer')
        batch_op.drop_column('inherited_from')

    op.drop_table('aws_checks')
    with op.batch_alter_table('aws_check_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aws_check_results_run_id'))
        batch_op.drop_index('ix_aws_check_results_check')

    op.drop_table('aws_check_results')
    with op.batch_alter_table('aws_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aws_runs_connection_id'))

    op.drop_table('aws_runs')
    op.drop_table('aws_connections')
