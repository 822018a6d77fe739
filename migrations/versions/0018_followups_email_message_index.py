"""followups: an index on email_message_id, the column its foreign key sets to null

`followups.email_message_id` references `email_messages` with ON DELETE SET NULL: each row of
the email log deleted makes PostgreSQL find the follow-ups naming it.
Without an index on the column that is a sequential scan of every follow-up (millions at a
brand's size) per email deleted. Every other foreign key that references a large table (orders,
email_messages, review_entries) already has an index leading with its column.

Built CONCURRENTLY on PostgreSQL (no lock against writes while it builds on a large table).

Revision ID: 0018
Revises: 0017
"""
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

INDEX, TABLE, COLUMN = 'ix_followups_email_message_id', 'followups', 'email_message_id'


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.create_index(INDEX, TABLE, [COLUMN], unique=False, postgresql_concurrently=True)
        return
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(INDEX, [COLUMN], unique=False)


def downgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(INDEX)
