"""Signals other domains listen to, so payments need not know about them.

Receivers run inside the webhook's transaction, after the order and refund rows are updated;
they only flush (and queue emails/tasks, which leave after commit).
"""
from blinker import Namespace

_signals = Namespace()

# sender: the Order that just became paid.
order_paid = _signals.signal("order-paid")
# sender: the Refund whose status changed (kwargs: previous_status).
refund_updated = _signals.signal("refund-updated")
