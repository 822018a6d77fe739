"""What the store holds about one email address: export it, or erase it.

Erasing keeps the accounting (orders' totals, items, refunds, Stripe ids, claim amounts) and
removes what identifies the person: the address on orders becomes a placeholder, tracking
numbers and free text they wrote (claim reasons, review names and websites) go, the bodies of
emails sent to them are deleted, scheduled follow-ups are cancelled, their customer account
(its sessions and one-time links) is deleted, which signs them out everywhere, and the address
is kept on the suppression list only, so nothing is ever sent to it again. Staff (the admin,
`flask customers ...`) and the customer (the account page, `shop.customers.account`) run the
same two functions. Services flush; the caller commits.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from shop.accounts.services import normalise_email
from shop.catalog.models import Product
from shop.customers.models import AccountLink, Customer, CustomerSession
from shop.db import as_utc, utcnow
from shop.emails.models import FAILED, QUEUED, SENDING, EmailMessage, EmailSuppression
from shop.errors import Unprocessable
from shop.extensions import db
from shop.followups.models import CANCELLED as FOLLOWUP_CANCELLED, SCHEDULED, FollowUp, RemindersOff
from shop.followups.states import set_status as set_followup_status
from shop.guarantee.models import Claim
from shop.orders import states
from shop.orders.models import Order
from shop.payments.models import Refund
from shop.reviews.models import Entry

FORMER_CUSTOMER = "Former customer"
ERASED_TEXT = "[erased at the customer's request]"
ERASURE_REASON = "erased"
ADDRESSES_DIFFER = "The two addresses differ"


def placeholder_email(order_id: int) -> str:
    """Non-identifying and undeliverable (.invalid is reserved, RFC 2606)."""
    return f"erased-order-{order_id}@erased.invalid"


@dataclass
class ErasureReport:
    email: str
    orders_scrubbed: int = 0
    claims_scrubbed: int = 0
    followups_cancelled: int = 0
    emails_scrubbed: int = 0
    reviews_anonymised: int = 0
    review_bodies_removed: int = 0
    account_deleted: bool = False
    suppressed: bool = False

    def lines(self) -> list[str]:
        return [
            f"{self.orders_scrubbed} order(s) scrubbed (address replaced, tracking removed; totals, refunds and Stripe ids kept)",
            f"{self.claims_scrubbed} claim(s) scrubbed (reason and details removed; amounts kept)",
            f"{self.followups_cancelled} scheduled follow-up(s) cancelled",
            f"{self.emails_scrubbed} email(s) in the log emptied (address, subject and bodies removed)",
            f"{self.reviews_anonymised} review(s)/question(s) anonymised"
            + (f", {self.review_bodies_removed} bodies removed" if self.review_bodies_removed else ", bodies kept"),
            "customer account deleted (every sign-in session ended)" if self.account_deleted else "no customer account",
            "address kept on the suppression list: nothing will be sent to it again"
            if self.suppressed else "address was already on the suppression list",
        ]


def _address(email: str) -> str:
    return normalise_email(email or "")


# Every look-up by address compares lower(column) with the lower-cased address: the very
# expressions the tables' indexes on lower(email) / lower("to") are built on, so a brand's
# millions of rows are probed, never scanned.
def _orders(email: str, *, with_parts: bool = False) -> list[Order]:
    query = select(Order).where(func.lower(Order.email) == email.lower()).order_by(Order.id)
    if with_parts:  # items and timelines of every order in two statements, however many orders
        query = query.options(selectinload(Order.items), selectinload(Order.events))
    return list(db.session.scalars(query))


def _entries(email: str) -> list[Entry]:
    return list(db.session.scalars(
        select(Entry).where(func.lower(Entry.email) == email.lower()).order_by(Entry.id)
        .options(selectinload(Entry.product).load_only(Product.slug))))


def _emails(email: str) -> list[EmailMessage]:
    return list(db.session.scalars(
        select(EmailMessage).where(func.lower(EmailMessage.to) == email.lower()).order_by(EmailMessage.id)))


def _suppression(email: str) -> EmailSuppression | None:
    # Stored lower-cased (`suppress_marketing`, erasure), so its unique index answers equality.
    return db.session.scalar(select(EmailSuppression).where(EmailSuppression.email == email.lower()))


def _when(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def export_customer_data(email: str) -> dict:
    """Everything held about `email`, as JSON-ready data (read only).

    A bounded number of statements whatever the number of orders: one per table.
    """
    email = _address(email)
    orders = _orders(email, with_parts=True)
    order_ids = [o.id for o in orders]
    claims = list(db.session.scalars(select(Claim).where(Claim.order_id.in_(order_ids)).order_by(Claim.id))) if order_ids else []
    followups = list(db.session.scalars(
        select(FollowUp).where(FollowUp.order_id.in_(order_ids)).order_by(FollowUp.due_at, FollowUp.id))) if order_ids else []
    refunds = list(db.session.scalars(select(Refund).where(Refund.order_id.in_(order_ids)).order_by(Refund.id))) if order_ids else []
    suppressed = _suppression(email)
    reminders_off = set(db.session.scalars(
        select(RemindersOff.order_id).where(RemindersOff.order_id.in_(order_ids)))) if order_ids else set()
    return {
        "email": email,
        "exported_at": utcnow().isoformat(),
        "account": _account(email),
        "dosing_reminders_off_for_orders": sorted(reminders_off),
        "orders": [_order(o) for o in orders],
        "refunds": [{"id": r.id, "order_id": r.order_id, "claim_id": r.claim_id, "amount": r.amount,
                     "currency": r.currency, "status": r.status, "stripe_refund_id": r.stripe_refund_id} for r in refunds],
        "claims": [_claim(c) for c in claims],
        "followups": [{"id": f.id, "order_id": f.order_id, "kind": f.kind, "day": f.step_day,
                       "capsules": f.capsules, "due_at": _when(f.due_at), "status": f.status,
                       "sent_at": _when(f.sent_at)} for f in followups],
        "emails": [{"id": m.id, "kind": m.kind, "category": m.category, "subject": m.subject,
                    "status": m.status, "created_at": _when(m.created_at), "sent_at": _when(m.sent_at),
                    "order_id": m.order_id, "body_text": m.body_text} for m in _emails(email)],
        "reviews": [{"id": e.id, "kind": e.kind, "product": e.product.slug, "status": e.status, "name": e.name,
                     "website": e.website, "rating": e.rating, "body": e.body, "parent_id": e.parent_id,
                     "verified_buyer": e.verified_buyer, "created_at": _when(e.created_at)} for e in _entries(email)],
        "suppressions": [{"email": suppressed.email, "since": _when(suppressed.created_at)}] if suppressed else [],
    }


def _account(email: str) -> dict | None:
    customer = db.session.scalar(select(Customer).where(Customer.email == email))
    if customer is None:
        return None
    sessions = db.session.scalars(
        select(CustomerSession).where(CustomerSession.customer_id == customer.id).order_by(CustomerSession.id))
    saved = {name: getattr(customer, f"shipping_{name}")
             for name in ("name", "line1", "line2", "city", "state", "postal_code", "country", "phone")}
    return {"email": customer.email, "created_at": _when(customer.created_at),
            "last_sign_in_at": _when(customer.last_sign_in_at),
            "shipping_address": saved if any(saved.values()) else None,
            "stripe_customer_id": customer.stripe_customer_id,
            "sessions": [{"started_at": _when(s.created_at), "expires_at": _when(s.expires_at),
                          "ended_at": _when(s.ended_at)} for s in sessions]}


def _order(order: Order) -> dict:
    return {
        "id": order.id, "status": order.status, "email": order.email, "total": order.total,
        "shipping": order.amount_shipping, "amounts": order.amounts,
        "shipping_address": order.shipping_address, "currency": order.currency, "refunded_total": order.refunded_total,
        "card_brand": order.card_brand, "card_last4": order.card_last4, "carrier": order.carrier,
        "tracking_number": order.tracking_number, "created_at": _when(order.created_at),
        "paid_at": _when(order.paid_at), "shipped_at": _when(order.shipped_at),
        "delivered_at": _when(order.delivered_at), "cancelled_at": _when(order.cancelled_at),
        "items": [{"slug": i.slug, "name": i.name, "quantity": i.quantity, "unit_price": i.unit_price}
                  for i in order.items],
        "events": [{"at": _when(e.created_at), "actor": e.actor, "kind": e.kind, "from_status": e.from_status,
                    "to_status": e.to_status, "message": e.message} for e in order.events],
    }


def _claim(claim: Claim) -> dict:
    return {
        "id": claim.id, "order_id": claim.order_id, "status": claim.status, "reason": claim.reason,
        "details": claim.details, "doses_reached": claim.doses_reached, "side_effects": claim.side_effects,
        "requested_amount": claim.requested_amount, "refunded_amount": claim.refunded_amount,
        "currency": claim.currency, "created_at": _when(claim.created_at), "decided_at": _when(claim.decided_at),
    }


def confirm_erase(email: str, confirmation: str) -> None:
    """An erasure cannot be undone, so the address is typed twice and both must name the same
    customer (letter case and surrounding spaces aside); else a 422 on `confirm_email`."""
    if (email or "").strip().lower() != (confirmation or "").strip().lower():
        raise Unprocessable(errors={"confirm_email": [ADDRESSES_DIFFER]})


def erase_customer_data(email: str, *, remove_review_bodies: bool = False, actor: str = "system") -> ErasureReport:
    """Anonymise everything held about `email`, keeping the accounting rows. Flushes."""
    email = _address(email)
    report = ErasureReport(email=email)
    for order in _orders(email):
        _scrub_order(order, actor)
        report.orders_scrubbed += 1
        for claim in db.session.scalars(select(Claim).where(Claim.order_id == order.id)):
            claim.reason, claim.details, claim.side_effects = ERASED_TEXT, "", None
            report.claims_scrubbed += 1
        for followup in db.session.scalars(
            select(FollowUp).where(FollowUp.order_id == order.id, FollowUp.status == SCHEDULED)
        ):
            set_followup_status(followup, FOLLOWUP_CANCELLED, reason=ERASURE_REASON)
            report.followups_cancelled += 1
    for message in _emails(email):
        if message.status in (QUEUED, SENDING):  # not sent yet (or in flight): it never will be (again)
            message.status, message.last_error = FAILED, ERASED_TEXT
        message.to = "erased@erased.invalid"
        message.subject, message.body_text, message.body_html = ERASED_TEXT, "", ""
        message.headers = None
        report.emails_scrubbed += 1
    for entry in _entries(email):
        entry.name, entry.email, entry.website = FORMER_CUSTOMER, None, None
        report.reviews_anonymised += 1
        if remove_review_bodies:
            entry.body = ERASED_TEXT
            report.review_bodies_removed += 1
    report.account_deleted = _delete_account(email)
    if _suppression(email) is None:
        db.session.add(EmailSuppression(email=email))
        report.suppressed = True
    db.session.flush()
    return report


def _delete_account(email: str) -> bool:
    """The account, its sessions (signed out everywhere) and its one-time links; whether one existed."""
    db.session.execute(delete(AccountLink).where(AccountLink.email == email))
    customer_id = db.session.scalar(select(Customer.id).where(Customer.email == email))
    if customer_id is None:
        return False
    db.session.execute(delete(CustomerSession).where(CustomerSession.customer_id == customer_id))
    db.session.execute(delete(Customer).where(Customer.id == customer_id))
    return True


def _scrub_order(order: Order, actor: str) -> None:
    order.email = placeholder_email(order.id)
    order.tracking_number = None
    for event in order.events:
        if event.data:  # timeline details may repeat the address or the tracking number
            event.data = {k: v for k, v in event.data.items() if k not in ("email", "to", "tracking_number")}
    states.record_event(order, actor=actor, kind="erased", message="Customer data erased on request")
