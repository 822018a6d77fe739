"""What support needs before deciding a claim: the order, the window, what the customer was sent
and did, earlier claims from the same email, and the claim's audit log (a handful of queries)."""
from datetime import datetime

from sqlalchemy import func, select

from shop.db import as_utc
from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.guarantee import states
from shop.guarantee.models import Claim
from shop.guarantee.services import claim_dict, get_claim, guarantee_days, guarantee_deadline, refundable_amount
from shop.orders.models import Order, OrderEvent

# A timeline entry for "stay at this dose", should the follow-ups record one; they mark the
# follow-up row itself (`FollowUp.held_at`), which is read too.
STAY_AT_DOSE_EVENT = "followup_hold"


def _held_followups(order: Order) -> list[dict]:
    from shop.followups.models import FollowUp

    rows = db.session.scalars(select(FollowUp).where(FollowUp.order_id == order.id, FollowUp.held_at.is_not(None))
                              .order_by(FollowUp.held_at))
    return [{"at": _iso(r.held_at), "message": f"Stayed at {r.capsules} capsule(s) from day {r.step_day}"}
            for r in rows]


def claim_context(claim_id: int) -> dict:
    """Everything the claim view shows, as plain data (the admin panel and the staff API)."""
    claim = get_claim(claim_id)
    order = claim.order
    emails = db.session.scalars(
        select(EmailMessage).where(EmailMessage.order_id == order.id, EmailMessage.kind.like("followup%"))
        .order_by(EmailMessage.created_at, EmailMessage.id)
    )
    holds = [{"at": _iso(e.created_at), "message": e.message} for e in db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == STAY_AT_DOSE_EVENT)
        .order_by(OrderEvent.id)
    )] + _held_followups(order)
    earlier = db.session.scalars(
        select(Claim).join(Order, Order.id == Claim.order_id)
        .where(func.lower(Order.email) == order.email.lower(), Claim.id != claim.id)
        .order_by(Claim.created_at, Claim.id)
    )
    return {
        "claim": {
            **claim_dict(claim),
            "details": claim.details, "doses_reached": claim.doses_reached, "side_effects": claim.side_effects,
            "approved_amount": claim.approved_amount, "repeat_claimer": claim.repeat_claimer,
            "note": claim.note, "failure_message": claim.failure_message, "attempts": claim.attempts,
            "decided_by": claim.decided_by.email if claim.decided_by else None,
            "decided_at": _iso(claim.decided_at),
            "stripe_refund_id": claim.refund.stripe_refund_id if claim.refund else None,
        },
        "order": {
            "id": order.id, "email": order.email, "status": order.status, "total": order.total,
            "shipping": order.amount_shipping, "amounts": order.amounts,
            "shipping_address": order.shipping_address, "refunded_total": order.refunded_total, "currency": order.currency,
            "paid_at": _iso(order.paid_at), "delivered_at": _iso(order.delivered_at),
            "card_brand": order.card_brand, "card_last4": order.card_last4,
            "items": [{"slug": i.slug, "name": i.name, "quantity": i.quantity, "unit_price": i.unit_price}
                      for i in order.items],
        },
        "guarantee_days": guarantee_days(order),
        "deadline": _iso(guarantee_deadline(order)),
        "refundable": refundable_amount(order),
        "followup_emails": [{"kind": e.kind, "subject": e.subject, "status": e.status,
                             "created_at": _iso(e.created_at), "sent_at": _iso(e.sent_at)} for e in emails],
        "stayed_at_dose": bool(holds),
        "stay_at_dose_clicks": holds,
        "earlier_claims": [{**claim_dict(c), "order_email": order.email} for c in earlier],
        "audit": [audit_dict(entry) for entry in claim.audits],
        "decisions": states.decisions(claim),
    }


def audit_dict(entry) -> dict:
    return {"at": _iso(entry.created_at), "actor": entry.actor, "action": entry.action,
            "from_status": entry.from_status, "to_status": entry.to_status, "amount": entry.amount,
            "note": entry.note, "stripe_refund_id": entry.stripe_refund_id,
            "idempotency_key": entry.idempotency_key}


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None
