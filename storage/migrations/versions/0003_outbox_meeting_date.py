"""outbox: the meeting an agenda or a call for requests is about

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 12:30:00

Until now that date was only inside the mail's key ("agenda:2026-12-18:..."), which
storage had to parse back. Existing rows get it from their key.
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_date', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_meeting_date'), ['meeting_date'],
                              unique=False)
    outbox = sa.table('outbox', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                      sa.column('key', sa.String), sa.column('meeting_date', sa.Date))
    connection = op.get_bind()
    rows = connection.execute(sa.select(outbox.c.id, outbox.c.key).where(
        outbox.c.kind.in_(('agenda', 'reminder')))).all()
    for row_id, key in rows:
        connection.execute(outbox.update().where(outbox.c.id == row_id).values(
            meeting_date=date.fromisoformat(key.split(':')[1])))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_meeting_date'))
        batch_op.drop_column('meeting_date')
