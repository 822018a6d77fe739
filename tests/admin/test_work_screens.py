"""The screens staff work in, through the real forms: they call the domains' services."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.accounts.models import ApiToken, Staff
from shop.catalog.models import Product
from shop.db import utcnow
from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.followups.models import FollowUp
from shop.guarantee.models import Claim
from shop.guarantee.services import file_claim
from shop.orders.models import DELIVERED, Order
from shop.payments.models import Refund
from shop.reviews.models import Entry
from shop.reviews.services import submit_entry
from tests.stripe_fixtures import STANDIN_API_KEY


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


# --- orders -----------------------------------------------------------------------------------

def test_orders_search_by_email_number_and_status(staff_client, mag_rr, make_order):
    first, _ = make_order(mag_rr, email="alice@example.com")
    make_order(mag_rr, email="bob@example.com")
    client, _ = staff_client("support")
    by_email = client.get("/admin/orders?q=ALICE").get_data(as_text=True)
    assert "alice@example.com" in by_email and "bob@example.com" not in by_email
    by_number = client.get(f"/admin/orders?q=%23{first.id}").get_data(as_text=True)
    assert "alice@example.com" in by_number and "bob@example.com" not in by_number
    assert "No orders match" in client.get("/admin/orders?status=refunded").get_data(as_text=True)


def test_fulfilment_ships_then_delivers_an_order(staff_client, mag_rr, make_order):
    # Given a paid order and a fulfilment member on its page
    order, _ = make_order(mag_rr, email="carol@example.com")
    client, staff = staff_client("fulfilment")
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Mark shipped" in page and "Mag R&amp;R" in page
    # When they ship it with a carrier and tracking number
    response = client.post(f"/admin/orders/{order.id}/ship", data={"carrier": "UPS", "tracking_number": "1Z999"})
    # Then the order is shipped and the customer's shipped email is queued
    assert response.status_code == 303
    shipped = fresh(Order, order.id)
    assert (shipped.status, shipped.carrier, shipped.tracking_number) == ("shipped", "UPS", "1Z999")
    assert shipped.events[-1].actor == f"staff:{staff.email}"
    assert db.session.scalar(select(EmailMessage.kind).where(EmailMessage.order_id == order.id)) == "order_shipped"
    # When they mark it delivered two days ago (store time)
    when = (utcnow() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/admin/orders/{order.id}/deliver", data={"delivered_at": when})
    # Then it is delivered and its titration follow-ups are scheduled
    assert response.status_code == 303
    assert fresh(Order, order.id).status == "delivered"
    assert db.session.scalars(select(FollowUp).where(FollowUp.order_id == order.id)).all()
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Nothing to do from delivered" in page and "scheduled" in page


@pytest.mark.parametrize("field", ["carrier", "tracking_number"])
def test_the_ship_form_refuses_a_line_break_and_ships_nothing(staff_client, mag_rr, make_order, field):
    # Given a paid order and a fulfilment member
    order, _ = make_order(mag_rr)
    client, _ = staff_client("fulfilment")
    data = {"carrier": "UPS", "tracking_number": "1Z999"}
    data[field] += "\r\nBcc: everyone@example.com"
    # When they ship it with a line break in one field
    response = client.post(f"/admin/orders/{order.id}/ship", data=data)
    # Then the form answers 422 with the reason, and the order is not shipped
    assert response.status_code == 422
    assert "Must not contain line breaks" in response.get_data(as_text=True)
    assert fresh(Order, order.id).status == "paid"


def test_a_future_delivery_or_an_impossible_step_is_refused(staff_client, mag_rr, make_order):
    order, _ = make_order(mag_rr)
    client, _ = staff_client("fulfilment")
    future = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/admin/orders/{order.id}/deliver", data={"delivered_at": future})
    assert response.status_code == 422
    assert "cannot be in the future" in response.get_data(as_text=True)
    assert fresh(Order, order.id).status == "paid"
    ancient = client.post(f"/admin/orders/{order.id}/deliver", data={"delivered_at": "0001-01-01T00:00"})
    assert ancient.status_code == 422
    pending, _ = make_order(mag_rr, status="pending_payment")
    response = client.post(f"/admin/orders/{pending.id}/ship", data={"carrier": "UPS", "tracking_number": "1"})
    assert response.status_code == 409
    assert fresh(Order, pending.id).status == "pending_payment"


def test_shipping_needs_both_fields(staff_client, mag_rr, make_order):
    order, _ = make_order(mag_rr)
    client, _ = staff_client("fulfilment")
    response = client.post(f"/admin/orders/{order.id}/ship", data={"carrier": "UPS"})
    assert response.status_code == 422
    assert "Required field missing" in response.get_data(as_text=True)


# --- reviews and questions --------------------------------------------------------------------

def test_moderation_shows_flagged_words_and_publishes(staff_client, mag_rr):
    entry, _ = submit_entry(mag_rr, kind="review", rating=5, name="Dan", email="dan@example.com",
                            body="Vivid dreams at first but it cured my insomnia")
    db.session.commit()
    client, _ = staff_client("support")
    page = client.get("/admin/reviews").get_data(as_text=True)
    assert "<mark>vivid dreams</mark>" in page and "<mark>cured my insomnia</mark>" in page
    response = client.post(f"/admin/reviews/{entry.id}/publish", data={"back": "/admin/reviews"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/reviews"
    assert fresh(Entry, entry.id).status == "published"
    assert fresh(Product, mag_rr.id).rating_count == 1


def test_the_moderation_queue_comes_in_pages_oldest_first(staff_client, mag_rr):
    # Given 120 entries waiting for moderation, written a minute apart
    start = utcnow() - timedelta(days=1)
    db.session.add_all(
        Entry(product_id=mag_rr.id, kind="question", name="Sam", email="sam@example.com",
              body=f"Waiting entry {number:03d}.", body_digest=str(number), flags={},
              created_at=start + timedelta(minutes=number))
        for number in range(120)
    )
    db.session.commit()
    client, _ = staff_client("support")
    # When support opens the queue, then its last page
    first = client.get("/admin/reviews").get_data(as_text=True)
    last = client.get("/admin/reviews?page=3").get_data(as_text=True)
    # Then a page shows 50, oldest first, with a way on; the last one the rest
    assert first.count('class="entry panel') == 50
    assert "Waiting entry 000." in first and "Waiting entry 049." in first and "Waiting entry 050." not in first
    assert "Page 1 of 3" in first and 'href="/admin/reviews?page=2"' in first
    assert last.count('class="entry panel') == 20 and "Waiting entry 119." in last
    # ... and acting on an entry returns to the page it was on
    assert 'name="back" value="/admin/reviews?page=3"' in last


def test_answering_a_question_inline_publishes_it_and_emails_the_asker(staff_client, mag_rr):
    question, _ = submit_entry(mag_rr, kind="question", name="Eve", email="eve@example.com",
                               body="Can I take it with <b>coffee</b>?")
    db.session.commit()
    client, staff = staff_client("support")
    page = client.get("/admin/questions").get_data(as_text=True)
    assert "Can I take it with &lt;b&gt;coffee&lt;/b&gt;?" in page  # escaped, never rendered
    # An empty answer is refused where it was typed
    response = client.post(f"/admin/reviews/{question.id}/answer", data={"body": " ", "back": "/admin/questions"})
    assert response.status_code == 422 and "Required field missing" in response.get_data(as_text=True)
    # A real one is published, the question with it, and the asker emailed
    response = client.post(f"/admin/reviews/{question.id}/answer",
                           data={"body": "Best taken away from caffeine.", "back": "/admin/questions"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/questions"
    assert fresh(Entry, question.id).status == "published"
    answer = db.session.scalar(select(Entry).where(Entry.parent_id == question.id))
    assert answer.is_staff and answer.status == "published" and answer.staff_id == staff.id
    assert db.session.scalar(select(EmailMessage.to).where(EmailMessage.kind == "question_answered")) == "eve@example.com"
    assert "Every question has an answer" in client.get("/admin/questions").get_data(as_text=True)


def test_the_back_field_cannot_lead_off_site(staff_client, mag_rr):
    entry, _ = submit_entry(mag_rr, kind="review", rating=4, name="F", email="f@example.com", body="Fine")
    db.session.commit()
    client, _ = staff_client("support")
    response = client.post(f"/admin/reviews/{entry.id}/reject", data={"back": "https://evil.example/"})
    assert response.headers["Location"] == "/admin/reviews"


# --- emails -----------------------------------------------------------------------------------

def _email(status="failed", category="transactional", to="gina@example.com", html="<p>Hi</p>"):
    message = EmailMessage(to=to, kind="order_confirmation", category=category, subject="Your order",
                           body_text="Hi Gina", body_html=html, status=status)
    db.session.add(message)
    db.session.commit()
    return message


def test_the_outbox_filters_by_address_and_shows_html_safely(staff_client):
    message = _email(html='<p>Hi</p><script>alert("x")</script>')
    _email(to="other@example.com")
    client, _ = staff_client("support")
    listing = client.get("/admin/emails?to=gina").get_data(as_text=True)
    assert "gina@example.com" in listing and "other@example.com" not in listing
    page = client.get(f"/admin/emails/{message.id}").get_data(as_text=True)
    assert "<script>alert" not in page  # only ever escaped on the page itself
    assert "&lt;script&gt;" in page and f'sandbox="" referrerpolicy="no-referrer" title="The email as HTML" src="/admin/emails/{message.id}/html"' in page
    # The preview frame's answer may not run script, and only our pages may frame it
    preview = client.get(f"/admin/emails/{message.id}/html")
    policy = preview.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "frame-ancestors 'self'" in policy
    assert "script-src" not in policy and preview.headers["X-Frame-Options"] == "SAMEORIGIN"
    # ... while every other admin page keeps the store's policy
    assert "frame-ancestors 'none'" in client.get(f"/admin/emails/{message.id}").headers["Content-Security-Policy"]


def test_a_failed_transactional_email_is_sent_again(staff_client, web):
    message = _email()
    client, _ = staff_client("support")
    response = client.post(f"/admin/emails/{message.id}/resend")
    assert response.status_code == 303
    assert fresh(EmailMessage, message.id).status == "queued"
    assert [task.name for task, args in web.config["TASKS_CAPTURE"]] == ["shop.emails.tasks.send_email"]


def test_a_sent_or_marketing_email_is_not_resent(staff_client, web):
    sent = _email(status="sent")
    marketing = _email(category="marketing")
    client, _ = staff_client("support")
    for message in (sent, marketing):
        response = client.post(f"/admin/emails/{message.id}/resend", follow_redirects=True)
        assert response.status_code == 200
        assert fresh(EmailMessage, message.id).status in ("sent", "failed")
    assert web.config["TASKS_CAPTURE"] == []


# --- staff ------------------------------------------------------------------------------------

def test_an_admin_adds_staff_changes_a_role_and_manages_tokens(staff_client, web):
    client, admin = staff_client("admin")
    response = client.post("/admin/staff", data={"email": "Hana@Example.com", "role": "fulfilment",
                                                 "password": "a long enough password"})
    assert response.status_code == 303
    hana = db.session.scalar(select(Staff).where(Staff.email == "hana@example.com"))
    assert hana.role == "fulfilment"
    # A duplicate is refused on the form
    again = client.post("/admin/staff", data={"email": "hana@example.com", "role": "support",
                                              "password": "a long enough password"})
    assert again.status_code == 422 and "exists already" in again.get_data(as_text=True)
    # Role change
    client.post(f"/admin/staff/{hana.id}/role", data={"role": "support"})
    assert fresh(Staff, hana.id).role == "support"
    # A token is shown once and works on the staff API; revoked, it stops working
    page = client.post(f"/admin/staff/{hana.id}/tokens", data={"name": "scanner"}).get_data(as_text=True)
    token = re.search(r'data-testid="new-token">([^<]+)<', page).group(1)
    api = web.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/admin/claims", headers=headers).status_code == 200
    assert token not in client.get(f"/admin/staff/{hana.id}").get_data(as_text=True)
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.staff_id == hana.id, ApiToken.name == "scanner"))
    client.post(f"/admin/staff/{hana.id}/tokens/{token_id}/revoke")
    assert api.get("/api/v1/admin/claims", headers=headers).status_code == 401


def test_an_admin_cannot_lock_themselves_out(staff_client):
    client, admin = staff_client("admin")
    page = client.post(f"/admin/staff/{admin.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "You cannot deactivate yourself" in page.get_data(as_text=True)
    page = client.post(f"/admin/staff/{admin.id}/role", data={"role": "support"}, follow_redirects=True)
    assert "You cannot change your own role" in page.get_data(as_text=True)
    assert fresh(Staff, admin.id).active and fresh(Staff, admin.id).role == "admin"


def test_deactivating_a_member_ends_their_session(staff_client):
    admin_client, _ = staff_client("admin")
    member_client, member = staff_client("support")
    assert member_client.get("/admin/claims").status_code == 200
    admin_client.post(f"/admin/staff/{member.id}/active", data={"active": "0"})
    assert member_client.get("/admin/claims").status_code in (302, 303)


# --- dashboard --------------------------------------------------------------------------------

def test_the_dashboard_counts_today_and_links_to_the_queues(staff_client, mag_rr, make_order):
    make_order(mag_rr)
    make_order(mag_rr, quantity=2)
    delivered, _ = make_order(mag_rr, status=DELIVERED, delivered_at=utcnow() - timedelta(days=40))
    file_claim(delivered.id, "No change in my sleep")
    db.session.add(Refund(order_id=delivered.id, amount=1470, currency="usd", status="succeeded"))
    db.session.add(EmailMessage(to="x@example.com", kind="followup_dose", subject="Tonight", body_text="",
                                body_html="", status="failed"))
    db.session.commit()
    client, _ = staff_client("support")
    page = client.get("/admin").get_data(as_text=True)
    assert re.search(r'data-metric="orders-today">2<', page)
    assert "$147.00" in page  # 49 + 98 paid today
    assert re.search(r'data-metric="open-claims">1<', page)
    assert re.search(r'data-metric="followups-failed">1<', page)
    assert re.search(r'data-metric="refund-rate">10.0%<', page)  # 14.70 of 147.00 paid in 30 days
    assert 'href="/admin/claims"' in page and 'href="/admin/questions"' in page
    assert "<svg" in page and "<rect" in page and "style=" not in page


# --- claims (refunds through the Stripe stand-in) ----------------------------------------------

def test_support_approves_a_partial_refund_and_stripe_confirms_it(
        make_app, stripe_standin, make_staff, sign_in, mag_rr, make_order, paid_at_stripe):
    # Given the shop talking to the Stripe stand-in, whose webhooks come back to it
    web = make_app(STRIPE_API_BASE=stripe_standin.url, STRIPE_SECRET_KEY=STANDIN_API_KEY,
                   STRIPE_WEBHOOK_SECRET=stripe_standin.webhook_secret)
    stripe_standin.deliver_to_app(web)
    # ... a delivered order paid at Stripe, with an open claim
    order, _ = make_order(mag_rr, status=DELIVERED, delivered_at=utcnow() - timedelta(days=5))
    paid_at_stripe(order)
    claim = file_claim(order.id, "It did not help")
    db.session.commit()
    staff, _ = make_staff("support")
    client = web.test_client()
    sign_in(client, staff)
    page = client.get(f"/admin/claims/{claim.id}").get_data(as_text=True)
    assert "It did not help" in page and "$49.00" in page
    # When support approves more than was paid, it is refused and nothing is refunded
    response = client.post(f"/admin/claims/{claim.id}/approve", data={"amount": "60.00"})
    assert response.status_code == 422
    assert fresh(Claim, claim.id).status == "open"
    # When support approves $20.00 of it
    response = client.post(f"/admin/claims/{claim.id}/approve", data={"amount": "20.00"})
    assert response.status_code == 303
    # Then Stripe refunds it and, by webhook, the claim and the order say so
    stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()), timeout=10)
    decided = fresh(Claim, claim.id)
    assert (decided.status, decided.refunded_amount) == ("refunded", 2000)
    assert fresh(Order, order.id).refunded_total == 2000
    audit = client.get("/admin/claims/audit").get_data(as_text=True)
    assert f"staff:{staff.email}" in audit and "$20.00" in audit


def test_support_denies_a_claim_with_a_note(staff_client, mag_rr, make_order):
    order, _ = make_order(mag_rr, status=DELIVERED, delivered_at=utcnow() - timedelta(days=5))
    claim = file_claim(order.id, "Meh")
    db.session.commit()
    client, _ = staff_client("support")
    assert client.post(f"/admin/claims/{claim.id}/deny", data={"note": ""}).status_code == 422
    response = client.post(f"/admin/claims/{claim.id}/deny", data={"note": "Outside what the guarantee covers."})
    assert response.status_code == 303
    assert fresh(Claim, claim.id).status == "denied"
    queue = client.get("/admin/claims").get_data(as_text=True)
    assert "No claims here" in queue
