"""A staff member's day in a real browser: sign in, refund a claim, answer a question, deliver."""
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from shop.db import utcnow
from shop.emails.models import EmailMessage
from shop.guarantee.services import file_claim
from shop.orders.models import DELIVERED, SHIPPED
from shop.extensions import db
from shop.reviews.services import submit_entry


def test_staff_signs_in_refunds_a_claim_answers_a_question_and_delivers_an_order(
        live_shop, page, screenshot, make_staff, make_product, make_order, paid_at_stripe, stripe_standin):
    # Given a store with an open claim on an order paid at Stripe, a question, and a shipped order
    mag_rr = make_product(slug="mag-rr", name="Mag R&R")
    claimed, _ = make_order(mag_rr, email="claimer@example.com", status=DELIVERED,
                            delivered_at=utcnow() - timedelta(days=12))
    paid_at_stripe(claimed)
    claim = file_claim(claimed.id, "Three weeks in and I still wake at 3am.", doses_reached=3)
    question, _ = submit_entry(mag_rr, kind="question", name="Ines", email="ines@example.com",
                               body="Can I take it with my evening tea?")
    shipped, _ = make_order(mag_rr, email="shipped@example.com", status=SHIPPED)
    db.session.commit()
    staff, _ = make_staff("admin", email="lead@example.com")

    # When staff open the admin, they are asked to sign in, and land on the dashboard
    page.goto(f"{live_shop.url}/admin")
    expect(page).to_have_url(f"{live_shop.url}/admin/login?next=/admin")
    screenshot(page, "admin-login")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    expect(page.locator('[data-metric="open-claims"]')).to_have_text("1")
    screenshot(page, "admin-dashboard")

    # ... open the claims queue from the dashboard and approve the claim in full
    page.get_by_role("link", name="open claims").click()
    expect(page).to_have_url(f"{live_shop.url}/admin/claims")
    screenshot(page, "admin-claims")
    page.get_by_role("link", name=f"Claim #{claim.id}", exact=True).click()
    expect(page.locator("p.quote").first).to_have_text("Three weeks in and I still wake at 3am.")
    screenshot(page, "admin-claim")
    page.get_by_role("button", name="Approve and refund").click()
    expect(page.get_by_role("status").first).to_contain_text("approved")

    # Then Stripe's refund webhook turns the claim refunded
    stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()), timeout=10)
    page.reload()
    expect(page.get_by_test_id("claim-status")).to_have_text("refunded")
    expect(page.get_by_role("cell", name="$49.00").first).to_be_visible()
    screenshot(page, "admin-claim-refunded")

    # When they answer the question inline
    page.get_by_role("link", name="Questions").click()
    expect(page.get_by_text("Can I take it with my evening tea?")).to_be_visible()
    screenshot(page, "admin-questions")
    page.locator(f"#answer-{question.id}").fill("Yes: a caffeine-free tea is a fine companion.")
    page.get_by_role("button", name="Answer").click()
    # Then it is published and the queue is empty
    expect(page.get_by_text("Every question has an answer.")).to_be_visible()

    # When they mark the shipped order delivered (now)
    page.get_by_role("link", name="Orders", exact=True).click()
    screenshot(page, "admin-orders")
    page.get_by_role("link", name=f"Order #{shipped.id}", exact=True).click()
    page.get_by_role("button", name="Mark delivered").click()
    # Then the order is delivered and its follow-ups are scheduled
    expect(page.get_by_test_id("order-status")).to_have_text("delivered")
    expect(page.get_by_role("cell", name="scheduled").first).to_be_visible()
    screenshot(page, "admin-order-delivered")

    # The other main screens render too, the answer's email to the asker among them
    answered = db.session.scalar(select(EmailMessage.id).where(EmailMessage.to == "ines@example.com"))
    for name, path in (("admin-products", "/admin/products"), ("admin-product-edit", f"/admin/products/{mag_rr.id}"),
                       ("admin-emails", "/admin/emails"), ("admin-email", f"/admin/emails/{answered}"),
                       ("admin-staff", "/admin/staff"), ("admin-audit", "/admin/claims/audit")):
        page.goto(live_shop.url + path)
        if name == "admin-email":
            expect(page.frame_locator("iframe.email-preview").get_by_text("Yes: a caffeine-free tea")).to_be_visible()
            page.locator("iframe.email-preview").scroll_into_view_if_needed()
        screenshot(page, name, full_page=name != "admin-email")
    # ... with no script error and nothing refused by the Content-Security-Policy
    assert page.problems == []
