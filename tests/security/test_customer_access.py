"""One customer's token, link or session never opens another customer's order or claim (IDOR)."""
import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.guarantee.models import Claim
from shop.orders.access import order_link_token
from shop.orders.models import DELIVERED


@pytest.fixture
def two_customers(make_order, mag_rr):
    """Alice and Bob, each with a delivered order and its token."""
    alice = make_order(mag_rr, email="alice@example.com", status=DELIVERED)
    bob = make_order(mag_rr, email="bob@example.com", status=DELIVERED)
    return alice, bob


def test_an_order_token_opens_only_its_own_order(client, two_customers):
    (alice, alice_token), (bob, bob_token) = two_customers
    # when
    own = client.get(f"/api/v1/orders/{alice.id}", headers={"X-Order-Token": alice_token})
    other = client.get(f"/api/v1/orders/{bob.id}", headers={"X-Order-Token": alice_token})
    unknown = client.get("/api/v1/orders/999999", headers={"X-Order-Token": alice_token})
    # then: someone else's order looks exactly like one that does not exist
    assert own.status_code == 200 and own.get_json()["email"] == "alice@example.com"
    assert other.status_code == unknown.status_code == 404
    assert other.get_json() == unknown.get_json()
    assert "bob" not in other.get_data(as_text=True)


def test_a_claim_cannot_be_filed_on_another_customers_order(client, two_customers):
    (alice, alice_token), (bob, _) = two_customers
    # when
    response = client.post(f"/api/v1/orders/{bob.id}/claims", json={"reason": "Did not help"},
                           headers={"X-Order-Token": alice_token})
    # then
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Claim)) == 0


def test_claims_of_one_order_never_appear_on_another(client, two_customers):
    (alice, alice_token), (bob, bob_token) = two_customers
    filed = client.post(f"/api/v1/orders/{bob.id}/claims", json={"reason": "Did not help"},
                        headers={"X-Order-Token": bob_token})
    assert filed.status_code == 201
    # when
    alice_view = client.get(f"/api/v1/orders/{alice.id}", headers={"X-Order-Token": alice_token})
    # then
    assert alice_view.get_json()["claims"] == []


def test_a_signed_link_opens_only_the_order_it_was_made_for(client, two_customers):
    (alice, _), (bob, _) = two_customers
    alice_link = order_link_token(alice.id)
    # when
    own = client.get(f"/orders/{alice.id}?t={alice_link}")
    other = client.get(f"/orders/{bob.id}?t={alice_link}")
    # then
    assert own.status_code == 200 and b"alice@example.com" in own.data
    assert other.status_code == 404 and b"bob@example.com" not in other.data


def test_a_session_with_access_to_one_order_does_not_reach_another(client, two_customers):
    (alice, _), (bob, _) = two_customers
    assert client.get(f"/orders/{alice.id}?t={order_link_token(alice.id)}").status_code == 200
    # when: the same browser tries Bob's page and Bob's claim form
    page = client.get(f"/orders/{bob.id}")
    claim = client.post(f"/orders/{bob.id}/claim", data={"reason": "Did not help"})
    # then
    assert page.status_code == 404 and claim.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Claim)) == 0


def test_a_tampered_or_token_shaped_link_is_refused(client, two_customers):
    (alice, alice_token), (bob, _) = two_customers
    link = order_link_token(alice.id)
    # when
    tampered = client.get(f"/orders/{alice.id}?t={link[:-2]}xx")
    raw_token = client.get(f"/orders/{bob.id}?t={alice_token}")
    # then
    assert tampered.status_code == raw_token.status_code == 404
