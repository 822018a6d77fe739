"""Refunds (from the API or "from the dashboard") and disputes.

A refund never takes more than the charge has left: pending and succeeded refunds both count,
as at Stripe. Refunds succeed at once unless the account is set to leave them `pending`, in which
case `settle_refund` decides later, sending what Stripe sends: `refund.updated` and
`charge.refunded` on success, `refund.updated` and `refund.failed` on failure.
"""
from stripe_standin.account import Account, new_id
from stripe_standin.params import (InvalidParameter, StripeError, expand, integer, invalid,
                                   metadata, no_such, text, unknown_parameter)
from stripe_standin.shapes import DISPUTE, REFUND, shaped

REASONS = {"duplicate", "fraudulent", "requested_by_customer"}
DECLINES = {
    "card_declined": dict(status=402, type="card_error", code="card_declined",
                          decline_code="generic_decline", message="Your card was declined."),
    "charge_already_refunded": dict(status=400, code="charge_already_refunded",
                                    message="Charge has already been refunded."),
    "insufficient_funds": dict(status=400, code="balance_insufficient",
                               message="You have insufficient funds in your Stripe balance to "
                                       "refund this amount."),
}


def create_refund(account: Account, params: dict, request: dict | None) -> dict:
    unknown = sorted(set(params) - {"payment_intent", "charge", "amount", "metadata", "reason",
                                    "expand", "instructions_email"})
    if unknown:
        raise unknown_parameter(unknown[0])
    reason = text(params, "reason")
    if reason is not None and reason not in REASONS:
        raise invalid("reason", f"Invalid reason: must be one of {', '.join(sorted(REASONS))}")
    data = metadata(params)
    with account.together():
        charge = _refundable_charge(account, params)
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = integer(params, "amount", minimum=1, default=remaining)
        if account.refund_declines:
            decline = dict(DECLINES[account.refund_declines.pop(0)])
            raise StripeError(decline.pop("message"), **decline)
        if remaining <= 0:
            raise StripeError(f"Charge {charge['id']} has already been refunded.",
                              code="charge_already_refunded")
        if amount > remaining:
            raise StripeError(
                f"Refund amount ({_money(amount, charge)}) is greater than unrefunded amount on "
                f"charge ({_money(remaining, charge)})", code="amount_too_large", param="amount")
        status = account.refund_status
        refund = shaped(
            REFUND, id=new_id("re_3"), amount=amount, charge=charge["id"], created=account.now(),
            currency=charge["currency"], metadata=data, payment_intent=charge["payment_intent"],
            payment_method=charge["payment_method"], reason=reason, status=status,
            balance_transaction=new_id("txn_3") if status == "succeeded" else None,
            destination_details={"card": {"reference": None, "reference_status": "pending",
                                          "reference_type": "acquirer_reference_number",
                                          "type": "refund"}, "type": "card"},
        )
        account.refunds[refund["id"]] = refund
        _count(charge, amount)
        account.emit("refund.created", refund, request)
        if status == "succeeded":
            account.emit("charge.refunded", charge, request)
        return account.expanded(refund, expand(params))


def settle_refund(account: Account, refund_id: str, succeeded: bool = True,
                  failure_reason: str = "expired_or_canceled_card") -> dict:
    with account.together():
        refund = account.refunds.get(refund_id)
        if refund is None:
            raise no_such("refund", refund_id)
        allowed = ("pending",) if succeeded else ("pending", "succeeded")
        if refund["status"] not in allowed:
            raise StripeError(f"Refund {refund_id} is {refund['status']}.",
                              code="refund_unexpected_state")
        charge = account.charges[refund["charge"]]
        previous = {"status": refund["status"]}
        if succeeded:
            refund.update(status="succeeded", balance_transaction=new_id("txn_3"))
            _count(charge, 0)
            account.emit("refund.updated", refund, previous=previous)
            account.emit("charge.refunded", charge)
        else:
            refund.update(status="failed", failure_reason=failure_reason,
                          failure_balance_transaction=new_id("txn_3"))
            _count(charge, -refund["amount"])
            account.emit("refund.updated", refund, previous=previous)
            account.emit("refund.failed", refund)
        return account.expanded(refund, set())


def open_dispute(account: Account, charge_id: str, *, amount: int | None = None,
                 reason: str = "fraudulent") -> dict:
    with account.together():
        charge = _charge_or_intent(account, charge_id)
        if charge["status"] != "succeeded":
            raise StripeError(f"Charge {charge['id']} is {charge['status']}: it cannot be disputed.")
        created = account.now()
        dispute = shaped(DISPUTE, id=new_id("dp_1"), amount=amount or charge["amount"],
                         charge=charge["id"], created=created, currency=charge["currency"],
                         payment_intent=charge["payment_intent"], reason=reason)
        dispute["evidence_details"]["due_by"] = created + 7 * 24 * 3600
        account.disputes[dispute["id"]] = dispute
        charge["disputed"] = True
        account.emit("charge.dispute.created", dispute)
        return account.expanded(dispute, set())


def _refundable_charge(account: Account, params: dict) -> dict:
    intent_id, charge_id = params.get("payment_intent"), params.get("charge")
    if not intent_id and not charge_id:
        raise InvalidParameter("One of `charge` or `payment_intent` is required.",
                               code="parameter_missing", param="payment_intent")
    if intent_id:
        intent = account.payment_intents.get(intent_id)
        if intent is None:
            raise no_such("payment_intent", intent_id, "payment_intent")
        if charge_id and charge_id != intent["latest_charge"]:
            raise invalid("charge", f"Charge {charge_id} does not belong to {intent_id}.")
        charge_id = intent["latest_charge"]
        if intent["status"] != "succeeded":
            raise StripeError(f"This PaymentIntent ({intent_id}) does not have a successful "
                              "charge to refund.", code="charge_not_refundable",
                              param="payment_intent")
    charge = account.charges.get(charge_id)
    if charge is None:
        raise no_such("charge", charge_id, "charge")
    if charge["status"] != "succeeded":
        raise StripeError(f"Charge {charge_id} has not succeeded: it cannot be refunded.",
                          code="charge_not_refundable", param="charge")
    if charge["disputed"]:
        raise StripeError(f"Charge {charge_id} has been charged back; cannot issue a refund.",
                          code="charge_disputed", param="charge")
    return charge


def _charge_or_intent(account: Account, object_id: str) -> dict:
    if object_id.startswith("pi_") and object_id in account.payment_intents:
        object_id = account.payment_intents[object_id]["latest_charge"] or ""
    charge = account.charges.get(object_id)
    if charge is None:
        raise no_such("charge", object_id, "charge")
    return charge


def _count(charge: dict, amount: int) -> None:
    """Keep the charge's refunded total current (it lists its refunds only when expanded)."""
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]


def _money(amount: int, charge: dict) -> str:
    return f"{amount / 100:.2f} {charge['currency'].upper()}"
