"""Stock alerts: "email me when it's back" for shoppers, and low stock for staff.

- A shopper on an out-of-stock product page leaves an address (`request_back_in_stock`; the
  form is rate-limited per client IP, BACK_IN_STOCK_RATE_LIMIT). The answer is the same whether
  the address was already waiting or not, so the form tells nobody who asked. When staff raise
  the product's stock from 0 (`stock_changed`, called by the admin's product service), every
  waiting address gets one transactional email (`back_in_stock`, deduplicated per request) and
  the request is marked notified; asking again later waits for the next return.
- When a paid order leaves a product at LOW_STOCK_THRESHOLD bottles or fewer (`order_paid`),
  each active admin gets one `low_stock` email for that crossing: a `LowStockAlert` row, inserted
  with ON CONFLICT DO NOTHING, says it went out, so concurrent webhooks alert once. The row is
  removed when stock is above the threshold again, which arms the next crossing. The dashboard
  lists the products at or below the threshold (`low_stock_products`).
"""
from flask import current_app
from marshmallow import ValidationError, validate
from sqlalchemy import delete, select

from shop.catalog.models import BackInStockRequest, LowStockAlert, Product
from shop.db import dialect_of, insert_or_skip, utcnow
from shop.emails.services import TRANSACTIONAL, queue_email
from shop.errors import NotFound, Unprocessable
from shop.extensions import db

_EMAIL = validate.Email(error="Email address invalid")


def threshold() -> int:
    return int(current_app.config.get("LOW_STOCK_THRESHOLD", 20))


def request_back_in_stock(slug: str, email: str) -> Product:
    """Remember that `email` wants one email when the published product `slug` is back in stock.

    Asking twice keeps one request. Raises Unprocessable for a malformed address or a product
    that is in stock now, NotFound for an unknown product.
    """
    email = (email or "").strip().lower()
    try:
        _EMAIL(email)
        if len(email) > 254:
            raise ValidationError("Email address invalid")
    except ValidationError:
        raise Unprocessable("Please enter a valid email address", errors={"email": ["Email address invalid"]}) from None
    product = db.session.scalar(select(Product).where(Product.slug == slug, Product.published.is_(True)))
    if product is None:
        raise NotFound("Product not found")
    if product.stock > 0:
        raise Unprocessable("It is in stock: add it to your cart", errors={"email": ["In stock now"]})
    waiting = db.session.scalar(select(BackInStockRequest).where(
        BackInStockRequest.product_id == product.id, BackInStockRequest.email == email))
    if waiting is None:
        db.session.add(BackInStockRequest(product_id=product.id, email=email))
    elif waiting.notified_at is not None:  # told last time; wait for the next return
        waiting.notified_at = None
        waiting.requested_at = utcnow()
    db.session.flush()
    return product


def stock_changed(product: Product, before: int) -> None:
    """React to staff setting a product's stock (from `before` to `product.stock`); flushes."""
    if before <= 0 < product.stock:
        notify_back_in_stock(product)
    if product.stock > threshold():
        db.session.execute(delete(LowStockAlert).where(LowStockAlert.product_id == product.id))


def notify_back_in_stock(product: Product) -> int:
    """Email every address waiting for `product`, once each; returns how many were queued."""
    waiting = db.session.scalars(
        select(BackInStockRequest)
        .where(BackInStockRequest.product_id == product.id, BackInStockRequest.notified_at.is_(None))
        .order_by(BackInStockRequest.id).with_for_update()
    ).all()
    now = utcnow()
    url = current_app.config["PUBLIC_URL"] + f"/products/{product.slug}"
    queued = 0
    for row in waiting:
        key = f"back-in-stock:{row.id}:{row.requested_at:%Y%m%d%H%M%S%f}"
        if queue_email("back_in_stock", row.email, context={"product_name": product.name, "product_url": url},
                       dedupe_key=key, category=TRANSACTIONAL) is not None:
            queued += 1
        row.notified_at = now
    db.session.flush()
    return queued


def order_paid(order) -> None:
    """Alert admins, once per crossing, of each product this paid order left at or below the threshold."""
    from shop.accounts.models import Staff

    limit = threshold()
    # The webhook loads the products' stock with the order; elsewhere each is loaded here.
    products = {item.product_id: item.product for item in order.items}
    low = [(product.id, product.name, product.slug, product.stock)
           for _, product in sorted(products.items()) if product.stock <= limit]
    if not low:
        return
    admins = None
    insert = insert_or_skip(dialect_of(db.session), LowStockAlert, "product_id")
    for product_id, name, slug, stock in low:
        stamp = utcnow()
        taken = db.session.execute(
            insert.values(product_id=product_id, stock=stock, alerted_at=stamp).returning(LowStockAlert.product_id)
        ).scalar()
        if taken is None:
            continue  # this crossing was alerted already
        if admins is None:
            admins = db.session.execute(
                select(Staff.id, Staff.email).where(Staff.role == "admin", Staff.active.is_(True))
                .order_by(Staff.id)).all()
        context = {"product_name": name, "stock": stock, "threshold": limit, "order_id": order.id,
                   "admin_url": current_app.config["PUBLIC_URL"] + f"/admin/products/{product_id}"}
        for staff_id, address in admins:
            queue_email("low_stock", address, context=context, category=TRANSACTIONAL,
                        dedupe_key=f"low-stock:{product_id}:{stamp:%Y%m%d%H%M%S%f}:{staff_id}")


def low_stock_products(limit: int = 50) -> list[Product]:
    """Products at or below LOW_STOCK_THRESHOLD, fewest first (the admin dashboard's list)."""
    return list(db.session.scalars(
        select(Product).where(Product.stock <= threshold()).order_by(Product.stock, Product.name).limit(limit)))


def connect() -> None:
    """Listen for paid orders (once per process; blinker keeps one receiver per function)."""
    from shop.payments.signals import order_paid as paid_signal

    paid_signal.connect(_on_order_paid)


def _on_order_paid(order, **extra) -> None:
    order_paid(order)
