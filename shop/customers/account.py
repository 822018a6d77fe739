"""What a signed-in customer sees and changes: every order of their address, their
subscriptions, the emails they get, and their data (download it, or erase it after confirming by
an emailed link). The saved shipping address is `shop.customers.address`.

An order belongs to the account whose address placed it, letter case aside, guest orders
included: the address is what the sign-in link proved. A list of orders is read in a fixed
number of queries however many there are (items, follow-ups, claims, preferences each once).
Services flush; the caller commits.
"""
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from shop.customers.login import send_link, use_link
from shop.customers.models import ERASE, Customer
from shop.customers.services import ErasureReport, erase_customer_data, export_customer_data
from shop.emails.services import allow_marketing, is_suppressed, suppress_marketing
from shop.errors import NotFound
from shop.extensions import db
from shop.followups.models import DOSE, SCHEDULED, FollowUp
from shop.followups.services import (followup_dict, followups_by_order, orders_with_reminders_off, plan_progress,
                                     set_reminders)
from shop.guarantee.models import Claim
from shop.guarantee.services import claim_dict, claims_by_order
from shop.orders.models import PAID, SHIPPED, Order
from shop.subscriptions.services import subscriptions_for_email

# Before delivery the plan is not scheduled yet; its reminders may be turned off all the same.
NOT_YET_DELIVERED = (PAID, SHIPPED)


@dataclass
class ReadAhead:
    """An order's follow-ups and claims, read with those of the other orders on the list."""

    followups: list[dict]
    claims: list[dict]


class ListedOrder:
    """An order on the API's list: the order's own attributes, and its `read_ahead`, which the
    order API's schema (`shop.orders.schemas.OrderSchema`) takes instead of querying again."""

    def __init__(self, order: Order, read_ahead: ReadAhead):
        self._order, self.read_ahead = order, read_ahead

    def __getattr__(self, name: str):
        return getattr(self._order, name)


@dataclass
class AccountOrder:
    """One order as the account page shows it."""

    order: Order
    followups: list[FollowUp] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    reminders_on: bool = True

    @property
    def progress(self) -> dict | None:
        return plan_progress(self.followups)

    @property
    def claim(self) -> Claim | None:
        return self.claims[-1] if self.claims else None

    @property
    def reminders_apply(self) -> bool:
        """Whether a reminder of this order may still go out, so the switch means something."""
        if self.order.status in NOT_YET_DELIVERED and self.order.delivered_at is None:
            return True
        return any(row.kind == DOSE and row.status == SCHEDULED for row in self.followups)


def customer_orders(customer: Customer) -> list[Order]:
    """Every order placed with the customer's address, newest first, with their items."""
    return list(db.session.scalars(
        select(Order).where(func.lower(Order.email) == customer.email)
        .options(selectinload(Order.items)).order_by(Order.created_at.desc(), Order.id.desc())
    ))


def account_orders(customer: Customer) -> list[AccountOrder]:
    """The account page's orders: each with its plan, claims and reminder switch."""
    orders = customer_orders(customer)
    ids = [order.id for order in orders]
    followups, claims, off = followups_by_order(ids), claims_by_order(ids), orders_with_reminders_off(ids)
    return [AccountOrder(order, followups[order.id], claims[order.id], order.id not in off) for order in orders]


def orders_for_api(customer: Customer) -> list[ListedOrder]:
    """The customer's orders for `GET /api/v1/account/orders`, newest first."""
    return [ListedOrder(entry.order, ReadAhead([followup_dict(row) for row in entry.followups],
                                               [claim_dict(claim) for claim in entry.claims]))
            for entry in account_orders(customer)]


def owned_order(customer: Customer, order_id: int) -> Order:
    """The order if the customer's address placed it; NotFound otherwise, as for no order at all."""
    order = db.session.get(Order, order_id) if 0 < order_id < 2**31 else None
    if order is None or order.email.lower() != customer.email:
        raise NotFound("Order not found")
    return order


def subscriptions(customer: Customer) -> list[dict]:
    """The account's subscriptions (product, status, next renewal, its signed manage links)."""
    return subscriptions_for_email(customer.email)


def marketing_on(customer: Customer) -> bool:
    return not is_suppressed(customer.email)


def set_marketing(customer: Customer, on: bool) -> None:
    """Check-ins and reorder reminders on or off: the suppression list the emails' one-click
    unsubscribe writes, which the queue and the dispatcher read before anything goes out."""
    if on:
        allow_marketing(customer.email)
    else:
        suppress_marketing(customer.email)


def set_order_reminders(customer: Customer, order_id: int, on: bool) -> Order:
    """One order's dosing reminders on or off (the dispatcher reads it as each step comes due)."""
    order = owned_order(customer, order_id)
    set_reminders(order, on)
    return order


def export_my_data(customer: Customer) -> dict:
    """The same export staff run for a data request (`customers export`), for the customer."""
    return export_customer_data(customer.email)


def request_erasure(customer: Customer) -> None:
    """Email the customer a one-time link that confirms erasing everything held about them."""
    send_link(customer.email, ERASE)


def erase_with_link(token: str, *, remove_review_bodies: bool = False) -> ErasureReport:
    """Erase what the confirmed link's address owns, through the staff's erase path; that also
    removes the account, so every session of it ends."""
    link = use_link(token, ERASE)
    return erase_customer_data(link.email, remove_review_bodies=remove_review_bodies, actor="customer")
