"""A signed-in customer sees every order of their address, guest orders included: on /account,
on each order's page, and from GET /api/v1/account/orders."""
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from shop.db import utcnow
from shop.extensions import db
from shop.followups.dispatch import dispatch_due_followups
from shop.guarantee.services import file_claim
from shop.orders.models import DELIVERED, PAID, SHIPPED
from tests.followups.conftest import DELIVERED_AT, evening

JANE = "jane@example.com"


def test_guest_orders_of_the_address_are_attached_whatever_their_letter_case(client, sign_in, mag_rr, make_order):
    # Given guest orders placed with Jane's address in two spellings, and someone else's
    first, _ = make_order(mag_rr, email="Jane@Example.com", status=PAID)
    second, _ = make_order(mag_rr, email=JANE, status=SHIPPED)
    other, _ = make_order(mag_rr, email="janet@example.com")
    # When Jane signs in with a third spelling
    sign_in(client, "JANE@example.com")
    page = client.get("/account")
    # Then both of her orders are listed, newest first, and no one else's
    text = page.data.decode()
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert text.index(f"Order {second.id}") < text.index(f"Order {first.id}")
    assert f"Order {other.id}" not in text
    assert "Paid — being prepared" in text and "Shipped" in text


def test_the_page_shows_tracking_plan_progress_and_the_claim(client, sign_in, mag_rr, delivered):
    # Given a delivered order, shipped with tracking, two dose steps sent, and a claim
    order, _ = delivered(mag_rr, email=JANE)
    order.carrier, order.tracking_number = "UPS", "1Z999AA10123456784"
    db.session.commit()
    dispatch_due_followups(now=evening(0))
    dispatch_due_followups(now=evening(7))
    file_claim(order.id, "No better yet", now=DELIVERED_AT + timedelta(days=8))
    db.session.commit()
    # When Jane looks at her account
    sign_in(client, JANE)
    text = client.get("/account").data.decode()
    # Then
    assert "UPS" in text and "1Z999AA10123456784" in text
    assert "2 of 3 steps reached, now 2 capsules a night; next: 3 capsules from Tue May 19" in text
    assert "Money-back claim" in text and "received, being reviewed" in text
    assert "Dosing reminders for this order: <strong>on</strong>" in text


def test_the_order_page_opens_for_the_signed_in_customer_of_its_address(client, sign_in, mag_rr, make_order):
    mine, _ = make_order(mag_rr, email="Jane@Example.com")
    theirs, _ = make_order(mag_rr, email="bob@example.com")
    # Before signing in, without the emailed link, neither opens
    assert client.get(f"/orders/{mine.id}").status_code == 404
    sign_in(client, JANE)
    # Then Jane's opens (with the claim form's panel and the rest), Bob's still does not
    page = client.get(f"/orders/{mine.id}")
    assert page.status_code == 200 and f"Order {mine.id}".encode() in page.data
    assert client.get(f"/orders/{theirs.id}").status_code == 404
    assert client.get("/orders/999999").status_code == 404


def test_the_checkout_success_page_and_the_order_page_offer_the_sign_in(client, mag_rr, make_order):
    order, _ = make_order(mag_rr, email=JANE)
    from shop.orders.access import order_page_url

    with client.application.test_request_context():
        link = order_page_url(order, external=False)
    for page in (client.get(link), client.get(f"/checkout/success?session_id={order.stripe_checkout_session_id}")):
        assert page.status_code == 200
        assert b'href="/account/login">Sign in to see all your orders' in page.data


def test_the_api_lists_the_orders_of_the_session_in_the_order_shape(client, sign_in, mag_rr, make_order, delivered):
    # Given Jane's two orders (one with a plan and a claim) and Bob's
    paid, token = make_order(mag_rr, email="Jane@Example.com", status=PAID)
    done, done_token = delivered(mag_rr, email=JANE)
    file_claim(done.id, "No better yet", now=DELIVERED_AT + timedelta(days=8))
    db.session.commit()
    make_order(mag_rr, email="bob@example.com")
    sign_in(client, JANE)
    # When
    listed = client.get("/api/v1/account/orders")
    # Then each item is exactly what GET /api/v1/orders/<id> answers for it
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    items = listed.get_json()["items"]
    assert [item["id"] for item in items] == [done.id, paid.id]
    for item, order_token in zip(items, (done_token, token)):
        single = client.get(f"/api/v1/orders/{item['id']}", headers={"X-Order-Token": order_token}).get_json()
        assert item == single
    assert items[0]["claims"][0]["status"] == "open" and len(items[0]["followups"]) == 6
    assert "Set-Cookie" not in listed.headers


def test_the_api_answers_401_in_the_error_shape_when_signed_out(client):
    for cookie in (None, "made-up-key"):
        if cookie:
            client.set_cookie("customer_session", cookie)
        response = client.get("/api/v1/account/orders")
        assert response.status_code == 401 and response.headers["Cache-Control"] == "no-store"
        body = response.get_json()
        assert body["code"] == 401 and body["status"] == "Unauthorized" and body["errors"] == {}


@contextmanager
def counting(app):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def _orders(n, mag_rr, make_order):
    for _ in range(n):
        order, _ = make_order(mag_rr, email=JANE, status=DELIVERED, delivered_at=utcnow() - timedelta(days=3))
        file_claim(order.id, "No better")
    db.session.commit()


def test_the_page_and_the_api_cost_the_same_for_two_orders_or_eight(app, client, sign_in, mag_rr, make_order):
    sign_in(client, JANE)
    _orders(2, mag_rr, make_order)
    with counting(app) as few_page:
        assert client.get("/account").status_code == 200
    with counting(app) as few_api:
        assert len(client.get("/api/v1/account/orders").get_json()["items"]) == 2
    _orders(6, mag_rr, make_order)
    with counting(app) as many_page:
        assert client.get("/account").status_code == 200
    with counting(app) as many_api:
        assert len(client.get("/api/v1/account/orders").get_json()["items"]) == 8
    assert len(many_page) == len(few_page) and len(many_api) == len(few_api)
