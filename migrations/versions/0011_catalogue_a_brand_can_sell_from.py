"""catalogue: pictures, Supplement Facts, product-specific advice, collections, policy pages

Products gain their own advice (dose timing, side effects, stopping, when to see a doctor) and
the fields of the Supplement Facts panel; an ingredient gains its percent Daily Value. Existing
products get empty advice and facts (`seed-demo` fills the demo products'; staff fill the rest).

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('collections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False, server_default=''),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collections')),
    sa.UniqueConstraint('slug', name=op.f('uq_collections_slug'))
    )
    op.create_table('policy_pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_pages')),
    sa.UniqueConstraint('slug', name=op.f('uq_policy_pages_slug'))
    )
    op.create_table('collection_products',
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name=op.f('fk_collection_products_collection_id_collections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_collection_products_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'product_id', name=op.f('pk_collection_products'))
    )
    with op.batch_alter_table('collection_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_products_product_id'), ['product_id'], unique=False)

    op.create_table('product_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('alt', sa.String(length=300), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('fallback', sa.String(length=4), nullable=False),
    sa.Column('widths', sa.String(length=60), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('width > 0 AND height > 0', name=op.f('ck_product_images_size_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_images_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_images'))
    )
    with op.batch_alter_table('product_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_images_product_id'), ['product_id'], unique=False)

    with op.batch_alter_table('ingredients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('daily_value_percent', sa.Integer(), nullable=True))

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dose_timing', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('side_effect_advice', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('stopping_advice', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('see_doctor_if', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('serving_size', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('servings_per_container', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('other_ingredients', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('allergens', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('warnings', sa.Text(), nullable=False, server_default=''))



def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('warnings')
        batch_op.drop_column('allergens')
        batch_op.drop_column('other_ingredients')
        batch_op.drop_column('servings_per_container')
        batch_op.drop_column('serving_size')
        batch_op.drop_column('see_doctor_if')
        batch_op.drop_column('stopping_advice')
        batch_op.drop_column('side_effect_advice')
        batch_op.drop_column('dose_timing')

    with op.batch_alter_table('ingredients', schema=None) as batch_op:
        batch_op.drop_column('daily_value_percent')

    with op.batch_alter_table('product_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_images_product_id'))

    op.drop_table('product_images')
    with op.batch_alter_table('collection_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_products_product_id'))

    op.drop_table('collection_products')
    op.drop_table('policy_pages')
    op.drop_table('collections')
