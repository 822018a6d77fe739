"""Signals other domains listen to, so payments need not know about them.

Receivers run inside the webhook's transaction, after the order and refund rows are updated
(`refunds_locking`: before the refund rows are locked); they only flush (and queue emails/tasks,
which leave after commit).
"""
from blinker import Namespace

_signals = Namespace()

# sender: the Order that just became paid (kwargs: session, the completed Checkout Session that
# paid it, or None for a renewal invoice).
order_paid = _signals.signal("order-paid")
# sender: the Refund whose status changed (kwargs: previous_status).
refund_updated = _signals.signal("refund-updated")
# sender: the Order (row locked) whose refund rows are about to be locked. Receivers lock the
# rows that come between the two in the store's lock order: order, claims, refunds, each in
# primary-key order.
refunds_locking = _signals.signal("refunds-locking")
