"""Email preferences on the account page change what the worker sends."""
from sqlalchemy import select

from shop.emails.models import EmailMessage, EmailSuppression
from shop.extensions import db
from shop.followups.dispatch import dispatch_due_followups
from shop.followups.models import CHECKIN, DOSE, FollowUp
from tests.followups.conftest import evening

JANE = "jane@example.com"


def _sent(order, kind=None):
    db.session.expire_all()
    query = select(EmailMessage.kind).where(EmailMessage.order_id == order.id).order_by(EmailMessage.id)
    return [k for k in db.session.scalars(query) if kind is None or k == kind]


def _step(order, kind, day):
    db.session.expire_all()
    return db.session.scalar(select(FollowUp).where(FollowUp.order_id == order.id, FollowUp.kind == kind,
                                                    FollowUp.step_day == day))


def test_turned_off_reminders_are_not_sent_by_a_dispatch_pass_and_others_still_are(
        client, sign_in, mag_rr, delivered):
    # Given two delivered orders of Jane's, and Jane signed in
    quiet, _ = delivered(mag_rr, email=JANE)
    other, _ = delivered(mag_rr, email="Jane@Example.com")
    sign_in(client, JANE)
    # When she turns the first order's dosing reminders off
    response = client.post(f"/account/orders/{quiet.id}/reminders", data={"on": "0"})
    assert response.status_code == 303
    page = client.get("/account").data.decode()
    assert page.count("Dosing reminders for this order: <strong>off</strong>") == 1
    # and the evening of the first step comes
    dispatch_due_followups(now=evening(0))
    # Then that order's step is not sent (cancelled, saying why); the other order's is
    assert _sent(quiet) == [] and _sent(other) == ["followup_dose"]
    first = _step(quiet, DOSE, 0)
    assert (first.status, first.cancel_reason) == ("cancelled", "reminders off")


def test_reminders_turned_back_on_go_out_for_the_steps_still_to_come(client, sign_in, mag_rr, delivered):
    order, _ = delivered(mag_rr, email=JANE)
    sign_in(client, JANE)
    client.post(f"/account/orders/{order.id}/reminders", data={"on": "0"})
    dispatch_due_followups(now=evening(0))
    # When the reminders go back on before day 7
    client.post(f"/account/orders/{order.id}/reminders", data={"on": "1"})
    dispatch_due_followups(now=evening(7))
    # Then day 7's step goes out
    assert _sent(order) == ["followup_dose"] and _step(order, DOSE, 7).status == "sent"


def test_a_check_in_is_not_skipped_for_a_later_dose_step_that_will_not_go_out(client, sign_in, make_product, delivered):
    # Given a plan with a check-in between two dose steps, that order's reminders off, and a
    # dispatcher that was down from day 3 until day 7's evening
    from shop.catalog.models import STEP_CHECKIN, STEP_DOSE

    product = make_product(plan=[(0, 1, STEP_DOSE, "one"), (3, 1, STEP_CHECKIN, "how is it going?"),
                                 (7, 2, STEP_DOSE, "two")])
    order, _ = delivered(product, email=JANE)
    sign_in(client, JANE)
    client.post(f"/account/orders/{order.id}/reminders", data={"on": "0"})
    dispatch_due_followups(now=evening(7))
    # Then the check-in goes out (the later dose step, cancelled, does not make it stale)
    assert _step(order, CHECKIN, 3).status == "sent"
    assert [_step(order, DOSE, day).status for day in (0, 7)] == ["cancelled", "cancelled"]


def test_marketing_off_writes_the_unsubscribe_list_and_the_worker_honours_it(client, sign_in, mag_rr, delivered):
    order, _ = delivered(mag_rr, email="Jane@Example.com")
    sign_in(client, JANE)
    # When Jane turns check-ins and reminders off
    response = client.post("/account/preferences/marketing", data={"on": "0"})
    # Then her address is on the suppression list the one-click unsubscribe writes
    assert response.status_code == 303
    assert db.session.scalar(select(EmailSuppression.email)) == JANE
    assert "Check-ins and reorder reminders: <strong>off</strong>" in client.get("/account").data.decode()
    # and a dispatch pass on day 30 sends no check-in; dose steps were not hers to stop this way
    dispatch_due_followups(now=evening(14))
    dispatch_due_followups(now=evening(30))
    assert _sent(order) == ["followup_dose"]
    assert _step(order, CHECKIN, 30).status == "cancelled"


def test_marketing_back_on_takes_the_address_off_the_list(client, sign_in, mag_rr, delivered):
    order, _ = delivered(mag_rr, email=JANE)
    sign_in(client, JANE)
    client.post("/account/preferences/marketing", data={"on": "0"})
    client.post("/account/preferences/marketing", data={"on": "1"})
    assert db.session.scalar(select(EmailSuppression)) is None
    dispatch_due_followups(now=evening(30))
    assert _step(order, CHECKIN, 30).status == "sent"


def test_a_dose_emails_unsubscribe_link_shows_as_reminders_off(client, sign_in, mag_rr, delivered):
    from shop.followups import links

    order, _ = delivered(mag_rr, email=JANE)
    dispatch_due_followups(now=evening(0))
    step = _step(order, DOSE, 0)
    with client.application.test_request_context():
        path = links.link(step.id, links.UNSUBSCRIBE).removeprefix("http://shop.test")
    assert client.post(path).status_code == 200
    sign_in(client, JANE)
    assert f"Order {order.id}" in client.get("/account").data.decode()
    from shop.followups.services import reminders_on

    assert reminders_on(order) is False


def test_no_one_switches_the_reminders_of_another_address(client, sign_in, mag_rr, delivered):
    bobs, _ = delivered(mag_rr, email="bob@example.com")
    sign_in(client, JANE)
    assert client.post(f"/account/orders/{bobs.id}/reminders", data={"on": "0"}).status_code == 404
    assert client.post("/account/orders/99999999999/reminders", data={"on": "0"}).status_code == 404
    dispatch_due_followups(now=evening(0))
    assert _sent(bobs) == ["followup_dose"]
