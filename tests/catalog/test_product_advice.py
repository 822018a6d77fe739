"""Everything said about taking a product is that product's own data: its page and its emails.

Mag R&R's advice (before bed, vivid dreams, leg-cramp signs) once showed on every product; now
the Ashwagandha page and its follow-up emails carry only Ashwagandha's.
"""
from sqlalchemy import select

from shop.catalog.demo import DEMO_PRODUCTS, build_product
from shop.emails.models import MARKETING, EmailMessage
from shop.extensions import db
from shop.followups.dispatch import dispatch_due_followups
from tests.followups.conftest import delivered, evening  # noqa: F401  the fixture

# Words only Mag R&R's advice uses.
MAG_ONLY = ("vivid", "before bed", "tingling", "cramp", "dark urine", "5-htp", "melatonin", "sleeping")


def _demo(slug):
    product = build_product(next(spec for spec in DEMO_PRODUCTS if spec["slug"] == slug))
    db.session.add(product)
    db.session.commit()
    return product


def test_the_ashwagandha_page_gives_its_own_advice_and_none_of_mag_rrs(client):
    _demo("mag-rr")
    _demo("calm-ashwagandha")
    html = client.get("/products/calm-ashwagandha").get_data(as_text=True).lower()
    assert "capsules to take each day, with dinner" in html
    assert "an upset stomach or drowsiness in the first days?" in html
    assert "yellowing of the skin or eyes" in html  # its own signs to see a doctor
    assert "not for use if pregnant or nursing" in html  # its own warnings
    for word in MAG_ONLY:
        assert word not in html, word
    # while Mag R&R's page keeps its own
    mag = client.get("/products/mag-rr").get_data(as_text=True)
    assert "Capsules to take each day, immediately before bed" in mag
    assert "Vivid dreams or disturbed sleep?" in mag
    assert "muscle weakness or dark urine" in mag


def test_a_product_without_a_plan_says_how_and_when_to_take_it(client):
    _demo("daylight-d3-k2")
    html = client.get("/products/daylight-d3-k2").get_data(as_text=True)
    assert "Your dosing plan" not in html
    assert "Take 1 capsule a day, with breakfast." in html
    assert "signs of too much vitamin D" in html


def test_a_product_with_no_doctor_signs_shows_no_empty_list(client, make_product):
    make_product(slug="plain", see_doctor_if="", side_effect_advice="", stopping_advice="")
    html = client.get("/products/plain").get_data(as_text=True)
    assert "When to see a doctor" not in html
    assert "Vivid" not in html


def test_ashwagandha_follow_up_emails_never_carry_mag_rrs_advice(delivered):  # noqa: F811
    # given a delivered order of Calm Ashwagandha
    product = _demo("calm-ashwagandha")
    order, _ = delivered(product)
    # when every evening of its plan passes
    for day in range(0, 61):
        dispatch_due_followups(now=evening(day))
    emails = db.session.scalars(select(EmailMessage).where(EmailMessage.order_id == order.id)
                                .order_by(EmailMessage.id)).all()
    # then its dose steps, check-in and reorder reminder all went, in its own words
    assert [e.kind for e in emails] == ["followup_dose", "followup_dose", "followup_reorder", "followup_checkin"]
    first = emails[0].body_text
    assert "TONIGHT: take 1 capsule (one) with dinner." in first
    assert "An upset stomach or drowsiness in the first days?" in first
    assert "You can stop at any time; there is no need to taper off." in first
    assert "See a doctor if you have yellowing of the skin or eyes" in first
    assert "with dinner" in emails[-1].body_text
    for email in emails:
        for part in (email.subject, email.body_text, email.body_html):
            for word in MAG_ONLY:
                assert word not in part.lower(), (email.kind, word)


def test_marketing_follow_ups_carry_the_store_postal_address(make_app, make_order):
    # given a store with its postal address set, and a delivered order of Mag R&R
    app = make_app(STORE_POSTAL_ADDRESS="12 Harbour Road, Portland, ME 04101, USA")
    with app.app_context():
        from shop.fulfilment.services import deliver_order
        from tests.followups.conftest import DELIVERED_AT

        product = _demo("mag-rr")
        order, _ = make_order(product, status="shipped")
        deliver_order(order.id, delivered_at=DELIVERED_AT, actor="staff:test", now=DELIVERED_AT)
        db.session.commit()
        # when the plan runs its course
        for day in range(0, 61):
            dispatch_due_followups(now=evening(day))
        marketing = db.session.scalars(select(EmailMessage).where(EmailMessage.category == MARKETING)).all()
        # then every marketing email (check-ins, the reorder reminder) names the address, in both parts
        assert {e.kind for e in marketing} == {"followup_checkin", "followup_reorder"}
        for email in marketing:
            assert "12 Harbour Road, Portland, ME 04101, USA" in email.body_text
            assert "12 Harbour Road, Portland, ME 04101, USA" in email.body_html
