"""Checkout Sessions: create, expire, and what the hosted page does when the customer pays.

A card payment succeeds at once (`payment_status=paid`). A bank transfer completes the session
unpaid and settles later (`checkout.session.async_payment_succeeded` / `_failed`), by itself
after `account.async_delay` seconds or when a test says so.
"""
import threading

from stripe_standin.account import Account, new_id, now
from stripe_standin.params import (StripeError, expand, integer, invalid, metadata, missing,
                                        no_such, text)
from stripe_standin.shapes import (CARD_DETAILS, CHARGE, CHECKOUT_SESSION, CUSTOMER_DETAILS,
                                        LINE_ITEM, PAYMENT_INTENT, PRICE, shaped)

MIN_LIFETIME, MAX_LIFETIME = 30 * 60, 24 * 60 * 60
# Accepted and stored as given (they change nothing in this one-page checkout).
_PASSED_THROUGH = {"locale", "submit_type", "billing_address_collection", "customer_creation",
                   "ui_mode"}
_ACCEPTED = _PASSED_THROUGH | {
    "mode", "line_items", "success_url", "cancel_url", "client_reference_id", "customer_email",
    "metadata", "expires_at", "payment_method_types", "payment_intent_data", "expand",
    "allow_promotion_codes", "shipping_address_collection", "phone_number_collection",
    "automatic_tax", "custom_text", "consent_collection", "currency"}


def create_session(account: Account, params: dict, request: dict) -> dict:
    unknown = sorted(set(params) - _ACCEPTED)
    if unknown:
        raise StripeError(f"Received unknown parameter: {unknown[0]}", param=unknown[0])
    mode = text(params, "mode", required=True)
    if mode != "payment":
        raise invalid("mode", f"The stand-in supports mode=payment only, not {mode!r}.")
    success_url = text(params, "success_url", required=True, max_length=5000)
    created = now()
    expires_at = integer(params, "expires_at", default=created + MAX_LIFETIME)
    if not created + MIN_LIFETIME - 60 <= expires_at <= created + MAX_LIFETIME + 60:
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
        payment_method_types=_payment_method_types(params),
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
    types = params.get("payment_method_types")
    if types is None:
        return ["card"]
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise invalid("payment_method_types", "Invalid array")
    return types


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
    with account.lock:
        session = _session(account, session_id)
        if session["status"] != "open":
            raise StripeError('Only Checkout Sessions with a status in ["open"] can be expired. '
                              f'This Checkout Session has a status of "{session["status"]}".')
        _expire(account, session, request)
        return account.expanded(session, set())


def expire_due(account: Account) -> int:
    """Expire every open session past its `expires_at`, as Stripe does on its own."""
    with account.lock:
        due = [s for s in account.sessions.values()
               if s["status"] == "open" and s["expires_at"] <= now()]
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
    with account.lock:
        session = _session(account, session_id)
        if session["status"] != "open":
            raise StripeError(f"This Checkout Session is {session['status']}: it can no longer "
                              "be paid.", code="checkout_session_not_open")
        intent = _payment_intent(account, session, method)
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
    with account.lock:
        session = _session(account, session_id)
        intent = account.payment_intents.get(session["payment_intent"] or "")
        if session["status"] != "complete" or not intent or intent["status"] != "processing":
            raise StripeError("This Checkout Session has no bank transfer awaiting settlement.",
                              code="payment_intent_unexpected_state")
        charge = account.charges[intent["latest_charge"]]
        if succeeded:
            charge.update(status="succeeded", paid=True, amount_captured=charge["amount"],
                          balance_transaction=new_id("txn_1"))
            intent.update(status="succeeded", amount_received=intent["amount"])
            session["payment_status"] = "paid"
            account.emit("checkout.session.async_payment_succeeded", session)
        else:
            charge.update(status="failed", failure_code="insufficient_funds",
                          failure_message="The customer's account has insufficient funds.",
                          outcome=dict(charge["outcome"], network_status="declined_by_network",
                                       type="issuer_declined", seller_message="Payment failed."))
            intent.update(status="requires_payment_method",
                          last_payment_error={"type": "card_error", "code": "insufficient_funds",
                                              "message": charge["failure_message"]})
            account.emit("checkout.session.async_payment_failed", session)
        return account.expanded(session, set())


def _settle_quietly(account: Account, session_id: str) -> None:
    try:
        settle_async(account, session_id)
    except StripeError:
        pass  # a test or the control API settled it first


def _payment_intent(account: Account, session: dict, method: str) -> dict:
    created = now()
    intent_id, charge_id = new_id("pi_3"), new_id("ch_3")
    extra = account.intent_data.get(session["id"], {})
    card = method == "card"
    intent = shaped(
        PAYMENT_INTENT, id=intent_id, amount=session["amount_total"], created=created,
        currency=session["currency"], client_secret=f"{intent_id}_secret_{new_id('', 25)}",
        latest_charge=charge_id, metadata=extra.get("metadata", {}),
        description=extra.get("description"), payment_method=new_id("pm_1"),
        payment_method_types=["card"] if card else ["sepa_debit"],
        status="succeeded" if card else "processing",
        amount_received=session["amount_total"] if card else 0,
    )
    details = ({"card": dict(CARD_DETAILS, amount_authorized=session["amount_total"]), "type": "card"}
               if card else
               {"sepa_debit": {"bank_code": "37040044", "branch_code": None, "country": "DE",
                               "fingerprint": "7tGtBm3oQoGgqQ1p", "last4": "3000",
                               "mandate": new_id("mandate_1")}, "type": "sepa_debit"})
    charge = shaped(
        CHARGE, id=charge_id, amount=session["amount_total"], created=created,
        amount_captured=session["amount_total"] if card else 0, currency=session["currency"],
        balance_transaction=new_id("txn_3") if card else None, payment_intent=intent_id,
        payment_method=intent["payment_method"], payment_method_details=details,
        billing_details=dict(CHARGE["billing_details"], email=session["customer_email"]),
        receipt_email=session["customer_email"], paid=card,
        status="succeeded" if card else "pending",
        receipt_url=f"{account.base_url}/receipts/{charge_id}",
        refunds={"object": "list", "data": [], "has_more": False,
                 "url": f"/v1/charges/{charge_id}/refunds"},
    )
    account.payment_intents[intent_id] = intent
    account.charges[charge_id] = charge
    return intent


def _session(account: Account, session_id: str) -> dict:
    session = account.sessions.get(session_id)
    if session is None:
        raise no_such("checkout.session", session_id)
    return session
