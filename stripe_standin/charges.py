"""The payment behind a paid Checkout Session: its PaymentIntent and Charge, and their events.

Stripe announces a card payment with `payment_intent.created`, `charge.succeeded` and
`payment_intent.succeeded` besides the session's own `checkout.session.completed`; a bank
transfer with `payment_intent.created`, `payment_intent.processing` and `charge.pending`, then
`charge.succeeded` + `payment_intent.succeeded` or `charge.failed` +
`payment_intent.payment_failed` when it settles. A charge carries its PaymentIntent's metadata.
Callers hold `account.together()`, so one change's events reach the dispatcher as one batch.
"""
from stripe_standin.account import Account, new_id
from stripe_standin.shapes import CARD_DETAILS, CHARGE, PAYMENT_INTENT, shaped

_SEPA_DETAILS = {"bank_code": "37040044", "branch_code": None, "country": "DE",
                 "fingerprint": "7tGtBm3oQoGgqQ1p", "last4": "3000"}


def create_payment(account: Account, session: dict, method: str) -> dict:
    """The PaymentIntent and Charge of a session paid by `method` (card: at once)."""
    created = account.now()
    intent_id, charge_id = new_id("pi_3"), new_id("ch_3")
    extra = account.intent_data.get(session["id"], {})
    card = method == "card"
    amount = session["amount_total"]
    intent = shaped(
        PAYMENT_INTENT, id=intent_id, amount=amount, created=created,
        currency=session["currency"], client_secret=f"{intent_id}_secret_{new_id('', 25)}",
        metadata=extra.get("metadata", {}), description=extra.get("description"),
        payment_method=new_id("pm_1"), payment_method_types=["card"] if card else ["sepa_debit"],
        shipping=_shipping(session),
    )
    account.payment_intents[intent_id] = intent
    account.emit("payment_intent.created", intent)
    details = ({"card": dict(CARD_DETAILS, amount_authorized=amount), "type": "card"} if card else
               {"sepa_debit": dict(_SEPA_DETAILS, mandate=new_id("mandate_1")), "type": "sepa_debit"})
    charge = shaped(
        CHARGE, id=charge_id, amount=amount, created=created,
        amount_captured=amount if card else 0, currency=session["currency"],
        balance_transaction=new_id("txn_3") if card else None, payment_intent=intent_id,
        payment_method=intent["payment_method"], payment_method_details=details,
        billing_details=_billing_details(session), shipping=intent["shipping"],
        receipt_email=session["customer_email"], paid=card, status="succeeded" if card else "pending",
        receipt_url=f"{account.base_url}/receipts/{charge_id}", metadata=dict(intent["metadata"]),
        description=intent["description"],
    )
    account.charges[charge_id] = charge
    intent["latest_charge"] = charge_id
    if card:
        intent.update(status="succeeded", amount_received=amount)
        account.emit("charge.succeeded", charge)
        account.emit("payment_intent.succeeded", intent)
    else:
        intent["status"] = "processing"
        account.emit("payment_intent.processing", intent)
        account.emit("charge.pending", charge)
    return intent


def _shipping(session: dict) -> dict | None:
    """Checkout hands the address it collected to the PaymentIntent (and so the Charge)."""
    details = (session.get("collected_information") or {}).get("shipping_details")
    if not details:
        return None
    return {"address": dict(details["address"]), "carrier": None, "name": details["name"],
            "phone": (session.get("customer_details") or {}).get("phone"),
            "tracking_number": None}


def _billing_details(session: dict) -> dict:
    customer = session.get("customer_details")
    if not customer:
        return dict(CHARGE["billing_details"], email=session["customer_email"])
    return dict(CHARGE["billing_details"], address=dict(customer["address"]),
                email=session["customer_email"], name=customer["name"], phone=customer["phone"])


def settle(account: Account, intent: dict, succeeded: bool) -> None:
    """A bank transfer arrives (or fails): its charge and intent move on, with their events."""
    charge = account.charges[intent["latest_charge"]]
    if succeeded:
        charge.update(status="succeeded", paid=True, amount_captured=charge["amount"],
                      balance_transaction=new_id("txn_1"))
        intent.update(status="succeeded", amount_received=intent["amount"])
        account.emit("charge.succeeded", charge)
        account.emit("payment_intent.succeeded", intent)
        return
    charge.update(status="failed", failure_code="insufficient_funds",
                  failure_message="The customer's account has insufficient funds.",
                  outcome=dict(charge["outcome"], network_status="declined_by_network",
                               type="issuer_declined", seller_message="Payment failed."))
    intent.update(status="requires_payment_method",
                  last_payment_error={"type": "card_error", "code": "insufficient_funds",
                                      "message": charge["failure_message"]})
    account.emit("charge.failed", charge)
    account.emit("payment_intent.payment_failed", intent)
