"""The pay page of a session that ships: address form, phone, shipping options, promotion
code and order summary, by plain HTTP as a form would post, and in a real browser."""
import re
from html import unescape

import pytest
import requests

from tests.stripe_standin.conftest import (NEW_YORK, promotion_code, rate_data, session_params,
                                           shipping_session)

FIELDS = {"name": "Full name", "line1": "Address line 1", "line2": "Address line 2 (optional)",
          "city": "City", "state": "State or province", "postal_code": "Postal code",
          "country": "Country", "phone": "Phone number", "promotion_code": "Promotion code"}


def _form(place=NEW_YORK, **extra):
    """What the page's form posts for an address (flat field names)."""
    return {"name": place["name"], **{k: v or "" for k, v in place["address"].items()},
            "phone": "+12125550100", **extra}


def _figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', page)
    return unescape(found.group(1)) if found else None


def _labels(page: str) -> dict:
    """Each labelled control: its `name` attribute → its label's text."""
    labels = dict(re.findall(r'<label for="([^"]+)">([^<]+)</label>', page))
    controls = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"[^>]*\bname="([^"]+)"', page)
    return {name: labels.get(control_id, "").strip() for control_id, name in controls}


@pytest.fixture
def ship_session(stripe_client):
    standard = stripe_client.v1.shipping_rates.create(rate_data(
        "Standard", 500, delivery_estimate={"minimum": {"unit": "business_day", "value": 3},
                                            "maximum": {"unit": "business_day", "value": 5}}))
    return shipping_session(stripe_client, shipping_options=[
        {"shipping_rate": standard.id}, {"shipping_rate_data": rate_data("Express", 1500)}])


def test_the_page_asks_for_address_phone_option_and_code_with_labels(ship_session):
    page = requests.get(ship_session.url, timeout=5).text

    labels = _labels(page)
    assert {name: labels.get(name) for name in FIELDS} == FIELDS
    assert re.findall(r'<option value="(\w+)"', page) == ["US", "DE"]  # the allowed countries
    options = re.findall(r'name="shipping_rate" value="(shr_\w+)"', page)
    assert options == [o.shipping_rate for o in ship_session.shipping_options]
    assert "Standard · 5.00 EUR · 3–5 business days" in page
    assert "Express · 15.00 EUR" in page
    assert 'value="apply"' in page and ">Apply<" in page
    # the summary: no tax until there is an address
    assert (_figure(page, "subtotal"), _figure(page, "shipping"), _figure(page, "total")) == \
        ("73.00 EUR", "5.00 EUR", "78.00 EUR")
    assert _figure(page, "tax") == "Calculated from the address"
    assert "style=" not in page and "<script" not in page


def test_a_plain_session_shows_none_of_it(stripe_client):
    session = stripe_client.v1.checkout.sessions.create(session_params())

    page = requests.get(session.url, timeout=5).text

    assert not {"line1", "phone", "shipping_rate", "promotion_code"} & set(_labels(page))
    assert _figure(page, "subtotal") is None and _figure(page, "total") == "73.00 EUR"


def test_apply_shows_the_discount_shipping_and_tax_for_what_was_entered(stripe_client,
                                                                         stripe_standin,
                                                                         ship_session):
    promotion_code(stripe_client, "WELCOME10")
    express = ship_session.shipping_options[1].shipping_rate

    answer = requests.post(ship_session.url, data=_form(
        promotion_code="welcome10", shipping_rate=express, action="apply"), timeout=5)

    # 7300 − 730 + 1500 = 8070; 8.875 % → 716.21 → 716; 8786 in all
    page = answer.text
    assert answer.status_code == 200
    assert (_figure(page, "discount"), _figure(page, "shipping"), _figure(page, "tax"),
            _figure(page, "total")) == ("−7.30 EUR", "15.00 EUR", "7.16 EUR", "87.86 EUR")
    assert "Pay 87.86 EUR" in page
    assert f'value="{express}" checked' in page  # what was entered is kept
    assert 'value="welcome10"' in page and 'value="350 5th Ave"' in page
    assert stripe_standin.events("payment_intent.created") == []  # nothing paid yet


@pytest.mark.parametrize("form, message", [
    (_form(promotion_code="NOSUCHCODE"), "This code is invalid"),
    ({**_form(), "city": ""}, "Enter the city of the shipping address."),
    ({**_form(), "name": ""}, "Enter the name to ship to."),
    ({**_form(), "country": "FR"}, "This shop does not ship to France."),
    ({**_form(), "phone": ""}, "Enter a phone number."),
])
def test_the_page_refuses_to_pay_with_a_visible_error(stripe_standin, ship_session, form, message):
    answer = requests.post(ship_session.url, data={**form, "action": "card"},
                           allow_redirects=False, timeout=5)

    assert answer.status_code == 422
    shown = re.search(r'<p class="error" role="alert">([^<]*)</p>', answer.text).group(1)
    assert unescape(shown).startswith(message)
    assert stripe_standin.session(ship_session.id)["status"] == "open"
    assert stripe_standin.events() == []


def test_an_exhausted_code_is_refused_on_apply_and_left_out_of_the_figures(stripe_client,
                                                                            stripe_standin):
    promotion_code(stripe_client, "ONCE", max_redemptions=1)
    first, second = shipping_session(stripe_client), shipping_session(stripe_client)
    stripe_standin.pay(first.id, promotion_code="ONCE")

    answer = requests.post(second.url, data=_form(promotion_code="ONCE", action="apply"),
                           timeout=5)

    assert answer.status_code == 422
    assert "maximum number of times" in answer.text
    assert _figure(answer.text, "discount") is None
    # no discount: 7300 + 500, taxed at 8.875 % (692.25 → 692)
    assert _figure(answer.text, "total") == "84.92 EUR"


def test_paying_through_the_form_completes_with_the_figures_shown(stripe_client, stripe_standin,
                                                                   ship_session):
    promotion_code(stripe_client, "WELCOME10")
    shown = requests.post(ship_session.url, data=_form(promotion_code="WELCOME10",
                                                       action="apply"), timeout=5).text

    answer = requests.post(ship_session.url, data=_form(promotion_code="WELCOME10",
                                                        action="card"),
                           allow_redirects=False, timeout=5)

    assert answer.status_code == 303
    paid = stripe_client.v1.checkout.sessions.retrieve(ship_session.id)
    assert f"{paid.amount_total / 100:,.2f} EUR" == _figure(shown, "total")
    assert paid.collected_information.shipping_details.address.line2 == "Floor 3"
    after = requests.get(ship_session.url, timeout=5).text
    assert "complete" in after and _figure(after, "total") == _figure(shown, "total")
    assert "(WELCOME10)" in after


@pytest.mark.browser
def test_a_customer_ships_applies_a_code_and_pays_in_a_browser(stripe_client, stripe_standin,
                                                               in_browser, ship_session):
    # given a code, and a session returning to the stand-in's own front page
    promotion_code(stripe_client, "WELCOME10")
    session = shipping_session(stripe_client, success_url=f"{stripe_standin.url}/?paid=1",
                               shipping_options=[{"shipping_rate": o.shipping_rate}
                                                 for o in ship_session.shipping_options])

    def customer(page):
        from playwright.sync_api import expect

        page.goto(session.url)
        expect(page.get_by_role("heading", name="Pay 78.00 EUR")).to_be_visible()
        # fills the form by its labels, picks Express and applies the code
        page.get_by_label("Full name").fill("Grace Hopper")
        page.get_by_label("Address line 1").fill("350 5th Ave")
        page.get_by_label("City").fill("New York")
        page.get_by_label("State or province").fill("NY")
        page.get_by_label("Postal code").fill("10118")
        page.get_by_label("Country").select_option("US")
        page.get_by_label("Phone number").fill("+1 212 555 0100")
        page.get_by_label(re.compile("^Express")).check()
        page.get_by_label("Promotion code").fill("WELCOME10")
        page.get_by_role("button", name="Apply").click()
        # sees the discount, Express and New York's tax in the summary
        expect(page.get_by_role("heading", name="Pay 87.86 EUR")).to_be_visible()
        summary = page.get_by_role("table", name="Order summary")
        expect(summary).to_contain_text("Discount (WELCOME10)")
        expect(summary).to_contain_text("−7.30 EUR")
        expect(summary).to_contain_text("7.16 EUR")
        # and pays, returning to the success URL
        page.get_by_role("button", name="Pay 87.86 EUR").click()
        expect(page).to_have_url(f"{stripe_standin.url}/?paid=1")

    # when
    in_browser(customer)

    # then the session is complete and charged the total shown
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert (paid.status, paid.amount_total, paid.payment_intent.amount) == \
        ("complete", 8786, 8786)
    assert paid.collected_information.shipping_details.name == "Grace Hopper"
    assert paid.customer_details.phone == "+1 212 555 0100"


@pytest.mark.browser
def test_a_refused_code_shows_an_error_in_the_browser_and_pays_nothing(stripe_standin, in_browser,
                                                                       ship_session):
    def customer(page):
        from playwright.sync_api import expect

        page.goto(ship_session.url)
        page.get_by_label("Promotion code").fill("BOGUS")
        page.get_by_role("button", name="Apply").click()
        expect(page.get_by_role("alert")).to_contain_text("This code is invalid")
        expect(page.get_by_label("Promotion code")).to_have_value("BOGUS")
        page.get_by_label("Promotion code").fill("")
        page.get_by_role("button", name=re.compile("^Pay 78")).click()  # no address entered
        expect(page.get_by_role("alert")).to_contain_text("Enter the name to ship to.")

    in_browser(customer)

    assert stripe_standin.session(ship_session.id)["status"] == "open"
    assert stripe_standin.events() == []

def test_a_sessions_own_discount_spent_elsewhere_is_shown_refused(stripe_client, stripe_standin):
    # given two sessions carrying the same single-use code; the first is paid
    code = promotion_code(stripe_client, max_redemptions=1)
    first, second = (stripe_client.v1.checkout.sessions.create(
        session_params(discounts=[{"promotion_code": code.id}])) for _ in range(2))
    stripe_standin.pay(first.id)

    # when the second's customer opens the page, then presses Pay
    page = requests.get(second.url, timeout=5)
    answer = requests.post(second.url, data={"action": "card"}, allow_redirects=False, timeout=5)

    # then the page says why, shows the full price, and pays nothing
    assert page.status_code == 200
    assert "maximum number of times" in page.text
    assert _figure(page.text, "total") == "73.00 EUR"
    assert answer.status_code == 422 and "maximum number of times" in answer.text
    assert stripe_standin.session(second.id)["status"] == "open"
