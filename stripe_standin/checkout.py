"""Checkout Sessions: create, expire, and what the hosted page does when the customer pays.

A card payment succeeds at once (`payment_status=paid`). A bank transfer completes the session
unpaid and settles later (`checkout.session.async_payment_succeeded` / `_failed`), by itself
after `account.async_delay` seconds or when a test says so.
"""
import threading

from stripe_standin import charges
from stripe_standin.account import Account, new_id
from stripe_standin.params import (StripeError, expand, integer, invalid, metadata, missing,
                                   no_such, one_of, text, unknown_parameter)
from stripe_standin.shapes import CHECKOUT_SESSION, CUSTOMER_DETAILS, LINE_ITEM, PRICE, shaped

MIN_LIFETIME, MAX_LIFETIME = 30 * 60, 24 * 60 * 60
# Since API version 2026-03-25 (hosted, embedded and custom are refused). Only the hosted page
# is served here: the others are refused by name rather than accepted and ignored.
UI_MODES = ("elements", "embedded_page", "hosted_page")
# Accepted and stored as given (they change nothing in this one-page checkout).
_PASSED_THROUGH = {"locale", "submit_type", "billing_address_collection", "customer_creation"}
# `payment_method_types` is not among them: Stripe removed it in API version 2026-09-30
# (allowed_payment_method_types / excluded_payment_method_types replace it).
_ACCEPTED = _PASSED_THROUGH | {
    "mode", "line_items", "success_url", "cancel_url", "client_reference_id", "customer_email",
    "metadata", "expires_at", "allowed_payment_method_types", "excluded_payment_method_types",
    "payment_intent_data", "expand", "allow_promotion_codes", "shipping_address_collection",
    "phone_number_collection", "automatic_tax", "custom_text", "consent_collection", "currency",
    "ui_mode"}


def create_session(account: Account, params: dict, request: dict) -> dict:
    unknown = sorted(set(params) - _ACCEPTED)
    if unknown:
        raise unknown_parameter(unknown[0])
    mode = text(params, "mode", required=True)
    if mode != "payment":
        raise invalid("mode", f"The stand-in supports mode=payment only, not {mode!r}.")
    ui_mode = one_of(params, "ui_mode", UI_MODES, default="hosted_page")
    if ui_mode != "hosted_page":
        raise invalid("ui_mode", f"The stand-in serves ui_mode=hosted_page only, not {ui_mode!r}.")
    success_url = text(params, "success_url", required=True, max_length=5000)
    created = account.now()
    expires_at = integer(params, "expires_at", default=created + MAX_LIFETIME)
    if not created + MIN_LIFETIME <= expires_at <= created + MAX_LIFETIME:
        raise invalid("expires_at", "The `expires_at` timestamp must be at least 30 minutes and "
                                    "at most 24 hours after the Checkout Session is created.")
    email = text(params, "customer_email", max_length=800)
    if email is not None and "@" not in email:
        raise invalid("customer_email", f"Invalid email address: {email}")
    session_id = new_id("cs_test_a1", 54)
    items = _line_items(params.get("line_items"), created)
    currencies = {item["currency"] for item in items}
    if len(currencies) > 1:
        raise invalid("line_items", "All line items must use the same currency.")
    total = sum(item["amount_total"] for item in items)
    session = shaped(
        CHECKOUT_SESSION, id=session_id, created=created, expires_at=expires_at,
        success_url=success_url, cancel_url=text(params, "cancel_url"),
        client_reference_id=text(params, "client_reference_id", max_length=200),
        customer_email=email, metadata=metadata(params), currency=currencies.pop(),
        amount_subtotal=total, amount_total=total, url=f"{account.base_url}/pay/{session_id}",
        payment_method_types=_payment_method_types(params), ui_mode=ui_mode,
        allow_promotion_codes=params.get("allow_promotion_codes") == "true" or None,
    )
    session.update({k: params[k] for k in _PASSED_THROUGH if isinstance(params.get(k), str)})
    intent_data = params.get("payment_intent_data") or {}
    with account.lock:
        account.sessions[session_id] = session
        account.line_items[session_id] = items
        account.intent_data[session_id] = {
            "metadata": metadata(intent_data) if isinstance(intent_data, dict) else {},
            "description": intent_data.get("description") if isinstance(intent_data, dict) else None,
        }
        return account.expanded(session, expand(params))


def _payment_method_types(params: dict) -> list[str]:
    for name in ("allowed_payment_method_types", "excluded_payment_method_types"):
        types = params.get(name)
        if types is not None and (not isinstance(types, list)
                                  or not all(isinstance(t, str) for t in types)):
            raise invalid(name, "Invalid array")
    allowed = params.get("allowed_payment_method_types") or ["card"]
    excluded = params.get("excluded_payment_method_types") or []
    return [t for t in allowed if t not in excluded]


def _line_items(raw, created: int) -> list[dict]:
    if not raw:
        raise missing("line_items")
    if not isinstance(raw, list) or len(raw) > 100:
        raise invalid("line_items", "line_items must be an array of at most 100 items.")
    items = []
    for index, item in enumerate(raw):
        label = f"line_items[{index}]"
        if not isinstance(item, dict):
            raise invalid(label, f"Invalid object: {label}")
        if item.get("price"):
            raise no_such("price", item["price"], f"{label}[price]")
        data = item.get("price_data")
        if not isinstance(data, dict):
            raise missing(f"{label}[price_data]")
        currency = text(data, "currency", required=True, label=f"{label}[price_data][currency]")
        if len(currency) != 3 or not currency.isalpha():
            raise invalid(f"{label}[price_data][currency]", f"Invalid currency: {currency}")
        currency = currency.lower()
        unit_amount = integer(data, "unit_amount", required=True, minimum=0, maximum=99999999,
                              label=f"{label}[price_data][unit_amount]")
        product = data.get("product_data")
        if not isinstance(product, dict):
            if data.get("product"):
                raise no_such("product", data["product"], f"{label}[price_data][product]")
            raise missing(f"{label}[price_data][product_data]")
        name = text(product, "name", required=True, label=f"{label}[price_data][product_data][name]")
        quantity = integer(item, "quantity", required=True, minimum=1, maximum=999999,
                           label=f"{label}[quantity]")
        price = shaped(PRICE, id=new_id("price_1"), created=created, currency=currency,
                       product=new_id("prod_", 14), unit_amount=unit_amount,
                       unit_amount_decimal=str(unit_amount))
        amount = unit_amount * quantity
        items.append(shaped(LINE_ITEM, id=new_id("li_1"), amount_subtotal=amount, amount_total=amount,
                            currency=currency, description=name, price=price, quantity=quantity))
    return items


def expire_session(account: Account, session_id: str, request: dict | None = None) -> dict:
    with account.together():
        session = _session(account, session_id)
        if session["status"] != "open":
            raise StripeError('Only Checkout Sessions with a status in ["open"] can be expired. '
                              f'This Checkout Session has a status of "{session["status"]}".')
        _expire(account, session, request)
        return account.expanded(session, set())


def expire_due(account: Account) -> int:
    """Expire every open session past its `expires_at`, as Stripe does on its own."""
    with account.together():
        due = [s for s in account.sessions.values()
               if s["status"] == "open" and s["expires_at"] <= account.now()]
        for session in due:
            _expire(account, session, None)
        return len(due)


def _expire(account: Account, session: dict, request: dict | None) -> None:
    session.update(status="expired", url=None)
    account.emit("checkout.session.expired", session, request)


def pay(account: Account, session_id: str, method: str = "card") -> dict:
    """The customer pays on the hosted page: by card (at once) or by bank transfer (later)."""
    if method not in ("card", "bank_transfer"):
        raise invalid("method", "method is card or bank_transfer")
    expire_due(account)
    with account.together():
        session = _session(account, session_id)
        if session["status"] != "open":
            raise StripeError(f"This Checkout Session is {session['status']}: it can no longer "
                              "be paid.", code="checkout_session_not_open")
        intent = charges.create_payment(account, session, method)
        session.update(status="complete", payment_intent=intent["id"], url=None,
                       customer_details=shaped(CUSTOMER_DETAILS, email=session["customer_email"]
                                               or "jenny.rosen@example.com"))
        if session["amount_total"] == 0:
            session["payment_status"] = "no_payment_required"
        elif method == "card":
            session["payment_status"] = "paid"
        account.emit("checkout.session.completed", session)
        if method == "bank_transfer" and account.async_delay is not None:
            timer = threading.Timer(account.async_delay, _settle_quietly, (account, session_id))
            timer.daemon = True
            account.timers.append(timer)
            timer.start()
        return account.expanded(session, set())


def settle_async(account: Account, session_id: str, succeeded: bool = True) -> dict:
    """The bank transfer of a completed, unpaid session arrives (or fails)."""
    with account.together():
        session = _session(account, session_id)
        intent = account.payment_intents.get(session["payment_intent"] or "")
        if session["status"] != "complete" or not intent or intent["status"] != "processing":
            raise StripeError("This Checkout Session has no bank transfer awaiting settlement.",
                              code="payment_intent_unexpected_state")
        charges.settle(account, intent, succeeded)
        if succeeded:
            session["payment_status"] = "paid"
            account.emit("checkout.session.async_payment_succeeded", session)
        else:
            account.emit("checkout.session.async_payment_failed", session)
        return account.expanded(session, set())


def _settle_quietly(account: Account, session_id: str) -> None:
    try:
        settle_async(account, session_id)
    except StripeError:
        pass  # a test or the control API settled it first


def _session(account: Account, session_id: str) -> dict:
    session = account.sessions.get(session_id)
    if session is None:
        raise no_such("checkout.session", session_id)
    return session
