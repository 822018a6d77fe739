"""catalogue search, bundles, back-in-stock requests and low-stock alerts

Search (shop/catalog/search.py): `products.ingredient_names` (the names of a product's
ingredients, kept by the session), filled here for existing products. On PostgreSQL the
`pg_trgm` extension, a GIN index over the products' `to_tsvector` document and a trigram GIN
index on the name; on SQLite an FTS5 table `products_fts`, filled here. These objects are not
in the models' metadata; migrations/env.py keeps autogenerate from comparing them.

Bundles: `product_bundles` (several bottles of a product at one price) and
`order_items.bottles_per_unit` (1 for single bottles, N for a line of bundles of N).

Stock alerts (shop/catalog/alerts.py): `back_in_stock_requests` (an address waiting for a
product to return) and `low_stock_alerts` (one row per product whose low stock staff were told
of, until it is restocked above LOW_STOCK_THRESHOLD).

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

PG_DOCUMENT = ("to_tsvector('english'::regconfig, name || ' ' || summary || ' ' || description || ' ' || "
               "ingredient_names)")


def upgrade():
    op.create_table('product_bundles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('bottles', sa.Integer(), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.CheckConstraint('bottles >= 2', name=op.f('ck_product_bundles_bottles_at_least_two')),
    sa.CheckConstraint('price > 0', name=op.f('ck_product_bundles_price_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_bundles_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_bundles')),
    sa.UniqueConstraint('product_id', 'bottles', name='uq_product_bundles_product_bottles')
    )
    with op.batch_alter_table('product_bundles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_bundles_product_id'), ['product_id'], unique=False)

    op.create_table('back_in_stock_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_back_in_stock_requests_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_back_in_stock_requests')),
    sa.UniqueConstraint('product_id', 'email', name='uq_back_in_stock_requests_product_email')
    )
    with op.batch_alter_table('back_in_stock_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_back_in_stock_requests_product_id'), ['product_id'], unique=False)
    op.create_table('low_stock_alerts',
    sa.Column('product_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('alerted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_low_stock_alerts_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_low_stock_alerts'))
    )

    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bottles_per_unit', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_order_items_bottles_per_unit_positive'), 'bottles_per_unit >= 1')

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ingredient_names', sa.Text(), server_default='', nullable=False))

    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute(
            "UPDATE products SET ingredient_names = coalesce((SELECT string_agg(i.name, ' ' ORDER BY i.position, i.id) "
            "FROM ingredients i WHERE i.product_id = products.id), '')"
        )
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_products_search_document ON products USING gin (({PG_DOCUMENT}))")
        op.execute("CREATE INDEX IF NOT EXISTS ix_products_name_trgm ON products USING gin (name gin_trgm_ops)")
    elif dialect == 'sqlite':
        op.execute(
            "UPDATE products SET ingredient_names = coalesce((SELECT group_concat(name, ' ') FROM "
            "(SELECT i.name FROM ingredients i WHERE i.product_id = products.id ORDER BY i.position, i.id)), '')"
        )
        op.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(name, summary, description, ingredients, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        op.execute(
            "INSERT INTO products_fts (rowid, name, summary, description, ingredients) "
            "SELECT id, name, summary, description, ingredient_names FROM products"
        )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_products_name_trgm")
        op.execute("DROP INDEX IF EXISTS ix_products_search_document")
    elif dialect == 'sqlite':
        op.execute("DROP TABLE IF EXISTS products_fts")
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('ingredient_names')
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_order_items_bottles_per_unit_positive'), type_='check')
        batch_op.drop_column('bottles_per_unit')
    with op.batch_alter_table('product_bundles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_bundles_product_id'))
    op.drop_table('product_bundles')
    op.drop_table('low_stock_alerts')
    with op.batch_alter_table('back_in_stock_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_back_in_stock_requests_product_id'))
    op.drop_table('back_in_stock_requests')
