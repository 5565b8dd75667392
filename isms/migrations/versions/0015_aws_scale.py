"""AWS at scale: organizations, per-account results, run slices; the job queue on PostgreSQL

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 10:15:00

On PostgreSQL the job queue (procrastinate) keeps its tables in a schema of its own,
`procrastinate`, so the application's schema stays what its models describe.
"""
import sqlalchemy as sa
from alembic import op

import isms.db

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('aws_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='account',
                                      nullable=False))
        batch_op.add_column(sa.Column('role_name', sa.String(length=64), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('include_ids', sa.Text(), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('exclude_ids', sa.Text(), server_default='',
                                      nullable=False))
    with op.batch_alter_table('aws_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor', sa.String(length=254), server_default='',
                                      nullable=False))
    for table in ('aws_check_results', 'aws_checks'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('account_id', sa.String(length=12), server_default='',
                                          nullable=False))
        # Every existing row belongs to its connection's single account (fixed table names).
        op.execute(f"UPDATE {table} SET account_id = (SELECT account_id "  # nosec B608
                   f"FROM aws_connections WHERE aws_connections.id = {table}.connection_id)")
    with op.batch_alter_table('aws_check_results', schema=None) as batch_op:
        batch_op.drop_index('ix_aws_check_results_check')
        batch_op.create_index('ix_aws_check_results_check',
                              ['connection_id', 'account_id', 'check_id'], unique=False)
    with op.batch_alter_table('aws_checks', schema=None) as batch_op:
        batch_op.drop_constraint('uq_aws_checks_connection_id_check_id', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_aws_checks_connection_id_account_id_check_id'),
            ['connection_id', 'account_id', 'check_id'])

    op.create_table('aws_run_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('account_name', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('checks', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('finished_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['aws_runs.id'], name=op.f('fk_aws_run_accounts_run_id_aws_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aws_run_accounts')),
    sa.UniqueConstraint('run_id', 'account_id', name=op.f('uq_aws_run_accounts_run_id_account_id'))
    )
    with op.batch_alter_table('aws_run_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aws_run_accounts_run_id'), ['run_id'], unique=False)

    op.create_table('aws_run_slices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('run_account_id', sa.Integer(), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('checks_total', sa.Integer(), nullable=False),
    sa.Column('checks_done', sa.Integer(), nullable=False),
    sa.Column('results', sa.Text(), nullable=False),
    sa.Column('started_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', isms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['run_account_id'], ['aws_run_accounts.id'], name=op.f('fk_aws_run_slices_run_account_id_aws_run_accounts')),
    sa.ForeignKeyConstraint(['run_id'], ['aws_runs.id'], name=op.f('fk_aws_run_slices_run_id_aws_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aws_run_slices'))
    )
    with op.batch_alter_table('aws_run_slices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aws_run_slices_run_account_id'), ['run_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aws_run_slices_run_id'), ['run_id'], unique=False)

    op.create_table('aws_finding_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('check_id', sa.String(length=256), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('evidence_item_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', isms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evidence_item_id'], ['evidence_items.id'], name=op.f('fk_aws_finding_checks_evidence_item_id_evidence_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aws_finding_checks')),
    sa.UniqueConstraint('source', 'check_id', 'account_id', name=op.f('uq_aws_finding_checks_source_check_id_account_id'))
    )

    if op.get_bind().dialect.name == 'postgresql':
        _create_queue_schema()


def _create_queue_schema():
    """Create procrastinate's tables and functions in their own schema."""
    from procrastinate.schema import SchemaManager

    bind = op.get_bind()
    bind.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS procrastinate")
    bind.exec_driver_sql("SET LOCAL search_path TO procrastinate")
    bind.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
    bind.exec_driver_sql("SET LOCAL search_path TO DEFAULT")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP SCHEMA IF EXISTS procrastinate CASCADE")
    op.drop_table('aws_finding_checks')
    with op.batch_alter_table('aws_run_slices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aws_run_slices_run_id'))
        batch_op.drop_index(batch_op.f('ix_aws_run_slices_run_account_id'))
    op.drop_table('aws_run_slices')
    with op.batch_alter_table('aws_run_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aws_run_accounts_run_id'))
    op.drop_table('aws_run_accounts')
    # Keep one row per (connection, check): the latest account's, as before organizations.
    op.execute("DELETE FROM aws_checks WHERE id NOT IN (SELECT MAX(id) FROM aws_checks "
               "GROUP BY connection_id, check_id)")
    with op.batch_alter_table('aws_checks', schema=None) as batch_op:
        batch_op.drop_constraint('uq_aws_checks_connection_id_account_id_check_id',
                                 type_='unique')
        batch_op.create_unique_constraint('uq_aws_checks_connection_id_check_id',
                                          ['connection_id', 'check_id'])
        batch_op.drop_column('account_id')
    with op.batch_alter_table('aws_check_results', schema=None) as batch_op:
        batch_op.drop_index('ix_aws_check_results_check')
        batch_op.create_index('ix_aws_check_results_check', ['connection_id', 'check_id'],
                              unique=False)
        batch_op.drop_column('account_id')
    with op.batch_alter_table('aws_runs', schema=None) as batch_op:
        batch_op.drop_column('actor')
    with op.batch_alter_table('aws_connections', schema=None) as batch_op:
        batch_op.drop_column('exclude_ids')
        batch_op.drop_column('include_ids')
        batch_op.drop_column('role_name')
        batch_op.drop_column('kind')
