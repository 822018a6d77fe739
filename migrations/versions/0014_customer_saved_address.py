"""customers: a saved shipping address and the Stripe Customer that pre-fills Checkout

`customers.shipping_*` (the columns orders have), `customers.stripe_customer_id` (unique: one
Stripe Customer per account, made at its first signed-in checkout) and
`customers.stripe_shipping_outdated` (the saved address changed since Stripe last had it).

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

ADDRESS = (('shipping_name', 255), ('shipping_line1', 255), ('shipping_line2', 255), ('shipping_city', 255),
           ('shipping_state', 255), ('shipping_postal_code', 64), ('shipping_country', 2), ('shipping_phone', 64))


def upgrade():
    with op.batch_alter_table('customers', schema=None) as batch_op:
        for name, length in ADDRESS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
        batch_op.add_column(sa.Column('stripe_customer_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('stripe_shipping_outdated', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_customers_stripe_customer_id'), ['stripe_customer_id'])


def downgrade():
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_customers_stripe_customer_id'), type_='unique')
        batch_op.drop_column('stripe_shipping_outdated')
        batch_op.drop_column('stripe_customer_id')
        for name, _ in reversed(ADDRESS):
            batch_op.drop_column(name)
