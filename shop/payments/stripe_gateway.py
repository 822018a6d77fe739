"""The only module that talks to Stripe, through the official SDK.

With STRIPE_API_BASE set (the local stand-in, offline and in tests), the SDK sends its requests
there; unset, to Stripe itself. Errors come out as PaymentProviderError, whose message is safe
to show; Stripe's own message is kept for staff in `detail`.
"""
import json
import time
from dataclasses import dataclass

import stripe
from flask import current_app

from shop.errors import ProviderUnavailable, ShopError

TIMEOUT_SECONDS = 10  # per attempt; STRIPE_TIMEOUT_SECONDS overrides it (tests shorten it)
TOLERANCE_SECONDS = 300  # how far a webhook's signed timestamp may be from now, either way


class PaymentProviderError(ProviderUnavailable):
    """Stripe failed or refused. `detail` is Stripe's message, for staff; `declined` for a refusal."""

    def __init__(self, message: str | None = None, *, detail: str = "", declined: bool = False,
                 code: int | None = None):
        super().__init__(message, code=code)
        self.detail = detail
        self.declined = declined


class InvalidWebhook(ShopError):
    code = 400
    message = "Invalid Stripe signature"


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


def client() -> stripe.StripeClient:
    config = current_app.config
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base} if base else None,
        http_client=stripe.RequestsClient(timeout=config.get("STRIPE_TIMEOUT_SECONDS", TIMEOUT_SECONDS)),
        max_network_retries=2,  # safe: every mutating call below carries an idempotency key
    )


def create_checkout_session(params: dict, idempotency_key: str) -> CheckoutSession:
    """Create a Checkout Session (params as Stripe documents them)."""
    with _translated_errors():
        session = client().v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key})
    return CheckoutSession(id=session.id, url=session.url)


def retrieve_checkout_session(session_id: str) -> dict:
    with _translated_errors():
        return client().v1.checkout.sessions.retrieve(session_id).to_dict()


def expire_checkout_session(session_id: str) -> dict:
    with _translated_errors():
        return client().v1.checkout.sessions.expire(session_id).to_dict()


def create_customer(params: dict, idempotency_key: str) -> dict:
    """A Stripe Customer (email, shipping, metadata): the same key makes it once."""
    with _translated_errors():
        return client().v1.customers.create(params, {"idempotency_key": idempotency_key}).to_dict()


def update_customer(customer_id: str, params: dict, idempotency_key: str) -> dict:
    """Change a Stripe Customer (its `shipping`, say)."""
    with _translated_errors():
        return client().v1.customers.update(customer_id, params, {"idempotency_key": idempotency_key}).to_dict()


def retrieve_subscription(subscription_id: str) -> dict:
    with _translated_errors():
        return client().v1.subscriptions.retrieve(subscription_id).to_dict()


def update_subscription(subscription_id: str, params: dict, idempotency_key: str) -> dict:
    """Change a subscription: `trial_end` moves its next bill, `pause_collection`, metadata."""
    with _translated_errors():
        return client().v1.subscriptions.update(
            subscription_id, params, {"idempotency_key": idempotency_key}).to_dict()


def cancel_subscription(subscription_id: str, idempotency_key: str) -> dict:
    """Cancel now: no more invoices (`customer.subscription.deleted` follows)."""
    with _translated_errors():
        return client().v1.subscriptions.cancel(subscription_id, options={"idempotency_key": idempotency_key}).to_dict()


def retrieve_invoice(invoice_id: str, expand: list[str] | None = None) -> dict:
    with _translated_errors():
        return client().v1.invoices.retrieve(invoice_id, {"expand": expand or []}).to_dict()


def create_billing_portal_session(customer_id: str, return_url: str) -> dict:
    """A short-lived page at Stripe where the customer updates their card (and sees invoices)."""
    with _translated_errors():
        return client().v1.billing_portal.sessions.create(
            {"customer": customer_id, "return_url": return_url}).to_dict()


def create_refund(payment_intent_id: str, amount: int, idempotency_key: str, metadata: dict) -> dict:
    """Ask Stripe to refund `amount` of a payment. The same key never refunds twice."""
    params = {"payment_intent": payment_intent_id, "amount": amount, "metadata": metadata}
    with _translated_errors():
        return client().v1.refunds.create(params, {"idempotency_key": idempotency_key}).to_dict()


def create_coupon(params: dict, idempotency_key: str) -> dict:
    """A coupon (the discount a promotion code gives): percent_off, or amount_off + currency."""
    with _translated_errors():
        return client().v1.coupons.create(params, {"idempotency_key": idempotency_key}).to_dict()


def create_promotion_code(params: dict, idempotency_key: str) -> dict:
    """The code a customer types for a coupon (`promotion[coupon]` at the pinned API version)."""
    with _translated_errors():
        return client().v1.promotion_codes.create(params, {"idempotency_key": idempotency_key}).to_dict()


def update_promotion_code(promotion_code_id: str, params: dict, idempotency_key: str) -> dict:
    """Change what Stripe allows to change on a code: `active` (and metadata)."""
    with _translated_errors():
        return client().v1.promotion_codes.update(
            promotion_code_id, params, {"idempotency_key": idempotency_key}).to_dict()


def list_checkout_sessions(created_since: int) -> list[dict]:
    """Every Checkout Session created since a Unix time, all pages."""
    with _translated_errors():
        page = client().v1.checkout.sessions.list({"created": {"gte": created_since}, "limit": 100})
        return [s.to_dict() for s in page.auto_paging_iter()]


def list_refunds(created_since: int) -> list[dict]:
    with _translated_errors():
        page = client().v1.refunds.list({"created": {"gte": created_since}, "limit": 100})
        return [r.to_dict() for r in page.auto_paging_iter()]


def list_charge_refunds(charge_id: str) -> list[dict]:
    """Every refund of one charge. A charge does not list its own (since API version 2022-11-15)."""
    with _translated_errors():
        page = client().v1.refunds.list({"charge": charge_id, "limit": 100})
        return [r.to_dict() for r in page.auto_paging_iter()]


def construct_event(payload: bytes, signature_header: str | None) -> dict:
    """Verify a webhook's signature over the raw body and parse it.

    Its timestamp must be within 300 s of now, either way (TOLERANCE_SECONDS).

    The body is parsed with the standard library (plain dicts, JSON numbers as int/float), so
    the event can be stored as it came.
    """
    if not signature_header:
        raise InvalidWebhook("Missing Stripe-Signature header")
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature_header, secret, tolerance=TOLERANCE_SECONDS)
        signed_at = _signed_at(signature_header)
        event = json.loads(text)
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhook() from exc
    except ValueError as exc:  # not UTF-8, not JSON
        raise InvalidWebhook("Malformed webhook payload") from exc
    if signed_at > time.time() + TOLERANCE_SECONDS:
        # The SDK refuses only timestamps too far in the past; one from the future is refused
        # too, or a signature made with a clock running ahead would be replayable for longer.
        raise InvalidWebhook("Stripe-Signature timestamp is in the future")
    if not isinstance(event, dict):
        raise InvalidWebhook("Malformed webhook payload")
    return event


def _signed_at(signature_header: str) -> int:
    """The `t=` of a Stripe-Signature header the SDK has verified (so it holds a number)."""
    items = [item.split("=", 2) for item in signature_header.split(",")]
    return int(next(item[1] for item in items if item[0] == "t"))  # read as the SDK reads it


class _translated_errors:
    """Turn the SDK's exceptions into PaymentProviderError (a context manager)."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or not isinstance(exc, stripe.StripeError):
            return False
        detail = getattr(exc, "user_message", None) or str(exc)
        current_app.logger.warning("Stripe error: %s (%s)", detail, type(exc).__name__)
        if isinstance(exc, (stripe.CardError, stripe.InvalidRequestError)):
            raise PaymentProviderError(
                "The payment provider refused the request.", detail=detail, declined=True, code=402
            ) from exc
        if isinstance(exc, stripe.APIConnectionError):
            raise PaymentProviderError(detail=detail, code=503) from exc
        raise PaymentProviderError(detail=detail, code=502) from exc
