"""One test-mode Stripe account held in memory: its objects, its events, lists and expansion.

Every read hands out a deep copy, and every event carries a snapshot of its object taken when
it happened, as Stripe's do. One re-entrant lock serialises all changes, so the API, the hosted
pay page, the control endpoints and the timers never see half an update. The events one change
sends (a payment: payment_intent.created, charge.succeeded, payment_intent.succeeded,
checkout.session.completed) reach the dispatcher together (`together()`), which may reorder them.
"""
import copy
import json
import os
import secrets
import string
import threading
from contextlib import contextmanager

from stripe_standin import tax
from stripe_standin.clock import Clock
from stripe_standin.params import StripeError, integer, no_such, unknown_parameter
from stripe_standin.shapes import EVENT, shaped
from stripe_standin.dispatcher import Dispatcher

API_VERSION = "2026-10-28.endive"  # what stripe-python 16.x pins
_ALPHABET = string.ascii_letters + string.digits

# Which store an id belongs to, by its prefix (for `expand`).
_STORES = {"cs_": "sessions", "pi_": "payment_intents", "ch_": "charges", "re_": "refunds",
           "dp_": "disputes", "evt_": "events_by_id", "shr_": "shipping_rates",
           "promo_": "promotion_codes", "prod_": "products", "cus_": "customers",
           "price_": "prices", "sub_": "subscriptions", "in_": "invoices",
           "inpay_": "invoice_payments"}
# Coupons' ids are the merchant's own choosing: found by the field that names them.
_FIELD_STORES = {"coupon": "coupons"}
_URLS = {"sessions": "/v1/checkout/sessions", "refunds": "/v1/refunds", "events": "/v1/events"}


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


# What a saved account holds (`save`/`load`); events_by_id is rebuilt from events, and timers
# (a bank transfer settling by itself) do not survive a restart.
_SAVED = ("sessions", "line_items", "intent_data", "payment_intents", "charges", "refunds", "disputes",
          "events", "refund_declines", "products", "shipping_rates", "coupons", "promotion_codes",
          "tax_rates", "customers", "prices", "subscriptions", "invoices", "invoice_payments",
          "portal_sessions", "billing_state", "card_declines")


class Account:
    def __init__(self, dispatcher: Dispatcher, *, base_url: str = "http://127.0.0.1:12111",
                 refund_status: str = "succeeded", async_delay: float | None = None,
                 clock: Clock | None = None):
        self.dispatcher = dispatcher
        self.clock = clock or Clock()
        self.base_url = base_url
        self.refund_status = refund_status  # "pending": refunds wait for settle_refund()
        self.async_delay = async_delay  # seconds before a bank transfer settles by itself
        self.lock = threading.RLock()
        self._outbox: list[dict] | None = None  # events held by together()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.sessions: dict[str, dict] = {}
            self.line_items: dict[str, list[dict]] = {}
            self.intent_data: dict[str, dict] = {}  # payment_intent_data given at session creation
            self.payment_intents: dict[str, dict] = {}
            self.charges: dict[str, dict] = {}
            self.refunds: dict[str, dict] = {}
            self.disputes: dict[str, dict] = {}
            self.events: list[dict] = []
            self.events_by_id: dict[str, dict] = {}
            self.refund_declines: list[str] = []
            self.products: dict[str, dict] = {}
            self.shipping_rates: dict[str, dict] = {}
            self.coupons: dict[str, dict] = {}
            self.promotion_codes: dict[str, dict] = {}
            self.tax_rates: list[dict] = tax.default_rates()  # Stripe Tax's answers, by place
            # Stripe Billing (see `customers`, `billing`)
            self.customers: dict[str, dict] = {}
            self.prices: dict[str, dict] = {}
            self.subscriptions: dict[str, dict] = {}
            self.invoices: dict[str, dict] = {}
            self.invoice_payments: dict[str, dict] = {}
            self.portal_sessions: dict[str, dict] = {}
            self.billing_state: dict[str, dict] = {}  # per subscription: its cycle, coupon, tax
            self.card_declines: dict[str, str] = {}  # customer id → decline code of their card
            self.timers: list[threading.Timer] = []

    def close(self) -> None:
        for timer in self.timers:
            timer.cancel()

    # -- a file of its own (`make run`: what was paid is still there after a restart) -------------
    def save(self, path: str) -> None:
        """Write every object and event to `path` (atomically: a crash leaves the old file)."""
        with self.lock:
            data = json.dumps({name: getattr(self, name) for name in _SAVED})
        partial = f"{path}.partial"
        with open(partial, "w", encoding="utf-8") as file:
            file.write(data)
        os.replace(partial, path)

    def load(self, path: str) -> bool:
        """Read what `save` wrote; False (and nothing changed) when there is no such file."""
        try:
            with open(path, encoding="utf-8") as file:
                data = json.load(file)
        except FileNotFoundError:
            return False
        with self.lock:
            for name in _SAVED:  # a file from before a store existed: that store starts afresh
                fresh = tax.default_rates() if name == "tax_rates" else type(getattr(self, name))()
                setattr(self, name, data.get(name, fresh))
            self.events_by_id = {event["id"]: event for event in self.events}
            for charge in self.charges.values():  # a file written before charges left them out
                charge.pop("refunds", None)
        return True

    def now(self) -> int:
        return self.clock.now()

    # -- events ----------------------------------------------------------------------------
    @contextmanager
    def together(self):
        """Hold the lock; the events emitted meanwhile are handed to the dispatcher as one batch."""
        with self.lock:
            if self._outbox is not None:  # already inside: the outer batch takes them
                yield
                return
            self._outbox = []
            try:
                yield
            finally:
                batch, self._outbox = self._outbox, None
                if batch:
                    self.dispatcher.send_all(batch)

    def emit(self, type_: str, obj: dict, request: dict | None = None,
             previous: dict | None = None, created: int | None = None) -> dict:
        data = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        event = shaped(EVENT, id=new_id("evt_1"), api_version=API_VERSION,
                       created=self.now() if created is None else created,
                       data=data, request=dict(request or {"id": None, "idempotency_key": None}),
                       type=type_)
        with self.lock:
            self.events.append(event)
            self.events_by_id[event["id"]] = event
            if self._outbox is not None:
                self._outbox.append(copy.deepcopy(event))
            else:
                self.dispatcher.send(copy.deepcopy(event))
        return event

    # -- reads -----------------------------------------------------------------------------
    def get(self, store: str, object_id: str, kind: str, expand: set[str] = frozenset()) -> dict:
        with self.lock:
            obj = getattr(self, store).get(object_id)
            if obj is None:
                raise no_such(kind, object_id)
            return self.expanded(obj, expand)

    def expanded(self, obj: dict, expand) -> dict:
        """A copy of `obj` with the dotted paths in `expand` replaced by the objects they name."""
        result = copy.deepcopy(obj)
        for path in sorted(expand):
            self._expand(result, path.split("."))
        return result

    def _expand(self, obj, path: list[str]) -> None:
        if not isinstance(obj, dict) or not path:
            return
        head, rest = path[0], path[1:]
        if head == "refunds" and obj.get("object") == "charge":
            # Not part of a charge since API version 2022-11-15: only when asked for.
            found = [r for r in self.refunds.values() if r["charge"] == obj["id"]]
            obj["refunds"] = {"object": "list", "data": copy.deepcopy(found[::-1]),
                              "has_more": False, "url": f"/v1/charges/{obj['id']}/refunds"}
        elif head == "line_items" and obj.get("object") == "checkout.session":
            items = self.line_items.get(obj["id"], [])
            obj["line_items"] = {"object": "list", "data": copy.deepcopy(items), "has_more": False,
                                 "url": f"/v1/checkout/sessions/{obj['id']}/line_items"}
        elif isinstance(obj.get(head), str):
            obj[head] = copy.deepcopy(self._named(head, obj[head]))
        value = obj.get(head)
        for item in value if isinstance(value, list) else [value]:  # `data`, `discounts`, ...
            self._expand(item, rest)

    def _named(self, field: str, object_id: str) -> dict:
        """The object an id names, for `expand`: by the id's prefix, or by the field."""
        store = next((s for p, s in _STORES.items() if object_id.startswith(p)),
                     _FIELD_STORES.get(field))
        found = getattr(self, store).get(object_id) if store else None
        if found is None:
            raise StripeError(f"This property cannot be expanded ({field}).", param="expand")
        return found

    def page(self, objects: list[dict], params: dict, url: str, expand: set[str] = frozenset()) -> dict:
        """A Stripe list: newest first, `limit`, `starting_after` / `ending_before`, `created`."""
        limit = integer(params, "limit", minimum=1, maximum=100, default=10)
        newest_first = [o for o in reversed(objects) if _created_matches(o, params.get("created"))]
        ids = [o["id"] for o in newest_first]
        after, before = params.get("starting_after"), params.get("ending_before")
        if after:
            if after not in ids:
                raise no_such("object", after, "starting_after")
            window = newest_first[ids.index(after) + 1:]
            chunk = window[:limit]
        elif before:
            if before not in ids:
                raise no_such("object", before, "ending_before")
            window = newest_first[:ids.index(before)]
            chunk = window[-limit:]
        else:
            window = newest_first
            chunk = window[:limit]
        return {"object": "list", "url": url, "has_more": len(window) > len(chunk),
                "data": [self.expanded(o, {p.removeprefix("data.") for p in expand}) for o in chunk]}


def _created_matches(obj: dict, condition) -> bool:
    if condition is None or condition == "":
        return True
    if not isinstance(condition, dict):
        condition = {"eq": condition}
    created = obj["created"]
    checks = {"eq": lambda v: created == v, "gt": lambda v: created > v,
              "gte": lambda v: created >= v, "lt": lambda v: created < v,
              "lte": lambda v: created <= v}
    for op, raw in condition.items():
        if op not in checks:
            raise unknown_parameter(f"created[{op}]")
        value = integer(condition, op, label=f"created[{op}]")
        if value is not None and not checks[op](value):
            return False
    return True
