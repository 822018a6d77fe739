"""subscriptions: subscribe & save

A product may be subscribed to at a discount (`products.subscription_discount_percent`, 1-90,
NULL = not subscribable). `subscriptions` keeps each Stripe subscription the shop sold: its
first order, product, quantity, status, renewal interval and next renewal date, and a copy of
the address renewals ship to. A renewal order names its subscription and the Stripe invoice that
paid it (`orders.stripe_invoice_id`, unique: one order per invoice).

Revision ID: 0010
Revises: 0009_customer_accounts
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009_customer_accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('stripe_subscription_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_customer_id', sa.String(length=255), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('interval_days', sa.Integer(), nullable=False),
    sa.Column('next_renewal_on', sa.Date(), nullable=True),
    sa.Column('next_billing_at', sa.DateTime(), nullable=True),
    sa.Column('shipping_name', sa.String(length=255), nullable=True),
    sa.Column('shipping_line1', sa.String(length=255), nullable=True),
    sa.Column('shipping_line2', sa.String(length=255), nullable=True),
    sa.Column('shipping_city', sa.String(length=255), nullable=True),
    sa.Column('shipping_state', sa.String(length=255), nullable=True),
    sa.Column('shipping_postal_code', sa.String(length=64), nullable=True),
    sa.Column('shipping_country', sa.String(length=2), nullable=True),
    sa.Column('shipping_phone', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('interval_days > 0', name=op.f('ck_subscriptions_subscription_interval_positive')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_subscriptions_subscription_quantity_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_subscriptions_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_subscriptions_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('order_id', name=op.f('uq_subscriptions_order_id')),
    sa.UniqueConstraint('stripe_subscription_id', name=op.f('uq_subscriptions_stripe_subscription_id'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_product_id'), ['product_id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subscription_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('stripe_invoice_id', sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_orders_subscription_id'), ['subscription_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_orders_stripe_invoice_id'), ['stripe_invoice_id'])

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subscription_discount_percent', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_products_subscription_discount_range'),
            'subscription_discount_percent IS NULL OR (subscription_discount_percent BETWEEN 1 AND 90)')



def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_products_subscription_discount_range'), type_='check')
        batch_op.drop_column('subscription_discount_percent')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_orders_stripe_invoice_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_orders_subscription_id'))
        batch_op.drop_column('stripe_invoice_id')
        batch_op.drop_column('subscription_id')

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_product_id'))

    op.drop_table('subscriptions')
