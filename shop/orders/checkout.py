"""Starting a checkout: reserve the stock, open the order, hand the customer to Stripe Checkout.

Unlike other services this one owns its transactions, because a row lock must never be held
across a call to Stripe. It commits three times, each step leaving a consistent store:

1. the order (`pending_payment`) with its items and the stock it reserved — committed first, so
   the units are held while the customer pays, and nobody else's checkout waits on our locks;
2. the call to Stripe (no transaction open);
3. the Checkout Session's id on the order — or, when Stripe failed or anything went wrong in
   between, the order cancelled and its stock released (`abandon_checkout`).

Before step 1, promotion codes not yet at Stripe are pushed there (each push commits; a
failure is logged and the checkout goes on): the customer types the code on Stripe's page.

The session collects a shipping address (SHIPPING_COUNTRIES) and a phone number, offers the
store's shipping rates inline (`shipping.services.offered_rates`), takes promotion codes, and
asks Stripe for tax when STRIPE_AUTOMATIC_TAX is on. Stripe computes every figure; the webhook
records them (`payments.checkout_details`).

If the process dies between 1 and 3, the session (if any) carries the order id in its metadata,
so its `checkout.session.expired`/`completed` webhook still finds the order; and the periodic
sweep (`payments.tasks.sweep_stale_checkouts`) cancels orders that never got a session.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask import current_app, has_request_context, url_for
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from shop.cart.services import MAX_QUANTITY
from shop.catalog.models import Bundle, Product
from shop.catalog.services import bundle_name
from shop.db import as_utc, is_postgres, utcnow
from shop.errors import Conflict, Unprocessable
from shop.extensions import db
from shop.observability import record_checkout
from shop.orders import limits, states, stock
from shop.orders.models import CANCELLED, PENDING_PAYMENT, Order, OrderItem
from shop.orders.services import lock_order, new_order_token
from shop.payments import stripe_gateway
from shop.payments.amount_check import order_subtotal
from shop.payments.checkout_details import OFFERED_RATES_KEY
from shop.promotions import services as promotions
from shop.shipping.services import offered_rates, shipping_countries
from shop.subscriptions import services as subscriptions

log = logging.getLogger(__name__)

# Stripe refuses an `expires_at` under 30 minutes away; a little more absorbs clock skew.
SESSION_LIFETIME = timedelta(minutes=35)
# Stripe Tax's code for shipping charges.
SHIPPING_TAX_CODE = "txcd_92010001"
# app.extensions: email -> the id of the Stripe Customer an order placed with that email is made
# for (the signed-in account's, when it is theirs; installed by `shop.customers`), or None.
CHECKOUT_CUSTOMER = "shop.checkout_customer"


@dataclass(frozen=True)
class CheckoutLine:
    """`quantity` single bottles of `slug`; or, with `bundle` N, `quantity` bundles of N bottles."""

    slug: str
    quantity: int
    bundle: int | None = None
    subscribe: bool = False


# A merged line's key: (slug, bottles per bundle or None for single bottles).
LineKey = tuple[str, int | None]


@dataclass(frozen=True)
class StartedCheckout:
    order: Order
    order_token: str
    checkout_url: str


def start_checkout(email: str, lines: list[CheckoutLine], success_url: str | None = None,
                   cancel_url: str | None = None, client_address: str | None = None) -> StartedCheckout:
    """Reserve, create the order and its Checkout Session; see the module docstring for the steps.

    Raises Unprocessable (unknown product, too many units), Conflict (stock cannot cover it;
    nothing reserved), TooManyUnpaidUnits (this client's unpaid orders hold too much already;
    nothing reserved) or PaymentProviderError (Stripe failed; the order is cancelled).
    """
    merged = _merge(lines)
    products = _published_products(merged)
    bundles = _offered_bundles(merged, products)
    subscribed = _subscribed_slug(lines, merged, products)
    if subscribed is None:
        _push_pending_promotion_codes()
    try:
        order, token = _open_order(email, merged, products, bundles, client_address, subscribed)
        db.session.commit()
    except stock.OutOfStock as exc:
        db.session.rollback()
        record_checkout("out_of_stock")
        raise _out_of_stock(exc.product_id, merged, products) from None
    except limits.TooManyUnpaidUnits:
        db.session.rollback()
        record_checkout("limited")
        raise
    except BaseException:
        db.session.rollback()
        raise
    order_id = order.id
    try:
        stripe_customer = _stripe_customer(email)
        db.session.commit()  # a Stripe Customer just made stays on record, whatever happens next
        tax_codes = {p.slug: p.tax_code for p in products.values()}
        if subscribed is None:
            params = _session_params(order, success_url, cancel_url, tax_codes=tax_codes,
                                     stripe_customer=stripe_customer)
        else:
            params = _subscription_session_params(order, products[subscribed], success_url, cancel_url,
                                                  tax_codes=tax_codes, stripe_customer=stripe_customer)
        session = stripe_gateway.create_checkout_session(params, idempotency_key=checkout_idempotency_key(order))
        order.stripe_checkout_session_id = session.id
        db.session.commit()
    except stripe_gateway.PaymentProviderError as exc:
        db.session.rollback()
        log.warning("Checkout of order %s: Stripe failed (%s); cancelling it", order_id, exc.detail)
        record_checkout("failed")
        _abandon_safely(order_id, reason=exc.detail or "payment provider error")
        if exc.code not in (502, 503):
            # Stripe refusing our own session parameters is our fault, not the customer's card.
            raise stripe_gateway.PaymentProviderError(detail=exc.detail, code=502) from exc
        raise
    except BaseException as exc:
        db.session.rollback()
        log.exception("Checkout of order %s failed; cancelling it", order_id)
        record_checkout("failed")
        _abandon_safely(order_id, reason=type(exc).__name__)
        raise
    record_checkout("created")
    return StartedCheckout(order=order, order_token=token, checkout_url=session.url)


def checkout_idempotency_key(order: Order) -> str:
    """Derived from the order; the creation time keeps it unique if ids restart (a reset store)."""
    return f"order-{order.id}-checkout-{as_utc(order.created_at):%Y%m%d%H%M%S%f}"


def cancel_unpaid_order(order: Order, *, actor: str, message: str) -> bool:
    """Cancel a `pending_payment` order and release its stock (the caller holds the lock)."""
    if order.status != PENDING_PAYMENT:
        return False
    states.transition(order, CANCELLED, actor=actor, message=message)
    stock.release(order)
    subscriptions.checkout_abandoned(order)
    return True


def abandon_checkout(order_id: int, reason: str) -> None:
    """Cancel an order whose Checkout Session could not be created; flushes only."""
    order = lock_order(order_id)
    if order is not None:
        cancel_unpaid_order(order, actor="system", message=f"Checkout could not start: {reason}"[:500])


def _stripe_customer(email: str) -> str | None:
    provider = current_app.extensions.get(CHECKOUT_CUSTOMER)
    return provider(email) if provider is not None else None


def _push_pending_promotion_codes() -> None:
    """Create at Stripe the codes that are not there yet (see the module docstring)."""
    for code in promotions.pending_codes():
        try:
            promotions.push_to_stripe(code)
            db.session.commit()
        except Exception:  # noqa: BLE001 - a code not at Stripe must not stop a sale; next checkout retries
            db.session.rollback()
            log.exception("Could not push promotion code %s to Stripe before a checkout", code.id)
            return


def _abandon_safely(order_id: int, reason: str) -> None:
    try:
        abandon_checkout(order_id, reason)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the original error matters more; the sweep retries this
        db.session.rollback()
        log.exception("Could not cancel order %s after a failed checkout; the sweep will", order_id)


def _merge(lines: list[CheckoutLine]) -> dict[LineKey, tuple[int, int]]:
    """{(slug, bundle): (index of first line, total quantity)}: a slug listed twice is one line
    (single bottles and each bundle size of a product are lines of their own)."""
    merged: dict[LineKey, tuple[int, int]] = {}
    for index, line in enumerate(lines):
        key = (line.slug, line.bundle)
        first, quantity = merged.get(key, (index, 0))
        merged[key] = (first, quantity + line.quantity)
    errors = {f"items.{first}.quantity": [f"At most {MAX_QUANTITY} of one product (or bundle) per order"]
              for first, quantity in merged.values() if quantity > MAX_QUANTITY}
    if errors:
        raise Unprocessable(errors=errors)
    return merged


@cache
def _published_with_bundles():
    """Published products by slug, their bundles in the same query (a product has a few at most);
    built once, on first use (a loader option needs every model imported)."""
    return (select(Product).where(Product.slug.in_(bindparam("slugs", expanding=True)), Product.published.is_(True))
            .options(joinedload(Product.bundles)))


def _published_products(merged: dict[LineKey, tuple[int, int]]) -> dict[str, Product]:
    found = db.session.scalars(_published_with_bundles(), {"slugs": sorted({slug for slug, _ in merged})}).unique().all()
    products = {p.slug: p for p in found}
    errors = {f"items.{first}.slug": ["Unknown product"] for (slug, _), (first, _) in merged.items()
              if slug not in products}
    if errors:
        raise Unprocessable(errors=errors)
    if len({p.currency for p in products.values()}) > 1:
        raise Unprocessable("These products cannot be bought in one order (different currencies)",
                            errors={"items": ["Products priced in different currencies"]})
    return products


def _subscribed_slug(lines: list[CheckoutLine], merged: dict[LineKey, tuple[int, int]],
                     products: dict[str, Product]) -> str | None:
    """The one product subscribed to (single bottles), or None; 422 for a product that cannot
    be, for a bundle, or for two."""
    bundled = [index for index, line in enumerate(lines) if line.subscribe and line.bundle is not None]
    if bundled:
        raise Unprocessable("A bundle cannot be subscribed to",
                            errors={f"items.{bundled[0]}.subscribe": ["A bundle cannot be subscribed to"]})
    slugs = list(dict.fromkeys(line.slug for line in lines if line.subscribe))
    if not slugs:
        return None
    for slug in slugs:
        subscriptions.check_subscribable(products[slug], *merged[(slug, None)])
    if len(slugs) > 1:
        first = merged[(slugs[1], None)][0]
        raise Unprocessable("One subscription per checkout",
                            errors={f"items.{first}.subscribe": ["One subscription per checkout"]})
    return slugs[0]


def _offered_bundles(merged: dict[LineKey, tuple[int, int]], products: dict[str, Product]) -> dict[LineKey, Bundle]:
    """The bundle each bundle line buys; 422 naming the line when the product has no such size."""
    found: dict[LineKey, Bundle] = {}
    errors: dict[str, list[str]] = {}
    for (slug, size), (first, _) in merged.items():
        if size is None:
            continue
        bundle = next((b for b in products[slug].bundles if b.bottles == size), None)
        if bundle is None:
            offered = ", ".join(str(b.bottles) for b in products[slug].bundles)
            errors[f"items.{first}.bundle"] = [
                f"Not offered as a bundle of {size}" + (f" (bundles: {offered})" if offered else " (no bundles)")]
        else:
            found[(slug, size)] = bundle
    if errors:
        raise Unprocessable(errors=errors)
    return found


def _open_order(email: str, merged: dict[LineKey, tuple[int, int]], products: dict[str, Product],
                bundles: dict[LineKey, Bundle], client_address: str | None, subscribed: str | None = None):
    """The order and its items, stock reserved (every bottle of a bundle); flushed, not committed.
    A subscribed line is priced at the subscriber's price, and the order opens its subscription."""
    token, digest = new_order_token()
    order = Order(email=email, token_hash=digest, total=0, currency=next(iter(products.values())).currency,
                  status=PENDING_PAYMENT, stock_reserved=True, client_address=client_address[:64] if client_address else None)
    for (slug, size), (_, quantity) in sorted(merged.items(), key=lambda entry: entry[1][0]):
        product = products[slug]
        bundle = bundles.get((slug, size))
        if bundle is None:
            price = subscriptions.discounted_price(product) if slug == subscribed else product.price
            order.items.append(OrderItem(product_id=product.id, slug=slug, name=product.name,
                                         quantity=quantity, unit_price=price))
        else:
            order.items.append(OrderItem(product_id=product.id, slug=slug, name=bundle_name(product, bundle),
                                         quantity=quantity, unit_price=bundle.price, bottles_per_unit=bundle.bottles))
    order.total = sum(item.line_total for item in order.items)  # Stripe adds shipping and tax
    bottles: dict[int, int] = {}
    for item in order.items:
        bottles[item.product_id] = bottles.get(item.product_id, 0) + item.bottles
    units = sum(bottles.values())
    # The cap is counted before the stock is touched where an advisory lock can serialise one
    # client's checkouts (PostgreSQL): a hoarder is then told "capped", not "sold out" by itself.
    # SQLite has no such lock; there the reservation's write lock comes first and serialises it.
    count_first = is_postgres(db.session)
    if count_first:
        limits.check_unpaid_units(email, client_address, units)
    stock.reserve(bottles)
    if not count_first:
        limits.check_unpaid_units(email, client_address, units)
    db.session.add(order)
    db.session.flush()
    if subscribed is not None:
        subscriptions.start(order, products[subscribed], merged[(subscribed, None)][1])
    states.record_event(order, actor="customer", kind="created", message="Order placed; awaiting payment",
                        data={"total": order.total, "currency": order.currency})
    return order, token


def _out_of_stock(product_id: int, merged, products: dict[str, Product]) -> Conflict:
    slug = next(s for s, p in products.items() if p.id == product_id)
    left = db.session.scalar(select(Product.stock).where(Product.id == product_id)) or 0
    first = min(first for (line_slug, _), (first, _) in merged.items() if line_slug == slug)
    message = f"Only {left} left" if left else "Out of stock"
    return Conflict("Not enough stock for this order; nothing was reserved",
                    errors={f"items.{first}.quantity": [message]})


def _session_params(order: Order, success_url: str | None, cancel_url: str | None,
                    tax_codes: dict[str, str], stripe_customer: str | None = None) -> dict:
    order_ref = str(order.id)
    config = current_app.config
    offers = offered_rates(order_subtotal(order), order.currency)
    metadata = {"order_id": order_ref}
    if offers:
        metadata[OFFERED_RATES_KEY] = ",".join(str(offer.rate.id) for offer in offers)
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": item.quantity,
                "price_data": {
                    "currency": order.currency,
                    "unit_amount": item.unit_price,
                    # Prices are before tax: with STRIPE_AUTOMATIC_TAX, Stripe adds tax on top.
                    "tax_behavior": "exclusive",
                    "product_data": {"name": item.name, "metadata": {"slug": item.slug},
                                     "tax_code": tax_codes[item.slug]},
                },
            }
            for item in order.items
        ],
        "shipping_address_collection": {"allowed_countries": shipping_countries()},
        "phone_number_collection": {"enabled": True},
        "allow_promotion_codes": True,
        "client_reference_id": order_ref,
        "metadata": metadata,
        "payment_intent_data": {"metadata": {"order_id": order_ref}},
        "customer_email": order.email,
        "success_url": success_url or _shop_url("cart.checkout_success") + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": cancel_url or _shop_url("cart.checkout_cancel", order_id=order.id),
        "expires_at": int((utcnow() + SESSION_LIFETIME).timestamp()),
    }
    if offers:
        params["shipping_options"] = [{"shipping_rate_data": _rate_data(offer, order.currency)} for offer in offers]
    if stripe_customer is not None:
        # The signed-in customer's Stripe Customer (its email and saved address pre-filled);
        # the address they confirm on Stripe's page is saved back onto it.
        del params["customer_email"]
        params["customer"] = stripe_customer
        params["customer_update"] = {"shipping": "auto"}
    if config["STRIPE_AUTOMATIC_TAX"]:
        params["automatic_tax"] = {"enabled": True}
    return params


def _subscription_session_params(order: Order, product: Product, success_url: str | None,
                                 cancel_url: str | None, tax_codes: dict[str, str],
                                 stripe_customer: str | None = None) -> dict:
    """A `subscription` mode session: the first order is paid at once, as one-time lines on the
    subscription's first invoice (the subscribed product at the subscriber's price, and any
    other lines); the recurring price (the same subscriber's price, every `interval_days` days)
    starts with a trial that ends when the first renewal is due as if delivered today, and is
    moved at delivery. Stripe refuses `shipping_options` in this mode: subscription orders ship
    free. No promotion codes: the subscriber's price is the discount."""
    order_ref = str(order.id)
    sub = subscriptions.first_order_subscription(order)
    one_time = _session_params(order, success_url, cancel_url, tax_codes, stripe_customer)
    item = next(i for i in order.items if i.product_id == product.id)
    recurring = {
        "quantity": sub.quantity,
        "price_data": {
            "currency": order.currency,
            "unit_amount": sub.unit_price,
            "tax_behavior": "exclusive",
            "recurring": {"interval": "day", "interval_count": sub.interval_days},
            "product_data": {"name": f"{item.name} (subscribe & save, every {sub.interval_days} days)",
                             "metadata": {"slug": item.slug}, "tax_code": tax_codes[item.slug]},
        },
    }
    params = {key: value for key, value in one_time.items()
              if key not in ("payment_intent_data", "shipping_options", "allow_promotion_codes")}
    params.update(
        mode="subscription",
        line_items=[recurring, *one_time["line_items"]],
        metadata={"order_id": order_ref, "subscription_id": str(sub.id)},
        subscription_data={
            "trial_end": subscriptions.first_bill_at(product, sub.quantity),
            "metadata": {"order_id": order_ref, "subscription_id": str(sub.id)},
        },
    )
    return params


def _rate_data(offer, currency: str) -> dict:
    """One shipping option, inline: the rate as it is now, at 0 when the items reach its free-over."""
    rate = offer.rate
    data = {
        "type": "fixed_amount",
        "display_name": rate.name,
        "fixed_amount": {"amount": offer.amount, "currency": currency},
        "tax_behavior": "exclusive",
        "tax_code": SHIPPING_TAX_CODE,
        "metadata": {"shipping_rate_id": str(rate.id)},
    }
    estimate = {bound: {"unit": "business_day", "value": days}
                for bound, days in (("minimum", rate.min_business_days), ("maximum", rate.max_business_days))
                if days is not None}
    if estimate:
        data["delivery_estimate"] = estimate
    return data


def _shop_url(endpoint: str, **values) -> str:
    """An absolute link on PUBLIC_URL, inside a request or not (a CLI, a benchmark)."""
    public = current_app.config["PUBLIC_URL"]
    if has_request_context():
        return public + url_for(endpoint, **values)
    # Outside a request, the app's URL map builds the path itself (no request context to make).
    return public + current_app.url_map.bind("localhost").build(endpoint, values)
