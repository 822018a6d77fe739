"""Control endpoints for tests and demos, under `/_standin/` (JSON in, JSON out).

They do over HTTP what `StandIn`'s methods do in-process: act as the customer or as Stripe
itself (pay, settle a bank transfer, refund from the dashboard, open a dispute), inject faults,
steer and inspect webhook deliveries, and reset everything. `GET /_standin/` lists them.
"""
from flask import Blueprint, current_app, request

from stripe_standin.api import json_response
from stripe_standin.dispatcher import ORDERS
from stripe_standin.params import StripeError

bp = Blueprint("stripe_control", __name__, url_prefix="/_standin")

ENDPOINTS = {
    "POST /_standin/sessions/<id>/pay": '{"method"?: "card" | "bank_transfer", '
                                        '"shipping_details"?: {"name", "address": {"line1", '
                                        '"line2", "city", "state", "postal_code", "country"}}, '
                                        '"phone"?, "email"?, "shipping_rate"?: "shr_...", '
                                        '"promotion_code"?: "WELCOME10"}: the customer pays '
                                        "(defaults: a US address, the first shipping option)",
    "POST /_standin/sessions/<id>/cancel": "the customer clicks Cancel (returns cancel_url)",
    "POST /_standin/sessions/<id>/async-succeed": "the bank transfer arrives",
    "POST /_standin/sessions/<id>/async-fail": "the bank transfer fails",
    "POST /_standin/sessions/<id>/expire": "Stripe expires the session (its time is up)",
    "POST /_standin/refunds": '{"payment_intent" | "charge", "amount"?, "reason"?, "metadata"?}: '
                              "a refund from the dashboard",
    "POST /_standin/refunds/pending": '{"pending": true}: new refunds wait to be settled',
    "POST /_standin/refunds/<id>/succeed": "a pending refund succeeds",
    "POST /_standin/refunds/<id>/fail": '{"reason"?}: a refund fails',
    "POST /_standin/disputes": '{"charge" | "payment_intent", "amount"?, "reason"?}',
    "POST /_standin/faults/fail": '{"count": 1, "status": 500, "path"?}',
    "POST /_standin/faults/delay": '{"count": 1, "seconds": 5, "path"?, "when": "before"|"after"}',
    "POST /_standin/faults/decline-refund": '{"code": "card_declined" | "charge_already_refunded" '
                                            '| "insufficient_funds"}',
    "GET /_standin/webhooks": "every delivery with its attempts and the endpoint's answers",
    "POST /_standin/webhooks/config": '{"url"?, "attempts"?, "backoff"?, "timeout"?, '
                                      '"order"?: "as_sent" | "reverse" | "shuffle", "seed"?, '
                                      '"workers"?: 1-32, "events"?: ["charge.*", ...]}',
    "POST /_standin/webhooks/pause": "hold deliveries",
    "POST /_standin/webhooks/resume": '{"drop_pending"?: false}',
    "POST /_standin/webhooks/redeliver": '{"event_id": "evt_..."}',
    "GET /_standin/events": "every event, oldest first",
    "GET /_standin/tax_rates": "Stripe Tax's table: percentages by country and state",
    "POST /_standin/tax_rates": '{"rates": [{"country": "US", "state"?: "NY", '
                                '"percentage": 8.875}, ...]}: replace the table',
    "POST /_standin/clock": '{"advance": seconds}: move the clock forward (expiry, key lifetime) '
                            "and bill every subscription period that ends meanwhile, in order, "
                            "before answering {\"now\", \"billed\"}",
    "POST /_standin/customers/<id>/decline": '{"declines": true | false, "code"?: "card_declined" '
                                             '| "insufficient_funds" | "expired_card"}: the '
                                             "customer's card declines (renewals fail) or not",
    "POST /_standin/customers/<id>/update-card": "the customer gives a new card (as in the "
                                                 "billing portal): open invoices are paid",
    "POST /_standin/reset": "forget everything",
}


def _standin():
    return current_app.extensions["stripe_standin"]


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@bp.get("/")
def index():
    return json_response({"endpoints": ENDPOINTS, "webhook_target": _target_name()})


@bp.post("/sessions/<session_id>/<action>")
def session_action(session_id, action):
    standin = _standin()
    actions = {
        "pay": lambda: _pay(session_id),
        "cancel": lambda: {"redirect": standin.cancel(session_id)},
        "async-succeed": lambda: standin.async_succeed(session_id),
        "async-fail": lambda: standin.async_fail(session_id),
        "expire": lambda: standin.expire(session_id),
    }
    if action not in actions:
        raise StripeError(f"Unknown session action: {action}", status=404)
    return json_response(actions[action]())


def _pay(session_id: str) -> dict:
    """The customer pays, with what they entered on the page (a refused code: 400)."""
    body = _body()
    unknown = sorted(set(body) - {"method", "shipping_details", "phone", "email",
                                  "shipping_rate", "promotion_code"})
    if unknown:
        raise StripeError(f"Received unknown parameter: {unknown[0]}", code="parameter_unknown",
                          param=unknown[0])
    return _standin().pay(session_id, body.get("method", "card"),
                          **{k: v for k, v in body.items() if k != "method"})


@bp.get("/tax_rates")
def tax_rates():
    return json_response({"rates": _standin().tax_rates()})


@bp.post("/tax_rates")
def set_tax_rates():
    return json_response({"rates": _standin().set_tax_rates(_body().get("rates"))})


@bp.post("/refunds")
def dashboard_refund():
    body = _body()
    amount = body.get("amount")
    return json_response(_standin().dashboard_refund(
        body.get("payment_intent"), charge=body.get("charge"), reason=body.get("reason"),
        amount=None if amount is None else _int(amount, "amount"), metadata=body.get("metadata")))


@bp.post("/refunds/pending")
def refunds_pending():
    _standin().refunds_pending(bool(_body().get("pending", True)))
    return json_response({"refund_status": _standin().account.refund_status})


@bp.post("/refunds/<refund_id>/<action>")
def refund_action(refund_id, action):
    if action == "succeed":
        return json_response(_standin().settle_refund(refund_id))
    if action == "fail":
        return json_response(_standin().fail_refund(
            refund_id, _body().get("reason", "expired_or_canceled_card")))
    raise StripeError(f"Unknown refund action: {action}", status=404)


@bp.post("/disputes")
def open_dispute():
    body = _body()
    target = body.get("charge") or body.get("payment_intent")
    if not target:
        raise StripeError("Give a charge or a payment_intent.", param="charge")
    amount = body.get("amount")
    return json_response(_standin().open_dispute(
        target, amount=None if amount is None else _int(amount, "amount"),
        reason=body.get("reason", "fraudulent")))


@bp.post("/faults/<kind>")
def inject_fault(kind):
    body, standin = _body(), _standin()
    count = _int(body.get("count", 1), "count")
    if kind == "fail":
        standin.fail_next(count, status=_int(body.get("status", 500), "status"),
                          path=body.get("path"))
    elif kind == "delay":
        when = body.get("when", "before")
        if when not in ("before", "after"):
            raise StripeError("when is 'before' or 'after'", param="when")
        standin.delay_next(count, float(body.get("seconds", 5)), path=body.get("path"), when=when)
    elif kind == "decline-refund":
        try:
            standin.decline_next_refund(body.get("code", "card_declined"))
        except ValueError as exc:
            raise StripeError(str(exc), param="code") from None
    else:
        raise StripeError(f"Unknown fault: {kind}", status=404)
    return json_response({"ok": True})


@bp.get("/webhooks")
def deliveries():
    return json_response({"target": _target_name(), "deliveries": _standin().deliveries()})


@bp.post("/webhooks/<action>")
def webhook_action(action):
    body, standin = _body(), _standin()
    if action == "config":
        if "url" in body:
            standin.deliver_to(body["url"] or None)
        standin.configure_webhooks(
            attempts=body.get("attempts"), backoff=body.get("backoff"), timeout=body.get("timeout"),
            **_delivery_knobs(body))
    elif action == "pause":
        standin.pause_webhooks()
    elif action == "resume":
        standin.resume_webhooks(drop_pending=bool(body.get("drop_pending")))
    elif action == "redeliver":
        standin.redeliver(str(body.get("event_id", "")))
    else:
        raise StripeError(f"Unknown webhook action: {action}", status=404)
    return json_response({"ok": True, "target": _target_name()})


@bp.get("/events")
def events():
    return json_response({"events": _standin().events(request.args.get("type"))})


@bp.post("/clock")
def clock():
    seconds = _body().get("advance")
    try:
        billed = _standin().advance_clock(float(seconds))
    except (TypeError, ValueError):
        raise StripeError("advance is a number of seconds, not negative", param="advance") from None
    return json_response({"now": _standin().clock.now(), "billed": billed})


@bp.post("/customers/<customer_id>/<action>")
def customer_action(customer_id, action):
    body, standin = _body(), _standin()
    if action == "decline":
        declines = body.get("declines", True)
        standin.decline_card(customer_id, body.get("code", "card_declined") if declines else None)
        return json_response({"customer": customer_id, "declines": bool(declines)})
    if action == "update-card":
        return json_response(standin.update_card(customer_id))
    raise StripeError(f"Unknown customer action: {action}", status=404)


@bp.post("/reset")
def reset():
    _standin().reset()
    return json_response({"ok": True})


def _delivery_knobs(body: dict) -> dict:
    """`order`, `seed`, `workers` and `events` of a webhooks/config request, checked."""
    order, events = body.get("order"), body.get("events")
    if order is not None and order not in ORDERS:
        raise StripeError(f"order is one of {', '.join(ORDERS)}", param="order")
    if events is not None and not (isinstance(events, list)
                                   and all(isinstance(e, str) for e in events)):
        raise StripeError("events is a list of event types", param="events")
    workers = None if body.get("workers") is None else _int(body["workers"], "workers")
    if workers is not None and not 1 <= workers <= 32:
        raise StripeError("workers is between 1 and 32", param="workers")
    seed = None if body.get("seed") is None else _int(body["seed"], "seed")
    return {"order": order, "events": events, "workers": workers, "seed": seed}


def _target_name() -> str | None:
    target = _standin().dispatcher.target
    return target if isinstance(target, str) or target is None else repr(target)


def _int(value, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(f"Invalid integer: {value}", param=name) from None
