"""The `/v1` API, as the official SDK calls it: form-encoded, Bearer test keys, idempotency keys.

Every request first meets the injected faults, then authentication; every POST honours an
`Idempotency-Key` (same request → the first answer replayed, other parameters → 400
`idempotency_error`). Errors use Stripe's shape and status codes, so the SDK raises the
exception it would raise against Stripe.
"""
import json
import time
from functools import wraps

from flask import Blueprint, Response, current_app, g, request

from stripe_standin import billing, checkout, customers, discounts, refunds, shipping
from stripe_standin.account import new_id
from stripe_standin.params import InvalidParameter, StripeError, decode, expand, no_such

bp = Blueprint("stripe_api", __name__, url_prefix="/v1")

_NO_KEY = ("You did not provide an API key. You need to provide your API key in the Authorization "
           "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")


def _standin():
    return current_app.extensions["stripe_standin"]


def json_response(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body, indent=2), status, mimetype="application/json")


@bp.before_request
def _guard():
    g.request_id = "req_" + new_id("", 14)
    g.delay_after = 0.0
    error, seconds, when = _standin().faults.take(request.path)
    if when == "after":
        g.delay_after = seconds
    elif seconds:
        time.sleep(seconds)
    if error:
        raise error
    g.api_key = _api_key()
    pairs = request.form.items(multi=True) if request.method == "POST" else ()
    g.params = decode(list(request.args.items(multi=True)) + list(pairs))
    checkout.expire_due(_standin().account)
    billing.run_due(_standin().account)


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Request-Id"] = g.get("request_id", "")
    response.headers["Stripe-Version"] = request.headers.get("Stripe-Version", "")
    if g.get("delay_after"):
        time.sleep(g.delay_after)
    return response


def _api_key() -> str:
    auth = request.authorization
    key = None
    if auth is not None:
        key = auth.token if auth.type == "bearer" else auth.username
    if not key:
        raise StripeError(_NO_KEY, status=401)
    if not key.startswith(("sk_test_", "rk_test_")):
        masked = key[:8] + "*" * 4 + key[-4:]
        raise StripeError(f"Invalid API Key provided: {masked} (the local stand-in takes test-mode "
                          "keys only: sk_test_...)", status=401)
    return key


def _request_context() -> dict:
    return {"id": g.request_id, "idempotency_key": request.headers.get("Idempotency-Key")}


def idempotent(view):
    """Replay the saved answer for a known key; otherwise run the view and save its answer.

    A request whose parameters fail validation is answered but not saved, as at Stripe.
    """

    @wraps(view)
    def wrapper(**kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return _answer(view, kwargs)
        standin = _standin()
        fingerprint = (request.path, tuple(sorted(request.form.items(multi=True))))
        with standin.account.lock:  # one request per key at a time, as Stripe locks keys
            saved = standin.idempotency.replay(g.api_key, key, fingerprint)
            if saved is not None:
                status, body, original = saved
                response = Response(body, status, mimetype="application/json")
                response.headers.update({"Idempotent-Replayed": "true", "Original-Request": original})
                return response
            try:
                response = json_response(view(**kwargs))
            except InvalidParameter as exc:
                return json_response(exc.body, exc.status)
            except StripeError as exc:
                response = json_response(exc.body, exc.status)
            standin.idempotency.save(g.api_key, key, fingerprint, response.status_code,
                                     response.get_data(), g.request_id)
            return response

    return wrapper


def _answer(view, kwargs) -> Response:
    try:
        return json_response(view(**kwargs))
    except StripeError as exc:
        return json_response(exc.body, exc.status)


# -- Checkout Sessions ---------------------------------------------------------------------
@bp.post("/checkout/sessions")
@idempotent
def create_session():
    return checkout.create_session(_standin().account, g.params, _request_context())


@bp.get("/checkout/sessions/<session_id>")
def retrieve_session(session_id):
    return json_response(_standin().account.get("sessions", session_id, "checkout.session",
                                                expand(g.params)))


@bp.get("/checkout/sessions")
def list_sessions():
    account = _standin().account
    with account.lock:
        sessions = [s for s in account.sessions.values() if _matches(s, g.params, (
            "payment_intent", "status", "customer_email", "payment_link"))]
        return json_response(account.page(sessions, g.params, "/v1/checkout/sessions",
                                          expand(g.params)))


@bp.get("/checkout/sessions/<session_id>/line_items")
def list_line_items(session_id):
    account = _standin().account
    with account.lock:
        if session_id not in account.sessions:
            raise no_such("checkout.session", session_id)
        items = list(reversed(account.line_items[session_id]))  # pages list newest first
        return json_response(account.page(items, g.params,
                                          f"/v1/checkout/sessions/{session_id}/line_items",
                                          expand(g.params)))


@bp.post("/checkout/sessions/<session_id>/expire")
@idempotent
def expire_session(session_id):
    return checkout.expire_session(_standin().account, session_id, _request_context())


# -- Shipping rates ------------------------------------------------------------------------
@bp.post("/shipping_rates")
@idempotent
def create_shipping_rate():
    account = _standin().account
    return account.expanded(shipping.create_rate(account, g.params), expand(g.params))


@bp.get("/shipping_rates/<rate_id>")
def retrieve_shipping_rate(rate_id):
    return json_response(_standin().account.get("shipping_rates", rate_id, "shipping rate",
                                                expand(g.params)))


@bp.post("/shipping_rates/<rate_id>")
@idempotent
def update_shipping_rate(rate_id):
    return shipping.update_rate(_standin().account, rate_id, g.params)


@bp.get("/shipping_rates")
def list_shipping_rates():
    return json_response(shipping.list_rates(_standin().account, g.params))


# -- Coupons and promotion codes -----------------------------------------------------------
@bp.post("/coupons")
@idempotent
def create_coupon():
    return discounts.create_coupon(_standin().account, g.params, _request_context())


@bp.get("/coupons/<coupon_id>")
def retrieve_coupon(coupon_id):
    return json_response(discounts.retrieve_coupon(_standin().account, coupon_id, g.params))


@bp.post("/coupons/<coupon_id>")
@idempotent
def update_coupon(coupon_id):
    return discounts.update_coupon(_standin().account, coupon_id, g.params, _request_context())


@bp.delete("/coupons/<coupon_id>")
def delete_coupon(coupon_id):
    return json_response(discounts.delete_coupon(_standin().account, coupon_id,
                                                 _request_context()))


@bp.get("/coupons")
def list_coupons():
    return json_response(discounts.list_coupons(_standin().account, g.params))


@bp.post("/promotion_codes")
@idempotent
def create_promotion_code():
    return discounts.create_promotion_code(_standin().account, g.params, _request_context())


@bp.get("/promotion_codes/<promo_id>")
def retrieve_promotion_code(promo_id):
    return json_response(discounts.retrieve_promotion_code(_standin().account, promo_id,
                                                           g.params))


@bp.post("/promotion_codes/<promo_id>")
@idempotent
def update_promotion_code(promo_id):
    return discounts.update_promotion_code(_standin().account, promo_id, g.params,
                                           _request_context())


@bp.get("/promotion_codes")
def list_promotion_codes():
    return json_response(discounts.list_promotion_codes(_standin().account, g.params))


# -- Payment Intents, Charges, Disputes ----------------------------------------------------
@bp.get("/payment_intents/<intent_id>")
def retrieve_payment_intent(intent_id):
    return json_response(_standin().account.get("payment_intents", intent_id, "payment_intent",
                                                expand(g.params)))


@bp.get("/charges/<charge_id>")
def retrieve_charge(charge_id):
    return json_response(_standin().account.get("charges", charge_id, "charge", expand(g.params)))


@bp.get("/disputes/<dispute_id>")
def retrieve_dispute(dispute_id):
    return json_response(_standin().account.get("disputes", dispute_id, "dispute",
                                                expand(g.params)))


# -- Refunds -------------------------------------------------------------------------------
@bp.post("/refunds")
@idempotent
def create_refund():
    return refunds.create_refund(_standin().account, g.params, _request_context())


@bp.get("/refunds/<refund_id>")
def retrieve_refund(refund_id):
    return json_response(_standin().account.get("refunds", refund_id, "refund", expand(g.params)))


@bp.get("/refunds")
def list_refunds():
    account = _standin().account
    with account.lock:
        found = [r for r in account.refunds.values()
                 if _matches(r, g.params, ("charge", "payment_intent"))]
        return json_response(account.page(found, g.params, "/v1/refunds", expand(g.params)))


# -- Customers, Products, Prices (Stripe Billing) ------------------------------------------
@bp.post("/customers")
@idempotent
def create_customer():
    return customers.create_customer(_standin().account, g.params, _request_context())


@bp.get("/customers/<customer_id>")
def retrieve_customer(customer_id):
    return json_response(_standin().account.get("customers", customer_id, "customer",
                                                expand(g.params)))


@bp.post("/customers/<customer_id>")
@idempotent
def update_customer(customer_id):
    return customers.update_customer(_standin().account, customer_id, g.params,
                                     _request_context())


@bp.get("/customers")
def list_customers():
    return json_response(customers.list_customers(_standin().account, g.params))


@bp.post("/products")
@idempotent
def create_product():
    return customers.create_product(_standin().account, g.params, _request_context())


@bp.get("/products/<product_id>")
def retrieve_product(product_id):
    return json_response(_standin().account.get("products", product_id, "product",
                                                expand(g.params)))


@bp.get("/products")
def list_products():
    return json_response(customers.list_products(_standin().account, g.params))


@bp.post("/prices")
@idempotent
def create_price():
    return customers.create_price(_standin().account, g.params, _request_context())


@bp.get("/prices/<price_id>")
def retrieve_price(price_id):
    return json_response(_standin().account.get("prices", price_id, "price", expand(g.params)))


@bp.get("/prices")
def list_prices():
    return json_response(customers.list_prices(_standin().account, g.params))


# -- Subscriptions, Invoices, the billing portal -------------------------------------------
@bp.get("/subscriptions/<sub_id>")
def retrieve_subscription(sub_id):
    return json_response(billing.retrieve(_standin().account, sub_id, g.params))


@bp.get("/subscriptions")
def list_subscriptions():
    return json_response(billing.list_subscriptions(_standin().account, g.params))


@bp.post("/subscriptions/<sub_id>")
@idempotent
def update_subscription(sub_id):
    return billing.update(_standin().account, sub_id, g.params, _request_context())


@bp.delete("/subscriptions/<sub_id>")
def cancel_subscription(sub_id):
    return _answer(lambda: billing.cancel(_standin().account, sub_id, g.params,
                                          _request_context()), {})


@bp.get("/invoices/<invoice_id>")
def retrieve_invoice(invoice_id):
    return json_response(billing.retrieve_invoice(_standin().account, invoice_id, g.params))


@bp.get("/invoices")
def list_invoices():
    return json_response(billing.list_invoices(_standin().account, g.params))


@bp.get("/invoice_payments")
def list_invoice_payments():
    return json_response(billing.list_invoice_payments(_standin().account, g.params))


@bp.post("/billing_portal/sessions")
@idempotent
def create_portal_session():
    return customers.create_portal_session(_standin().account, g.params)


# -- Events --------------------------------------------------------------------------------
@bp.get("/events/<event_id>")
def retrieve_event(event_id):
    return json_response(_standin().account.get("events_by_id", event_id, "event"))


@bp.get("/events")
def list_events():
    account = _standin().account
    types = g.params.get("types") or ([g.params["type"]] if g.params.get("type") else None)
    with account.lock:
        found = [e for e in account.events if types is None or _type_matches(e["type"], types)]
        return json_response(account.page(found, g.params, "/v1/events"))


def _type_matches(event_type: str, patterns: list[str]) -> bool:
    """Stripe's `type` filter takes `*` wildcards: `checkout.session.*`."""
    return any(event_type == p or (p.endswith("*") and event_type.startswith(p[:-1]))
               for p in patterns)


def _matches(obj: dict, params: dict, fields: tuple[str, ...]) -> bool:
    return all(params.get(f) in (None, "") or obj.get(f) == params[f] for f in fields)
