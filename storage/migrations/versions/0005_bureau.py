"""the bureau: the circonscription as a row (every request and email belongs to one),
accounts with their roles, server-side sessions, private notes, and when a person dealt
with a quarantined email

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 15:10:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    circonscription = op.create_table(
        'circonscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    # The one circonscription of a deployment; its name comes from the settings at start.
    op.bulk_insert(circonscription, [{'id': 1, 'name': 'Circonscription'}])
    op.create_table(
        'account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('circonscription_id', sa.Integer(), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_login_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('failed_logins', sa.Integer(), nullable=False),
        sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['circonscription_id'], ['circonscription.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_email'), ['email'], unique=True)
        batch_op.create_index(batch_op.f('ix_account_circonscription_id'),
                              ['circonscription_id'], unique=False)
    op.create_table(
        'web_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('csrf_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_token_hash'), ['token_hash'],
                              unique=True)
        batch_op.create_index(batch_op.f('ix_web_session_account_id'), ['account_id'],
                              unique=False)
    op.create_table(
        'saved_view',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('query', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('saved_view', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_view_account_id'), ['account_id'],
                              unique=False)
    op.create_table(
        'note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('opinion', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['request.id']),
        sa.ForeignKeyConstraint(['account_id'], ['account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_request_id'), ['request_id'], unique=False)
    for table in ('request', 'processed_message'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('circonscription_id', sa.Integer(), nullable=False,
                                          server_default='1'))
            batch_op.create_index(batch_op.f(f'ix_{table}_circonscription_id'),
                                  ['circonscription_id'], unique=False)
            batch_op.create_foreign_key(f'fk_{table}_circonscription', 'circonscription',
                                        ['circonscription_id'], ['id'])
    with op.batch_alter_table('processed_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handled_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(length=320),
                                      nullable=True))
        batch_op.add_column(sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=500),
                                      nullable=True))
        batch_op.add_column(sa.Column('raw_sha256', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('replay_requested_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))
    # The email that brought a request's fiche is the request itself: not a new message.
    op.execute("UPDATE message SET read_at = at WHERE read_at IS NULL AND id IN "
               "(SELECT MIN(id) FROM message GROUP BY request_id)")


def downgrade() -> None:
    with op.batch_alter_table('processed_message', schema=None) as batch_op:
        batch_op.drop_column('replay_requested_at')
        batch_op.drop_column('raw_sha256')
        batch_op.drop_column('subject')
        batch_op.drop_column('sender')
        batch_op.drop_column('handled_at')
    for table in ('request', 'processed_message'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_circonscription', type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_circonscription_id'))
            batch_op.drop_column('circonscription_id')
    op.drop_table('note')
    op.drop_table('saved_view')
    op.drop_table('web_session')
    op.drop_table('account')
    op.drop_table('circonscription')
