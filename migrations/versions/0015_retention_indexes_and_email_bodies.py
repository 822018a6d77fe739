"""retention: the indexes the retention job reads by, and emails whose body was removed

The retention job (shop/retention) deletes settled follow-ups some time after their last change
(`ix_followups_updated_at`), deletes Stripe webhook events once Stripe can no longer send them
again (`ix_stripe_events_received_at`), and replaces the body of sent emails past their time by
a notice (`email_messages.body_removed_at`, and the partial index
`ix_email_messages_body_held_sent_at` over the sent emails whose body is still held).

These are a store's largest tables, so on PostgreSQL the indexes are built CONCURRENTLY (no lock
against writes while they build, outside the migration's transaction).

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

BODY_HELD = "status = 'sent' AND body_removed_at IS NULL"
# (index, table, column, partial-index condition or None)
INDEXES = (
    ('ix_followups_updated_at', 'followups', 'updated_at', None),
    ('ix_stripe_events_received_at', 'stripe_events', 'received_at', None),
    ('ix_email_messages_body_held_sent_at', 'email_messages', 'sent_at', BODY_HELD),
)


def _where(condition):
    if condition is None:
        return {}
    return {'postgresql_where': sa.text(condition), 'sqlite_where': sa.text(condition)}


def upgrade():
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_removed_at', sa.DateTime(), nullable=True))

    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            for name, table, column, condition in INDEXES:
                op.create_index(name, table, [column], unique=False, postgresql_concurrently=True,
                                **_where(condition))
        return
    for name, table, column, condition in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, [column], unique=False, **_where(condition))


def downgrade():
    for name, table, _column, condition in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name, **_where(condition))
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.drop_column('body_removed_at')
