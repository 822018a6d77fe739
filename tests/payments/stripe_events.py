"""Stripe webhook events for tests, built on Stripe's own example objects.

`data/stripe_objects.json` holds Stripe's published example objects (checkout.session, charge,
refund, dispute, event) copied from the stripe/openapi repository's `fixtures3.json` (MIT), so
every payload carries the full field set a real delivery does; tests fill in the ids and states.
"""
import copy
import itertools
import json
import time
from pathlib import Path

import stripe

_OBJECTS = json.loads((Path(__file__).parent / "data" / "stripe_objects.json").read_text())
_counter = itertools.count(1)


def stripe_object(kind: str, **fields) -> dict:
    obj = copy.deepcopy(_OBJECTS[kind])
    unknown = set(fields) - set(obj)
    assert not unknown, f"not a field of {kind}: {sorted(unknown)}"
    obj.update(fields)
    return obj


def checkout_session(order, *, payment_status="paid", status="complete", **fields) -> dict:
    """The order's session as Stripe reports it; `fields` override any of it (amounts included)."""
    return stripe_object("checkout.session", **{
        "id": order.stripe_checkout_session_id,
        "client_reference_id": str(order.id),
        "metadata": {"order_id": str(order.id)},
        "amount_total": order.total,
        "amount_subtotal": order.total,
        # Stripe's example holds made-up figures; an order charged its items alone has these.
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "currency": order.currency,
        "customer_email": order.email,
        "payment_intent": f"pi_for_order_{order.id}",
        "payment_status": payment_status,
        "status": status,
        **fields,
    })


def charge(order, *, payment_intent=None, **fields) -> dict:
    obj = stripe_object("charge", id=fields.pop("id", f"ch_for_order_{order.id}"),
                        payment_intent=payment_intent or f"pi_for_order_{order.id}",
                        amount=order.total, amount_captured=order.total, captured=True,
                        currency=order.currency, **fields)
    obj["payment_method_details"]["card"].update(brand="mastercard", last4="4444")
    return obj


def refund(order, refund_id, amount, *, status="succeeded", payment_intent=None, metadata=None,
           failure_reason=None, **fields) -> dict:
    obj = stripe_object("refund", id=refund_id, amount=amount, currency=order.currency, status=status,
                        payment_intent=payment_intent or f"pi_for_order_{order.id}",
                        charge=f"ch_for_order_{order.id}", metadata=metadata or {}, **fields)
    if failure_reason:  # present on failed refunds only, so absent from Stripe's example
        obj["failure_reason"] = failure_reason
    return obj


def dispute(order, **fields) -> dict:
    return stripe_object("dispute", id=fields.pop("id", f"dp_for_order_{order.id}"),
                         charge=f"ch_for_order_{order.id}", payment_intent=f"pi_for_order_{order.id}",
                         amount=order.total, currency=order.currency, reason="fraudulent", **fields)


def event(event_type: str, obj: dict, *, event_id: str | None = None, created: int | None = None) -> dict:
    return dict(copy.deepcopy(_OBJECTS["event"]), id=event_id or f"evt_test_{next(_counter):06d}_{time.time_ns()}",
                type=event_type, created=created or int(time.time()), data={"object": obj},
                api_version="2026-10-28.endive")


def signed(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header, as Stripe computes it (the SDK's own helper)."""
    return stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp=timestamp)


def deliver(client, evt: dict, secret: str = "whsec_test_secret", **kwargs):
    """POST an event to the webhook endpoint, signed with `secret` (the test settings' one)."""
    payload = json.dumps(evt).encode()
    return client.post("/api/v1/stripe/webhook", data=payload,
                       headers={"Stripe-Signature": signed(payload, secret, **kwargs),
                                "Content-Type": "application/json"})
