"""refunds: who asked for a refund outside any claim, and why

Staff may refund an order, or cancel it before it ships, outside any guarantee claim
(`shop.payments.staff_refunds`). The refund row records the staff member who asked
(`requested_by_id`, kept as NULL if that member is removed) and the reason they gave; the order's
timeline holds the same with the idempotency key. Existing rows (claims, dashboard refunds) keep
NULLs.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_refunds_requested_by_id_staff'), 'staff', ['requested_by_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_refunds_requested_by_id_staff'), type_='foreignkey')
        batch_op.drop_column('reason')
        batch_op.drop_column('requested_by_id')
