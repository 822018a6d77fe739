"""subscriptions: when each was cancelled, renewal moves Stripe has not taken yet, renewal notices

`subscriptions.canceled_at` (when Stripe cancelled it; churn over 30 days counts these).
`subscriptions.pending_renewal_on` / `pending_since`: a renewal date the shop asked Stripe for
and Stripe refused or could not take; a periodic task asks again until it does.
`subscriptions.renewal_notice_for`: the renewal date whose "your next bottle ships on" notice
went out (a moved date gets its own).

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('canceled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('pending_renewal_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('pending_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('renewal_notice_for', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_subscriptions_pending_renewal_on'), ['pending_renewal_on'], unique=False)
    op.execute("UPDATE subscriptions SET canceled_at = updated_at WHERE status = 'canceled'")


def downgrade():
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_pending_renewal_on'))
        batch_op.drop_column('renewal_notice_for')
        batch_op.drop_column('pending_since')
        batch_op.drop_column('pending_renewal_on')
        batch_op.drop_column('canceled_at')
