"""Data self-service: "Download my data" is the staff export; "Erase my data" is confirmed by an
emailed link, runs the staff erase path, and signs the customer out everywhere."""
import json

from sqlalchemy import select

from shop.customers.models import AccountLink, Customer, CustomerSession
from shop.customers.services import export_customer_data
from shop.emails.models import EmailMessage, EmailSuppression
from shop.extensions import db
from shop.guarantee.services import file_claim
from shop.orders.models import DELIVERED, Order
from shop.reviews.models import Entry
from shop.reviews.services import submit_entry
from tests.customers.conftest import link_in_outbox

JANE = "jane@example.com"


def _jane(mag_rr, make_order):
    """Jane: a guest order in another letter case, a delivered one with a claim, and a review."""
    first, _ = make_order(mag_rr, email="Jane@Example.com")
    second, _ = make_order(mag_rr, email=JANE, status=DELIVERED)
    second.carrier, second.tracking_number = "UPS", "1Z999AA10123456784"
    file_claim(second.id, "It did not help my sleep")
    submit_entry(mag_rr, name="Jane D.", email=JANE, body="Slept better from week two.", kind="review", rating=5)
    make_order(mag_rr, email="bob@example.com")
    db.session.commit()
    return first, second


def test_download_my_data_is_the_staff_export_as_a_json_file(client, sign_in, mag_rr, make_order):
    first, second = _jane(mag_rr, make_order)
    sign_in(client, JANE)
    # When
    response = client.get("/account/data")
    # Then a JSON attachment, never cached, holding what staff would export
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    staff_export = export_customer_data(JANE)
    assert {k: v for k, v in data.items() if k != "exported_at"} == \
        {k: v for k, v in staff_export.items() if k != "exported_at"}
    assert sorted(o["id"] for o in data["orders"]) == [first.id, second.id]
    assert data["claims"][0]["reason"] == "It did not help my sleep"
    assert data["reviews"][0]["name"] == "Jane D."
    assert data["orders"][0]["tracking_number"] is None and data["orders"][1]["tracking_number"] == "1Z999AA10123456784"
    assert data["account"]["email"] == JANE and len(data["account"]["sessions"]) == 1
    assert "bob@example.com" not in response.data.decode()


def test_erase_my_data_end_to_end(make_app, app, sign_in, mag_rr, make_order):
    # Given Jane signed in on two browsers
    first, second = _jane(mag_rr, make_order)
    web = make_app()
    laptop, phone = sign_in(web.test_client(), JANE), sign_in(web.test_client(), JANE)
    # When she asks to erase her data
    asked = laptop.post("/account/erase")
    # Then nothing is erased yet: a confirmation link is emailed (transactional: no List-Unsubscribe)
    assert asked.status_code == 303
    assert db.session.scalar(select(Order.email).where(Order.id == first.id)) == "Jane@Example.com"
    message = db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "account_erase")).one()
    assert message.to == JANE and "List-Unsubscribe" not in (message.headers or {})
    link = link_in_outbox(JANE, "account_erase")
    # When she opens it on her phone: a page that asks once more (opening changes nothing)
    page = phone.get(link)
    assert page.status_code == 200 and b"Erase everything held about jane@example.com?" in page.data
    assert db.session.scalar(select(Customer)) is not None
    # and confirms
    done = phone.post(link)
    # Then her data is gone, as the staff erase leaves it
    assert done.status_code == 200 and b"Your data is erased" in done.data and b"order(s) scrubbed" in done.data
    db.session.expire_all()
    for order in (first, second):
        assert db.session.get(Order, order.id).email.endswith("@erased.invalid")
    assert db.session.get(Order, second.id).tracking_number is None
    assert db.session.scalar(select(Entry.name)) == "Former customer"
    assert db.session.scalar(select(EmailSuppression.email)) == JANE
    assert db.session.scalar(select(Order.email).where(Order.email == "bob@example.com")) == "bob@example.com"
    # and she is signed out everywhere, her account gone
    assert db.session.scalar(select(Customer)) is None and db.session.scalar(select(CustomerSession)) is None
    assert db.session.scalar(select(AccountLink)) is None
    for browser in (laptop, phone):
        assert browser.get("/account").status_code == 302
        assert browser.get("/api/v1/account/orders").status_code == 401
    # and the link does not work again
    assert phone.post(link).status_code == 400
    # Signing in again finds an empty account
    fresh = sign_in(web.test_client(), JANE)
    assert b"No orders were placed with this address yet" in fresh.get("/account").data


def test_the_erase_link_can_also_remove_review_bodies(client, sign_in, mag_rr, make_order):
    _jane(mag_rr, make_order)
    sign_in(client, JANE)
    client.post("/account/erase")
    client.post(link_in_outbox(JANE, "account_erase"), data={"remove_review_bodies": "1"})
    assert db.session.scalar(select(Entry.body)) == "[erased at the customer's request]"


def test_an_expired_or_altered_erase_link_erases_nothing(client, sign_in, mag_rr, make_order):
    from datetime import timedelta

    from shop.customers.login import send_link
    from shop.customers.models import ERASE
    from shop.db import utcnow

    first, _ = _jane(mag_rr, make_order)
    sign_in(client, JANE)
    send_link(JANE, ERASE, now=utcnow() - timedelta(minutes=20))
    db.session.commit()
    expired = link_in_outbox(JANE, "account_erase")
    assert client.post(expired).status_code == 410
    assert client.post(expired[:-3] + "abc").status_code == 400
    db.session.expire_all()
    assert db.session.get(Order, first.id).email == "Jane@Example.com"
    assert client.get("/account").status_code == 200


def test_staff_erasure_deletes_the_account_and_signs_it_out(client, app, sign_in, mag_rr, make_order):
    from shop.customers.services import erase_customer_data

    _jane(mag_rr, make_order)
    sign_in(client, JANE)
    report = erase_customer_data(JANE, actor="staff:test")
    db.session.commit()
    assert report.account_deleted and "customer account deleted" in " ".join(report.lines())
    assert client.get("/account").status_code == 302
