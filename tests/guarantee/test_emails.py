"""The customer's guarantee emails, read back from a real SMTP server: each sent once."""
import pytest

from tests.smtp_server import smtp_config, smtp_server  # noqa: F401


@pytest.fixture
def app(stripe_app, smtp_server):  # noqa: F811
    stripe_app.config.update(smtp_config(smtp_server))
    return stripe_app


def subjects(server):
    return [m["Subject"] for m in server.messages]


def test_claim_received_then_refund_confirmed_each_once(
        claim_at_stripe, client, staff_member, stripe_standin, settled, run_tasks, smtp_server):  # noqa: F811
    # given a filed claim, approved and confirmed by Stripe
    order, claim_id = claim_at_stripe()
    _, headers = staff_member("support")
    client.post(f"/api/v1/admin/claims/{claim_id}/approve", json={}, headers=headers)
    settled()
    # when Stripe sends every event again and support clicks approve once more
    for event in stripe_standin.events():
        if event["type"].startswith(("refund.", "charge.refunded")):
            stripe_standin.redeliver(event["id"])
    settled()
    client.post(f"/api/v1/admin/claims/{claim_id}/approve", json={}, headers=headers)
    run_tasks()
    # then the customer got exactly two emails: claim received, refund confirmed
    assert sorted(subjects(smtp_server)) == sorted([
        f"We received your money-back claim for order #{order.id}",
        f"Your refund of $49.00 for order #{order.id}",
    ])
    refund_mail = next(m for m in smtp_server.messages if m["Subject"].startswith("Your refund"))
    assert refund_mail["To"] == order.email and "List-Unsubscribe" not in refund_mail
    text = refund_mail.get_body(("plain",)).get_content()
    assert "$49.00" in text and "5–10 business days" in text
    assert (order.card_last4 or "the card you paid with") in text


def test_a_denial_sends_the_note(open_claim, client, staff_member, run_tasks, smtp_server):  # noqa: F811
    order, claim_id = open_claim
    _, headers = staff_member("support")
    note = "We need at least two weeks on the plan <first>."
    client.post(f"/api/v1/admin/claims/{claim_id}/deny", json={"note": note}, headers=headers)
    client.post(f"/api/v1/admin/claims/{claim_id}/deny", json={"note": note}, headers=headers)
    run_tasks()
    denials = [m for m in smtp_server.messages if m["Subject"].startswith("About your money-back claim")]
    assert len(denials) == 1
    assert note in denials[0].get_body(("plain",)).get_content()
    assert "&lt;first&gt;" in denials[0].get_body(("html",)).get_content()
