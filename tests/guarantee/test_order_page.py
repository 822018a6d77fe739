"""The claim form on the order page: deadline, CSRF, filing, and the claim's status after."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from shop.db import utcnow
from shop.extensions import db
from shop.guarantee.models import Claim
from shop.orders.access import order_link_token
from shop.orders.models import DELIVERED, SHIPPED


@pytest.fixture
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app


def open_page(client, order):
    return client.get(f"/orders/{order.id}?t={order_link_token(order.id)}")


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_delivered_order_shows_the_deadline_and_the_form(csrf_app, make_order, mag_rr):
    order, _ = make_order(mag_rr, status=DELIVERED, delivered_at=utcnow() - timedelta(days=5))
    client = csrf_app.test_client()
    html = open_page(client, order).get_data(as_text=True)
    assert "Money-back guarantee" in html
    deadline = (order.delivered_at + timedelta(days=60)).astimezone(ZoneInfo(csrf_app.config["SHOP_TIMEZONE"]))
    assert deadline.strftime("%B %-d, %Y") in html and 'name="reason"' in html and csrf_token(html)


def test_an_undelivered_order_says_when_the_guarantee_starts(csrf_app, make_order, mag_rr):
    order, _ = make_order(mag_rr, status=SHIPPED)
    html = open_page(csrf_app.test_client(), order).get_data(as_text=True)
    assert "starts when your order is delivered" in html and 'name="reason"' not in html


def test_filing_from_the_page_redirects_back_and_shows_the_status(csrf_app, make_order, mag_rr):
    # given the customer opened their order page from the email link
    order, _ = make_order(mag_rr, status=DELIVERED, delivered_at=utcnow() - timedelta(days=5))
    client = csrf_app.test_client()
    token = csrf_token(open_page(client, order).get_data(as_text=True))
    # when they submit the form
    response = client.post(f"/orders/{order.id}/claim", data={
        "csrf_token": token, "reason": "No change in my sleep.", "doses_reached": "3", "side_effects": ""})
    # then they are sent back to the order page, which shows the claim received
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/orders/{order.id}")
    claim = db.session.scalar(select(Claim))
    assert claim.reason == "No change in my sleep." and claim.doses_reached == 3
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "received" in html and 'name="reason"' not in html


def test_the_form_needs_its_csrf_token(csrf_app, make_order, mag_rr):
    order, _ = make_order(mag_rr, status=DELIVERED, delivered_at=utcnow() - timedelta(days=5))
    client = csrf_app.test_client()
    open_page(client, order)
    response = client.post(f"/orders/{order.id}/claim", data={"reason": "x"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Claim.id))) == 0


def test_without_access_to_the_order_the_form_is_404(csrf_app, make_order, mag_rr):
    order, _ = make_order(mag_rr, status=DELIVERED, delivered_at=utcnow() - timedelta(days=5))
    app_without_csrf = csrf_app
    app_without_csrf.config["WTF_CSRF_ENABLED"] = False
    response = app_without_csrf.test_client().post(f"/orders/{order.id}/claim", data={"reason": "x"})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(Claim.id))) == 0


def test_a_blank_reason_is_explained_and_files_nothing(csrf_app, make_order, mag_rr):
    order, _ = make_order(mag_rr, status=DELIVERED, delivered_at=utcnow() - timedelta(days=5))
    client = csrf_app.test_client()
    token = csrf_token(open_page(client, order).get_data(as_text=True))
    response = client.post(f"/orders/{order.id}/claim", data={"csrf_token": token, "reason": "  "},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Required field missing" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Claim.id))) == 0
