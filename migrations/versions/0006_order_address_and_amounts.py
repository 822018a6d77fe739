"""orders: the shipping address and the amounts Stripe charged

Adds the address Stripe Checkout collects (`shipping_*`), the figures of the completed session
(`amount_subtotal`, `amount_shipping`, `amount_discount`, `amount_tax`; `total` is then Stripe's
`amount_total`), the chosen shipping rate and the promotion code. The old `shipping` column
(always 0: the shop charged no shipping before) becomes `amount_shipping`.

Orders paid before this revision were charged exactly their items (no shipping options, codes
or tax were offered then), so their figures are filled in as such; unpaid orders keep NULLs.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

AMOUNTS = ('amount_subtotal', 'amount_shipping', 'amount_discount', 'amount_tax')


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for name in AMOUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('shipping_rate_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('shipping_rate_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('promotion_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('stripe_promotion_code_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('shipping_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('shipping_line1', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('shipping_line2', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('shipping_city', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('shipping_state', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('shipping_postal_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('shipping_country', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('shipping_phone', sa.String(length=64), nullable=True))
        for name in AMOUNTS:
            batch_op.create_check_constraint(f'{name}_not_negative', sa.column(name) >= 0)
    op.execute(
        "UPDATE orders SET amount_subtotal = total - shipping, amount_shipping = shipping, "
        "amount_discount = 0, amount_tax = 0 WHERE paid_at IS NOT NULL"
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('shipping')


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipping', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE orders SET shipping = COALESCE(amount_shipping, 0)")
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for name in reversed(AMOUNTS):
            batch_op.drop_constraint(f'{name}_not_negative', type_='check')
        for name in ('shipping_phone', 'shipping_country', 'shipping_postal_code', 'shipping_state',
                     'shipping_city', 'shipping_line2', 'shipping_line1', 'shipping_name',
                     'stripe_promotion_code_id', 'promotion_code', 'shipping_rate_name', 'shipping_rate_id'):
            batch_op.drop_column(name)
        for name in reversed(AMOUNTS):
            batch_op.drop_column(name)
