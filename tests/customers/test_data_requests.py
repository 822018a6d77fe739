"""Customer data requests: export everything held about an email; erase it, keeping the accounts."""
import json

import pytest
from sqlalchemy import event, select

from shop.customers.services import (ADDRESSES_DIFFER, ERASED_TEXT, FORMER_CUSTOMER, confirm_erase,
                                     erase_customer_data, export_customer_data)
from shop.errors import Unprocessable
from shop.emails.models import FAILED, QUEUED, SENT, EmailMessage, EmailSuppression
from shop.extensions import db
from shop.followups.models import CANCELLED, SCHEDULED, FollowUp
from shop.followups.services import schedule_for_order
from shop.guarantee.services import file_claim
from shop.orders.models import DELIVERED, Order
from shop.payments.models import Refund
from shop.reviews.models import Entry
from shop.reviews.services import submit_entry

EMAIL = "Jane.Doe@Example.com"


@pytest.fixture
def customer(app, mag_rr, make_order):
    """Jane: a delivered order with tracking, follow-ups, a claim, a refund, emails and a review."""
    order, _ = make_order(mag_rr, email=EMAIL.lower(), status=DELIVERED)
    order.carrier, order.tracking_number = "UPS", "1Z999AA10123456784"
    schedule_for_order(order)
    claim = file_claim(order.id, "It did not help my sleep", details="Woke up at 3am every night")
    db.session.add(Refund(order_id=order.id, claim_id=claim.id, stripe_refund_id="re_test_1", amount=500,
                          currency=order.currency, status="succeeded"))
    db.session.add_all([
        EmailMessage(to=EMAIL.lower(), kind="order_confirmation", subject="Your order", body_text="Hi Jane",
                     body_html="<p>Hi Jane</p>", order_id=order.id, status=SENT),
        EmailMessage(to=EMAIL.lower(), kind="followup_dose", subject="Tonight", body_text="Take 1 capsule",
                     body_html="<p>Take 1 capsule</p>", order_id=order.id, status=QUEUED),
    ])
    submit_entry(mag_rr, name="Jane D.", email=EMAIL.lower(), body="Slept better from week two.", kind="review",
                 rating=5, website="https://jane.example.com")
    # Someone else, who must be left alone.
    make_order(mag_rr, email="other@example.com", status=DELIVERED)
    db.session.commit()
    return order


def test_export_holds_everything_about_the_address(customer):
    # when
    data = export_customer_data(EMAIL)
    # then
    assert json.loads(json.dumps(data)) == data  # JSON-ready as it is
    assert [o["id"] for o in data["orders"]] == [customer.id]
    order = data["orders"][0]
    assert order["items"][0]["slug"] == "mag-rr" and order["tracking_number"] == "1Z999AA10123456784"
    assert {e["to_status"] for e in order["events"]} >= {"paid", "delivered"}
    assert data["claims"][0]["reason"] == "It did not help my sleep"
    assert data["refunds"][0]["stripe_refund_id"] == "re_test_1"
    assert data["followups"] and all(f["order_id"] == customer.id for f in data["followups"])
    assert {"followup_dose", "order_confirmation", "claim_received"} <= {m["kind"] for m in data["emails"]}
    assert data["reviews"][0]["name"] == "Jane D." and data["reviews"][0]["website"] == "https://jane.example.com"
    assert data["suppressions"] == []


def test_erase_anonymises_and_keeps_the_accounting(customer):
    total, intent = customer.total, customer.stripe_payment_intent_id
    # when
    report = erase_customer_data(EMAIL)
    db.session.commit()
    # then: the order keeps its money and Stripe ids, loses the person
    db.session.expire_all()
    order = db.session.get(Order, customer.id)
    assert order.email.endswith("@erased.invalid") and "jane" not in order.email
    assert order.tracking_number is None
    assert (order.total, order.stripe_payment_intent_id) == (total, intent)
    assert len(order.items) == 1
    assert db.session.scalar(select(Refund.amount).where(Refund.order_id == order.id)) == 500
    # reviews anonymised, body kept
    entry = db.session.scalar(select(Entry))
    assert (entry.name, entry.email, entry.website) == (FORMER_CUSTOMER, None, None)
    assert entry.body == "Slept better from week two."
    # email bodies deleted; the queued one will never go out
    messages = db.session.scalars(select(EmailMessage).order_by(EmailMessage.id)).all()
    assert all(m.body_text == "" and m.body_html == "" and "jane" not in m.to.lower() for m in messages)
    assert next(m for m in messages if m.kind == "followup_dose").status == FAILED
    # scheduled follow-ups cancelled
    statuses = set(db.session.scalars(select(FollowUp.status).where(FollowUp.order_id == order.id)))
    assert SCHEDULED not in statuses and CANCELLED in statuses
    # suppressed for good, and nothing left to export
    assert db.session.scalar(select(EmailSuppression.email)) == EMAIL.lower()
    assert report.orders_scrubbed == 1 and report.reviews_anonymised == 1 and report.suppressed
    leftover = export_customer_data(EMAIL)
    assert leftover["orders"] == leftover["emails"] == leftover["reviews"] == []
    # the other customer is untouched
    assert db.session.scalar(select(Order.email).where(Order.id != order.id)) == "other@example.com"


def test_erase_can_remove_review_bodies_and_is_repeatable(customer):
    erase_customer_data(EMAIL, remove_review_bodies=True)
    db.session.commit()
    # when: asked again
    again = erase_customer_data(EMAIL)
    db.session.commit()
    # then
    assert db.session.scalar(select(Entry.body)) == ERASED_TEXT
    assert again.orders_scrubbed == 0 and not again.suppressed


def test_cli_export_and_erase(app, customer):
    runner = app.test_cli_runner()
    # when
    exported = runner.invoke(args=["customers", "export", EMAIL])
    erased = runner.invoke(args=["customers", "erase", EMAIL, "--yes"])
    # then
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["orders"][0]["id"] == customer.id
    assert erased.exit_code == 0, erased.output
    assert "1 order(s) scrubbed" in erased.output and "suppression list" in erased.output
    db.session.expire_all()
    assert db.session.get(Order, customer.id).email.endswith("@erased.invalid")


def test_cli_refuses_a_malformed_address(app):
    result = app.test_cli_runner().invoke(args=["customers", "erase", "not-an-email", "--yes"])
    assert result.exit_code != 0 and "Email address invalid" in result.output


def _signed_in(make_app, make_staff, role):
    web = make_app()
    staff, _ = make_staff(role)
    client = web.test_client()
    client.post("/admin/login", data={"email": staff.email, "password": "correct horse battery"})
    return client


def test_admin_exports_and_erases(make_app, make_staff, customer):
    client = _signed_in(make_app, make_staff, "admin")
    # when
    page = client.get("/admin/data")
    exported = client.post("/admin/data/export", data={"export-email": EMAIL})
    mismatch = client.post("/admin/data/erase", data={"erase-email": EMAIL, "erase-confirm_email": "x@example.com"})
    erased = client.post("/admin/data/erase", data={"erase-email": EMAIL, "erase-confirm_email": EMAIL})
    # then
    assert page.status_code == 200 and b"Customer data requests" in page.data
    assert exported.status_code == 200 and exported.mimetype == "application/json"
    assert exported.get_json()["orders"][0]["id"] == customer.id
    assert mismatch.status_code == 422 and b"The two addresses differ" in mismatch.data
    assert erased.status_code == 200 and b"order(s) scrubbed" in erased.data
    db.session.expire_all()
    assert db.session.get(Order, customer.id).email.endswith("@erased.invalid")


@pytest.mark.parametrize("confirmation", [EMAIL, EMAIL.upper(), f"  {EMAIL.lower()} "])
def test_an_erasure_is_confirmed_by_the_same_address_in_any_case(confirmation):
    confirm_erase(EMAIL, confirmation)  # no refusal


def test_an_erasure_confirmed_by_another_address_is_refused_on_the_confirmation():
    with pytest.raises(Unprocessable) as refused:
        confirm_erase(EMAIL, "jane.do@example.com")
    assert refused.value.errors == {"confirm_email": [ADDRESSES_DIFFER]}


def test_a_refused_erasure_in_the_admin_changes_nothing(make_app, make_staff, customer):
    # Given an admin, and Jane's data as it is
    client = _signed_in(make_app, make_staff, "admin")
    before = export_customer_data(EMAIL)
    # When the two addresses typed differ
    response = client.post("/admin/data/erase", data={"erase-email": EMAIL, "erase-confirm_email": "jane@example.com",
                                                      "erase-remove_review_bodies": "y"})
    # Then the form says so, and everything held about Jane is as it was (nothing suppressed either)
    assert response.status_code == 422 and ADDRESSES_DIFFER.encode() in response.data
    db.session.expire_all()
    after = export_customer_data(EMAIL)
    assert {k: v for k, v in after.items() if k != "exported_at"} == \
        {k: v for k, v in before.items() if k != "exported_at"}
    assert after["suppressions"] == []


@pytest.mark.parametrize("role", ["support", "fulfilment"])
def test_only_admins_handle_data_requests(make_app, make_staff, customer, role):
    client = _signed_in(make_app, make_staff, role)
    assert client.get("/admin/data").status_code == 403
    assert client.post("/admin/data/export", data={"export-email": EMAIL}).status_code == 403
    assert client.post("/admin/data/erase", data={"erase-email": EMAIL, "erase-confirm_email": EMAIL}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Order, customer.id).email == EMAIL.lower()


def _statements_of_export(email: str) -> tuple[dict, list[str]]:
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    db.session.expire_all()
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        data = export_customer_data(email)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return data, statements


def test_export_costs_the_same_for_one_order_or_six(customer, mag_rr, make_order):
    # given Jane's export with one order
    _, one = _statements_of_export(EMAIL)
    # when she has placed five more, each with its items and timeline
    for _ in range(5):
        make_order(mag_rr, email=EMAIL.lower(), status=DELIVERED)
    db.session.commit()
    data, six = _statements_of_export(EMAIL)
    # then the export holds every order, complete, for the same number of statements
    assert len(data["orders"]) == 6
    assert all(order["items"] and order["events"] for order in data["orders"])
    assert len(six) == len(one) <= 14, six


def test_export_finds_addresses_through_their_lower_cased_form(customer):
    # when
    _, statements = _statements_of_export(EMAIL)
    # then every look-up by address compares lower(column), as the expression indexes are built
    where = " ".join(" ".join(s.lower().split()) for s in statements)
    for column in ("orders.email", 'email_messages."to"', "review_entries.email"):
        assert f"where lower({column}) = " in where, column
    # and the suppression list, stored lower-cased, by its unique index on the column itself
    assert "where email_suppressions.email = " in where
