"""the conversation of each request (message); whether its fiche is a scan; what was
read, as keys (a fiche sent again in another format is known); earlier decisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 12:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('correspondent', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.Column('processed_id', sa.Integer(), nullable=True),
        sa.Column('outbox_id', sa.Integer(), nullable=True),
        sa.Column('read_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['request_id'], ['request.id']),
        sa.ForeignKeyConstraint(['processed_id'], ['processed_message.id']),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_request_id'), ['request_id'], unique=False)
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scanned', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('history', sa.JSON(), server_default='[]',
                                      nullable=False))
        batch_op.add_column(sa.Column('identity_key', sqlmodel.sql.sqltypes.AutoString(
            length=64), nullable=True))
        batch_op.add_column(sa.Column('content_key', sqlmodel.sql.sqltypes.AutoString(
            length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_request_identity_key'), ['identity_key'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_request_content_key'), ['content_key'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_content_key'))
        batch_op.drop_index(batch_op.f('ix_request_identity_key'))
        batch_op.drop_column('content_key')
        batch_op.drop_column('identity_key')
        batch_op.drop_column('history')
        batch_op.drop_column('scanned')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_request_id'))
    op.drop_table('message')
