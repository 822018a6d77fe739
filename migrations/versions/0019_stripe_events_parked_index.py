"""stripe_events: a partial index on the parked events, which every paying webhook asks for

A paying webhook asks whether events that named no order yet (outcome 'unknown order') arrived
before it. Through the index on order_id that question walked every row without an order: the
ignored events, kept for STRIPE_EVENT_RETENTION_DAYS, and the old version of every event row
that a webhook inserted without its order and then finished, which stays in that index until
VACUUM. Under a burst of payments the question cost more with each one. The partial index holds
the parked events only.

Built CONCURRENTLY on PostgreSQL (no lock against writes while it builds on a large table).

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

INDEX, TABLE = 'ix_stripe_events_parked', 'stripe_events'
PARKED = sa.text("order_id IS NULL AND outcome = 'unknown order'")


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.create_index(INDEX, TABLE, ['received_at'], unique=False, postgresql_where=PARKED,
                            postgresql_concurrently=True)
        return
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(INDEX, ['received_at'], unique=False, sqlite_where=PARKED)


def downgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(INDEX)
