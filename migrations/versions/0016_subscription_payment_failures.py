"""subscriptions: the latest failed renewal payment, for staff

`subscriptions.payment_failed_invoice_id`, `payment_attempt_count`, `payment_next_attempt_at`
and `payment_failed_at`, from Stripe's `invoice.payment_failed` (cleared when that invoice is
paid).

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_failed_invoice_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('payment_attempt_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('payment_next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('payment_failed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('payment_failed_at')
        batch_op.drop_column('payment_next_attempt_at')
        batch_op.drop_column('payment_attempt_count')
        batch_op.drop_column('payment_failed_invoice_id')
