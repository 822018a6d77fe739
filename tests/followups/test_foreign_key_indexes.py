"""Deleting a row of a large table never scans the tables that reference it (PostgreSQL)."""
import pytest
from sqlalchemy import text

from shop.extensions import db

LARGE_TABLES = ("orders", "email_messages", "review_entries")

# Foreign keys (one column) whose column leads no index on the referencing table.
UNINDEXED_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text AS referencing, a.attname AS column_name
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.confrelid::regclass::text = ANY(:large)
  AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
"""


@pytest.mark.postgres
def test_every_reference_to_a_large_table_is_indexed(app):
    # given the schema as the models declare it
    # when PostgreSQL lists the foreign keys into the large tables that no index leads with
    with db.engine.connect() as conn:
        unindexed = conn.execute(text(UNINDEXED_FOREIGN_KEYS), {"large": list(LARGE_TABLES)}).all()
    # then there are none: deleting an email, an order or a review probes, never scans
    assert unindexed == []


@pytest.mark.postgres
def test_deleting_an_email_finds_its_followups_through_the_index(app):
    # when PostgreSQL plans what ON DELETE SET NULL runs for a deleted email
    with db.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(conn.exec_driver_sql(
            "EXPLAIN UPDATE followups SET email_message_id = NULL WHERE email_message_id = 1").scalars())
    # then it reads the follow-ups through their index on the column
    assert "ix_followups_email_message_id" in plan and "Seq Scan" not in plan, plan
