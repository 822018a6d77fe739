"""indexes for brand size: the admin's lists, searches by address, the dashboard's sums

Each index serves a query that runs on every page view or pass at a million orders
(tests/admin/test_query_plans.py checks their plans on PostgreSQL; docs/operations/indexes.md
lists them):

- orders (created_at, id) and (status, created_at, id): the order list newest first, whole and
  by status, and its keyset pages; the second replaces (status, created_at).
- orders (paid_at): the dashboard's takings. orders (paid_at, id) WHERE paid (or refunded in
  part) and neither shipped nor delivered: the fulfilment queue, oldest payment first.
- lower(orders.email), lower(email_messages.to) (text_pattern_ops on PostgreSQL: equality and
  prefix LIKE whatever the collation), lower(review_entries.email): a customer's orders, emails
  and reviews, and the admin's search by the start of an address.
- email_messages (status, id): the email log by status. followups (sent_at): sent today.
- review_entries (status, created_at, id) replaces (status, created_at): the moderation queue;
  review_entries (created_at, id) and (id) WHERE a top-level question, and (parent_id) WHERE a
  published staff answer: unanswered questions, listed and counted.
- claim_audits (created_at, id), claims (created_at, id), refunds (status, updated_at).

On PostgreSQL the indexes are built CONCURRENTLY (outside the migration's transaction), so a
store taking orders keeps taking them while the indexes of its large tables are built. A build
that fails leaves an INVALID index: drop it and run the upgrade again.

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

NOT_SHIPPED = sa.text("status IN ('paid', 'partially_refunded') AND shipped_at IS NULL AND delivered_at IS NULL")
TOP_LEVEL_QUESTION = sa.text("kind = 'question' AND parent_id IS NULL")
STAFF_ANSWER = sa.text("is_staff IS true AND status = 'published'")

# (name, table, columns or expressions, options)
INDEXES = [
    ('ix_orders_created_at_id', 'orders', ['created_at', 'id'], {}),
    ('ix_orders_status_created_at_id', 'orders', ['status', 'created_at', 'id'], {}),
    ('ix_orders_paid_at', 'orders', ['paid_at'], {}),
    ('ix_orders_awaiting_shipment', 'orders', ['paid_at', 'id'],
     {'postgresql_where': NOT_SHIPPED, 'sqlite_where': NOT_SHIPPED}),
    ('ix_orders_email_lower', 'orders', [sa.text('lower(email) text_pattern_ops')], {}),
    ('ix_email_messages_status_id', 'email_messages', ['status', 'id'], {}),
    ('ix_email_messages_to_lower', 'email_messages', [sa.text('lower("to") text_pattern_ops')], {}),
    ('ix_review_entries_status_created_at_id', 'review_entries', ['status', 'created_at', 'id'], {}),
    ('ix_review_entries_questions', 'review_entries', ['created_at', 'id'],
     {'postgresql_where': TOP_LEVEL_QUESTION, 'sqlite_where': TOP_LEVEL_QUESTION}),
    ('ix_review_entries_question_ids', 'review_entries', ['id'],
     {'postgresql_where': TOP_LEVEL_QUESTION, 'sqlite_where': TOP_LEVEL_QUESTION}),
    ('ix_review_entries_staff_answers', 'review_entries', ['parent_id'],
     {'postgresql_where': STAFF_ANSWER, 'sqlite_where': STAFF_ANSWER}),
    ('ix_review_entries_email_lower', 'review_entries', [sa.text('lower(email)')], {}),
    ('ix_followups_sent_at', 'followups', ['sent_at'], {}),
    ('ix_claim_audits_created_at_id', 'claim_audits', ['created_at', 'id'], {}),
    ('ix_claims_created_at_id', 'claims', ['created_at', 'id'], {}),
    ('ix_refunds_status_updated_at', 'refunds', ['status', 'updated_at'], {}),
]
REPLACED = [
    ('ix_orders_status_created_at', 'orders', ['status', 'created_at']),
    ('ix_review_entries_status_created_at', 'review_entries', ['status', 'created_at']),
]


def _postgres() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def _columns(columns):
    if _postgres():
        return columns
    # SQLite has no operator classes: the same expressions without them.
    return [sa.text(c.text.replace(' text_pattern_ops', '')) if isinstance(c, sa.sql.elements.TextClause) else c
            for c in columns]


def upgrade():
    if _postgres():
        with op.get_context().autocommit_block():
            for name, table, columns, options in INDEXES:
                op.create_index(name, table, columns, postgresql_concurrently=True, **options)
            for name, table, _ in REPLACED:
                op.drop_index(name, table_name=table, postgresql_concurrently=True)
        return
    for name, table, columns, options in INDEXES:
        op.create_index(name, table, _columns(columns), **options)
    for name, table, _ in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade():
    for name, table, columns in REPLACED:
        op.create_index(name, table, columns)
    for name, table, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
