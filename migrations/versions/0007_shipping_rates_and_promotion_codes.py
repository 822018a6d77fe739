"""shipping rates, promotion codes, and a Stripe tax code per product

`shipping_rates`: what Stripe Checkout offers (sent inline with each session). `promotion_codes`:
codes customers type at Checkout, each created at Stripe as a coupon and a promotion code.
`products.tax_code`: what Stripe Tax charges the product as (existing products: general
tangible goods, txcd_99999999).

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('promotion_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('percent_off', sa.Integer(), nullable=True),
    sa.Column('amount_off', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('max_redemptions', sa.Integer(), nullable=True),
    sa.Column('first_order_only', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('stripe_coupon_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_promotion_code_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_error', sa.Text(), nullable=True),
    sa.Column('times_redeemed', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(percent_off IS NULL) <> (amount_off IS NULL)', name=op.f('ck_promotion_codes_one_discount')),
    sa.CheckConstraint('amount_off > 0', name=op.f('ck_promotion_codes_amount_off_positive')),
    sa.CheckConstraint('amount_off IS NULL OR currency IS NOT NULL', name=op.f('ck_promotion_codes_amount_has_currency')),
    sa.CheckConstraint('max_redemptions > 0', name=op.f('ck_promotion_codes_max_redemptions_positive')),
    sa.CheckConstraint('percent_off > 0 AND percent_off <= 100', name=op.f('ck_promotion_codes_percent_off_range')),
    sa.CheckConstraint('times_redeemed >= 0', name=op.f('ck_promotion_codes_times_redeemed_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_promotion_codes_code')),
    sa.UniqueConstraint('stripe_promotion_code_id', name=op.f('uq_promotion_codes_stripe_promotion_code_id'))
    )
    op.create_table('shipping_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('min_business_days', sa.Integer(), nullable=True),
    sa.Column('max_business_days', sa.Integer(), nullable=True),
    sa.Column('free_over', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_shipping_rates_amount_not_negative')),
    sa.CheckConstraint('free_over >= 0', name=op.f('ck_shipping_rates_free_over_not_negative')),
    sa.CheckConstraint('max_business_days >= min_business_days', name=op.f('ck_shipping_rates_days_in_order')),
    sa.CheckConstraint('min_business_days >= 1', name=op.f('ck_shipping_rates_min_days_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_rates'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_code', sa.String(length=40), server_default='txcd_99999999', nullable=False))



def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('tax_code')

    op.drop_table('shipping_rates')
    op.drop_table('promotion_codes')
