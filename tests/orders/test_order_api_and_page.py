"""GET /api/v1/orders/<id> with X-Order-Token, the order page, and the confirmation email."""
import re

import pytest

from shop.extensions import db
from shop.orders.models import DELIVERED, PAID, PENDING_PAYMENT
from tests.payments.stripe_events import checkout_session, deliver, event
from tests.smtp_server import smtp_config, smtp_server  # noqa: F401  the fixture


def test_order_api_with_its_token(client, mag_rr, make_order):
    # given a delivered order (its follow-ups are scheduled on delivery by the fulfilment API)
    order, token = make_order(mag_rr, quantity=2, status=PAID)
    # when the customer reads it with the token
    response = client.get(f"/api/v1/orders/{order.id}", headers={"X-Order-Token": token})
    # then every field of API.md is there, money in cents, times with an offset
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"id", "status", "email", "items", "total", "currency", "paid_at", "shipped_at",
                         "delivered_at", "refunded_total", "followups", "claims", "shipping_address", "amounts",
                         "subscription"}
    assert body["subscription"] is None  # a one-time order
    assert body["status"] == PAID and body["total"] == mag_rr.price * 2 and body["refunded_total"] == 0
    assert body["items"] == [{"slug": "mag-rr", "name": "Mag R&R", "quantity": 2, "unit_price": mag_rr.price,
                              "bundle": None, "bottles": 2}]
    assert body["paid_at"].endswith("+00:00") and body["shipped_at"] is None
    assert body["followups"] == [] and body["claims"] == []
    assert body["amounts"] == {"subtotal": mag_rr.price * 2, "shipping": 0, "discount": 0, "tax": 0,
                               "total": body["total"]}


def test_delivered_order_lists_its_followups_shaped_per_api(client, mag_rr, make_order):
    from shop.followups.services import schedule_for_order

    order, token = make_order(mag_rr, status=DELIVERED)
    schedule_for_order(order)
    db.session.commit()
    body = client.get(f"/api/v1/orders/{order.id}", headers={"X-Order-Token": token}).get_json()
    assert body["followups"] and set(body["followups"][0]) == {"day", "capsules", "due_at", "status"}
    assert body["delivered_at"].endswith("+00:00")


@pytest.mark.parametrize("headers", [{}, {"X-Order-Token": ""}, {"X-Order-Token": "wrong"}])
def test_wrong_or_missing_token_is_404_like_an_unknown_order(client, mag_rr, make_order, headers):
    # given an order and someone without its token
    order, token = make_order(mag_rr)
    # when they ask for it, and for an order that does not exist
    response = client.get(f"/api/v1/orders/{order.id}", headers=headers)
    unknown = client.get("/api/v1/orders/999999", headers={"X-Order-Token": token})
    # then both answers are the same 404
    assert response.status_code == unknown.status_code == 404
    assert response.get_json() == unknown.get_json()
    assert response.get_json()["code"] == 404


def test_another_orders_token_does_not_open_it(client, mag_rr, make_order):
    first, _ = make_order(mag_rr)
    _, other_token = make_order(mag_rr)
    assert client.get(f"/api/v1/orders/{first.id}", headers={"X-Order-Token": other_token}).status_code == 404


def test_huge_order_ids_are_404_not_500(client):
    response = client.get("/api/v1/orders/99999999999999999999", headers={"X-Order-Token": "x"})
    assert response.status_code == 404


def test_order_page_opens_from_the_signed_link_only(app, client, mag_rr, make_order):
    from shop.orders.access import order_page_url

    # given a paid order
    order, _ = make_order(mag_rr, quantity=2)
    with app.test_request_context():
        link = order_page_url(order, external=False)
    # when a stranger guesses the URL without the signature
    assert client.get(f"/orders/{order.id}").status_code == 404
    assert client.get(f"/orders/{order.id}?t=forged").status_code == 404
    # then only the signed link opens it, and the session remembers the grant
    page = client.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Order {order.id}" in html and "Mag R&amp;R" in html and "Paid" in html
    assert client.get(f"/orders/{order.id}").status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"


def test_order_page_tells_times_by_the_stores_clock(app, client, mag_rr, make_order):
    from datetime import datetime

    from shop.orders.access import order_page_url

    # given an order paid at 03:30 UTC on March 1st: still February 28th in New York
    order, _ = make_order(mag_rr, status=PAID)
    order.created_at = order.paid_at = datetime(2026, 3, 1, 3, 30)
    for event_row in order.events:
        event_row.created_at = datetime(2026, 3, 1, 3, 30)
    db.session.commit()
    assert app.config["SHOP_TIMEZONE"] == "America/New_York"
    with app.test_request_context():
        link = order_page_url(order, external=False)
    # when the customer opens it
    html = client.get(link).get_data(as_text=True)
    # then dates and the history read in the store's time zone
    assert "Placed February 28, 2026" in html and "on February 28, 2026." in html
    assert "Feb 28, 2026 22:30 EST" in html and "UTC" not in html
    assert '<time datetime="2026-03-01T03:30:00+00:00">' in html  # machine-readable, with its offset


def test_confirmation_email_rendered_and_sent_once(make_app, smtp_server, mag_rr, make_order):  # noqa: F811
    # given a shop sending through a real SMTP server, and an order waiting for payment
    app = make_app(**smtp_config(smtp_server))
    with app.app_context():
        order, _ = make_order(mag_rr, quantity=2, status=PENDING_PAYMENT)
        client = app.test_client()
        # when Stripe confirms the payment, twice
        evt = event("checkout.session.completed", checkout_session(order))
        deliver(client, evt)
        deliver(client, evt)
        # then one email is handed to the worker, and the worker sends it
        captured = app.config["TASKS_CAPTURE"]
        assert len(captured) == 1
        task, args = captured.pop()
        task.run(*args)
    [mail] = smtp_server.messages
    assert mail["To"] == "buyer@example.com"
    assert mail["Subject"] == f"Your order {order.id} is confirmed"
    assert "List-Unsubscribe" not in mail
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "2 × Mag R&R" in text and "$98.00" in text
    link = re.search(r"http://shop\.test/orders/\d+\?t=\S+", text).group(0)
    assert link in html.replace("&amp;", "&")
    # and the link opens the order page
    with app.app_context():
        page = app.test_client().get(link.removeprefix("http://shop.test"))
        assert page.status_code == 200


def test_answers_about_an_order_are_never_cached(app, client, mag_rr, make_order):
    from shop.orders.access import order_page_url

    # given a delivered order, its token and its signed page link
    order, token = make_order(mag_rr, status=DELIVERED)
    with app.test_request_context():
        link = order_page_url(order, external=False)
    headers = {"X-Order-Token": token}
    # when the customer reads it through the API, files a claim, and opens its page
    answers = {
        "order api": client.get(f"/api/v1/orders/{order.id}", headers=headers),
        "claim api": client.post(f"/api/v1/orders/{order.id}/claims", json={"reason": "No help"}, headers=headers),
        "page": client.get(link),
        "claim form": client.post(f"/orders/{order.id}/claim", data={"reason": "Again"}),
        "wrong token": client.get(f"/api/v1/orders/{order.id}", headers={"X-Order-Token": "wrong"}),
    }
    # then no answer may be kept by a browser or a shared cache
    assert {name: r.status_code for name, r in answers.items()} == {
        "order api": 200, "claim api": 201, "page": 200, "claim form": 303, "wrong token": 404}
    assert {name: r.headers.get("Cache-Control") for name, r in answers.items()} == dict.fromkeys(answers, "no-store")


def test_order_page_from_an_email_costs_four_statements(app, client, mag_rr, make_order):
    from sqlalchemy import event as sql_event

    from shop.followups.services import schedule_for_order
    from shop.guarantee.services import file_claim
    from shop.orders.access import order_page_url
    from shop.payments.models import Refund

    # given a delivered order with its dosing plan, a claim and a refund
    order, _ = make_order(mag_rr, status=DELIVERED)
    schedule_for_order(order)
    claim = file_claim(order.id, "It did not help")
    db.session.add(Refund(order_id=order.id, claim_id=claim.id, stripe_refund_id="re_page_1", amount=500,
                          currency=order.currency, status="succeeded"))
    db.session.commit()
    with app.test_request_context():
        link = order_page_url(order, external=False)
    db.session.expire_all()
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    # when the customer opens the link from an email
    sql_event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = client.get(link)
    finally:
        sql_event.remove(db.engine, "before_cursor_execute", listener)
    # then the page shows everything it showed, from four statements
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Mag R&amp;R" in html and "Your dosing plan" in html and "Money-back guarantee" in html
    assert "received</strong>" in html and "Refunds" in html and "Order placed" in html
    assert len(statements) <= 4, statements
