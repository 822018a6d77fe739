"""The hot queries at brand size: none reads a large table from end to end (PostgreSQL only).

A million orders, three million follow-ups, five million emails: a query that scans one of
those tables whole takes seconds, however fast it was on a demo store. These tests check the
plan of every statement that an admin page, the dashboard and the hot jobs run, not the time
they take (timings belong in bench/).

How, and why this way:

- The statements are the real ones: each test opens the page (or runs the job) as staff or the
  worker would, records every statement it sends, and asks PostgreSQL to EXPLAIN each with the
  same parameters. A query changed in the code is checked as changed; none is restated here.
- The plans are asked with `SET enable_seqscan = off`, on a few rows. That setting does not
  forbid a sequential scan: it makes the planner take one only when no index can answer the
  query at all. So a Seq Scan of a large table in these plans means a missing or unusable index
  (a `lower(email) LIKE '%x%'`, a sort no index matches), whatever the table holds, with no
  million rows to insert and no statistics to wait for. Filling the tables instead would make
  the planner's choices depend on how many rows a test can afford and on ANALYZE's sample.
- An index used without a condition can still read a whole table (a walk that filters every
  row). So each scan of a large table must also seek: an Index Cond (or a bitmap's Recheck
  Cond); or read a partial index, which holds only the rows waiting (the follow-ups due, the
  orders to ship, the questions); or walk an index in the list's order under a LIMIT with
  nothing to filter (a first page). Anything else fails with the statement and the plan.
- A page of a long list (a statement under a LIMIT, on the pages marked `ordered` below: the
  whole list, a status, a deep page) must come in its order from an index: asked again with
  `enable_sort = off` too, its plan may neither sort rows of a large table nor read one whole.
  On a few rows the planner may well prefer a sort, which costs nothing there; at a million rows
  a page that can only be had by sorting every order of a common status is a full read in
  disguise. A search by address or an order's own rows are selective: sorting their few
  matches is the right plan, so those pages are not marked.
"""
import json
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from shop.db import utcnow
from shop.extensions import db
from shop.orders.models import DELIVERED, PENDING_PAYMENT

pytestmark = pytest.mark.postgres

LARGE_TABLES = {"orders", "order_items", "order_events", "followups", "email_messages", "review_entries",
                "refunds", "stripe_events", "claim_audits"}
# Partial indexes that hold only what waits (or one small kind of row: questions, staff answers),
# however long the table's history grows.
WAITING_ONLY = {"ix_followups_due", "ix_orders_awaiting_shipment", "ix_review_entries_questions",
                "ix_review_entries_question_ids", "ix_review_entries_staff_answers", "uq_claims_order_live",
                "ix_stripe_events_parked"}
SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan"}


@contextmanager
def recorded():
    """Every statement any engine sends meanwhile, with its parameters."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not executemany and statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "WITH", "UPDATE", "DELETE"):
            sent.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def plan_of(statement, parameters, *, sorting: bool = True) -> dict:
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        if not sorting:
            conn.exec_driver_sql("SET enable_sort = off")
        rows = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters or {}).scalar()
        conn.rollback()
    return (json.loads(rows) if isinstance(rows, str) else rows)[0]["Plan"]


def full_reads(node: dict, under_limit: bool = False) -> list[str]:
    """The scans of large tables in `node` that do not seek (see the module's docstring)."""
    found = []
    if node.get("Node Type") in SCANS and node.get("Relation Name") in LARGE_TABLES:
        seeks = "Index Cond" in node or "Recheck Cond" in node
        waiting_only = node.get("Index Name") in WAITING_ONLY
        first_rows = under_limit and node["Node Type"] != "Seq Scan" and "Filter" not in node
        if node["Node Type"] == "Seq Scan" or not (seeks or waiting_only or first_rows):
            found.append(f"{node['Node Type']} on {node['Relation Name']} ({node.get('Index Name', 'no index')}, "
                         f"filter {node.get('Filter')})")
    if node.get("Node Type") == "Bitmap Heap Scan":
        return found  # its Bitmap Index Scans below carry the index conditions checked above
    under_limit = under_limit or node.get("Node Type") == "Limit"
    for child in node.get("Plans", []):
        found += full_reads(child, under_limit and child.get("Parent Relationship") != "InitPlan")
    return found


def large_sorts(node: dict, below_sort: bool = False) -> list[str]:
    """Sorts of rows read from a large table, in `node`."""
    sorting = below_sort or node.get("Node Type") in ("Sort", "Incremental Sort")
    found = [f"sort of {node['Relation Name']}"] if sorting and node.get("Relation Name") in LARGE_TABLES else []
    for child in node.get("Plans", []):
        found += large_sorts(child, sorting)
    return found


def assert_no_full_reads(sent, *, ordered: bool = False):
    problems = []
    for statement, parameters in sent:
        plan = plan_of(statement, parameters)
        reads = full_reads(plan)
        if ordered and plan["Node Type"] == "Limit":  # a page: it must come in order from an index
            unsorted = plan_of(statement, parameters, sorting=False)
            reads += full_reads(unsorted) + large_sorts(unsorted)
        if reads:
            problems.append(f"{'; '.join(reads)}\n    {statement}")
    assert not problems, "Statements that read a large table whole:\n" + "\n".join(problems)


def test_the_checker_sees_a_search_inside_addresses_read_every_order(app, admin_world):
    # Given the kind of search an index cannot answer (the address anywhere in the email)
    with recorded() as sent:
        db.session.execute(db.text("SELECT id FROM orders WHERE lower(email) LIKE '%orld%' ORDER BY id"))
    # Then the check refuses its plan, as it would refuse any page that sent it
    with pytest.raises(AssertionError, match="on orders"):
        assert_no_full_reads(sent)


@pytest.fixture
def brand(admin_world, app, make_order, make_product):
    """The admin world with more of everything: pages to turn, an order to ship, a refund, a
    question answered and one not, an email that failed."""
    from shop.emails.models import EmailMessage
    from shop.followups.services import schedule_for_order
    from shop.guarantee.models import ClaimAudit
    from shop.payments.models import Refund

    product = make_product(slug="second-product")
    orders = [make_order(product, email=f"buyer{i}@example.com")[0] for i in range(3)]
    waiting, _ = make_order(product, email="late@example.com", status=PENDING_PAYMENT)
    waiting.created_at = utcnow() - timedelta(hours=3)
    delivered, token = make_order(product, email="Jane@Example.com", status=DELIVERED,
                                  delivered_at=utcnow() - timedelta(days=20))
    schedule_for_order(delivered)  # its plan began 20 days ago: steps are due
    db.session.add(Refund(order_id=orders[0].id, amount=100, currency="usd", status="succeeded",
                          stripe_refund_id="re_plan_1"))
    db.session.add_all(EmailMessage(to=f"buyer{i}@example.com", kind="followup_dose", subject="Tonight",
                                    body_text="1 capsule", body_html="<p>1 capsule</p>", status="failed")
                       for i in range(3))
    db.session.add(ClaimAudit(claim_id=admin_world["claim_id"], actor="staff:a@example.com", action="note"))
    db.session.commit()
    return {**admin_world, "orders": [o.id for o in orders], "delivered_id": delivered.id, "token": token,
            "email_ids": list(db.session.scalars(db.select(EmailMessage.id).order_by(EmailMessage.id)))}


# (path, ordered): whether every page the path reads must come in order from an index.
ADMIN_PAGES = [
    ("/admin", True), ("/admin/orders", True), ("/admin/orders?page=2", True),
    ("/admin/orders?after={orders[1]}", True), ("/admin/orders?before={orders[0]}", True),
    ("/admin/orders?status=paid", True), ("/admin/orders?status=paid&after={orders[1]}", True),
    ("/admin/orders?q=jane", False), ("/admin/orders?q=jane@example.com", False),
    ("/admin/orders?q=%23{order_id}", True), ("/admin/orders/{order_id}", False),
    ("/admin/orders/{delivered_id}", False), ("/admin/fulfilment", True), ("/admin/fulfilment?after={orders[0]}", True),
    ("/admin/emails", True), ("/admin/emails?page=3", True), ("/admin/emails?after={email_ids[2]}", True),
    ("/admin/emails?to=buyer1", False), ("/admin/emails?status=failed", True),
    ("/admin/emails?status=failed&after={email_ids[2]}", True), ("/admin/emails/{message_id}", True),
    ("/admin/claims", True), ("/admin/claims?status=all", True), ("/admin/claims?status=all&after={claim_id}", True),
    ("/admin/claims/{claim_id}", False), ("/admin/claims/audit", True), ("/admin/claims/audit?after={claim_id}", True),
    ("/admin/reviews", True), ("/admin/reviews?after={entry_id}", True), ("/admin/questions", True),
    ("/admin/subscriptions", True), ("/admin/subscriptions?after=5", True),
]


@pytest.mark.parametrize("path,ordered", ADMIN_PAGES)
def test_an_admin_page_seeks_through_indexes(staff_client, brand, path, ordered):
    client, _ = staff_client("admin")
    with recorded() as sent:
        assert client.get(path.format(**brand)).status_code == 200
    assert sent
    assert_no_full_reads(sent, ordered=ordered)


def test_a_dispatch_pass_claims_its_due_rows_through_the_due_index(app, brand):
    from shop.followups.dispatch import dispatch_due_followups

    with recorded() as sent:
        result = dispatch_due_followups(utcnow())
    assert result.handled  # the delivered orders' first steps were due
    assert_no_full_reads(sent, ordered=True)


def test_reconciliation_selects_stale_checkouts_through_an_index(app, brand):
    from shop.payments.reconcile import stale_checkout_ids

    with recorded() as sent:
        assert stale_checkout_ids()
    assert_no_full_reads(sent)


def test_a_customer_data_export_finds_the_customer_by_address_through_indexes(app, brand):
    from shop.customers.services import export_customer_data

    with recorded() as sent:
        data = export_customer_data("jane@example.com")
    assert data["orders"]
    assert_no_full_reads(sent)


def test_the_product_page_and_its_reviews_page_seek(client, brand):
    with recorded() as sent:
        assert client.get("/products/world-product").status_code == 200
        assert client.get("/products/world-product?reviews_page=3").status_code == 200
    assert_no_full_reads(sent, ordered=True)


def test_the_order_page_a_customer_opens_from_an_email_seeks(app, client, brand):
    from shop.orders.access import order_link_token

    with recorded() as sent:
        path = f"/orders/{brand['delivered_id']}?t={order_link_token(brand['delivered_id'])}"
        assert client.get(path).status_code == 200
    assert_no_full_reads(sent)


def scans_of(node: dict, alias: str) -> list[str]:
    """The indexes (or "Seq Scan") through which `node` reads the table named `alias` in the statement."""
    found = [node.get("Index Name", node["Node Type"])] if node.get("Alias") == alias else []
    for child in node.get("Plans", []):
        found += scans_of(child, alias)
    return found


def test_a_paying_webhook_seeks_and_asks_for_parked_events_through_their_own_index(app, client, brand):
    from sqlalchemy import select

    from shop.orders.models import Order
    from shop.payments.models import StripeEvent
    from tests.payments.stripe_events import checkout_session, deliver, event

    # Given an order waiting for payment, and the events the shop ignored (no order: kept for
    # weeks, the most common kind of row without one), as PostgreSQL's statistics know them
    order = db.session.scalar(select(Order).where(Order.status == PENDING_PAYMENT))
    db.session.add_all(StripeEvent(event_id=f"evt_ignored_{n}", type="payment_intent.created", outcome="ignored")
                       for n in range(500))
    db.session.commit()
    db.session.execute(db.text("ANALYZE stripe_events"))
    db.session.commit()
    # When Stripe reports it paid
    with recorded() as sent:
        assert deliver(client, event("checkout.session.completed", checkout_session(order))).json["outcome"] == "paid"
    # Then no statement reads a large table whole, and the question "were events parked before
    # this payment?" reads the parked ones alone, not every event without an order
    assert_no_full_reads(sent)
    finishing = [(statement, parameters) for statement, parameters in sent if " parked" in statement]
    assert len(finishing) == 1
    assert scans_of(plan_of(*finishing[0]), "parked") == ["ix_stripe_events_parked"]
