"""Orders as CSV for the books: one row per order, amounts in the currency's units, streamed.

Filters: `status` (one of the order statuses) and `from`/`to` (calendar days, YYYY-MM-DD, in the
store's time zone, both included) on the day the order was placed. Times are written in the
store's time zone with their offset. Amounts are decimal strings in the currency's units
(`49.00` for usd, `500` for jpy); what Stripe has not charged yet (an unpaid order's shipping,
discount, tax) is left empty.

A cell a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
carriage return) is written with a leading `'`: an address or an email is data, never a formula
(CSV injection).
"""
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from shop.db import as_utc
from shop.errors import Unprocessable
from shop.extensions import db
from shop.money import from_minor
from shop.orders.models import STATUSES, Order
from shop.templating import store_zone

COLUMNS = ("order_id", "created_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at", "email", "status",
           "currency", "subtotal", "shipping", "discount", "tax", "total", "refunded", "shipping_name",
           "shipping_line1", "shipping_line2", "shipping_city", "shipping_state", "shipping_postal_code",
           "shipping_country", "shipping_phone")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 500


@dataclass(frozen=True)
class ExportFilter:
    status: str | None = None
    placed_from: date | None = None
    placed_to: date | None = None

    def file_name(self) -> str:
        parts = ["orders", self.status, self.placed_from and self.placed_from.isoformat(),
                 self.placed_to and self.placed_to.isoformat()]
        return "-".join(part for part in parts if part) + ".csv"


def export_filter(args) -> ExportFilter:
    """The filter from a query string; Unprocessable (422) for an unknown status or a bad date."""
    errors: dict[str, list[str]] = {}
    status = (args.get("status") or "").strip() or None
    if status is not None and status not in STATUSES:
        errors["status"] = [f"Must be one of: {', '.join(STATUSES)}"]
    days = {}
    for name in ("from", "to"):
        raw = (args.get(name) or "").strip()
        try:
            days[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[name] = ["A date as YYYY-MM-DD"]
    if not errors and days["from"] and days["to"] and days["from"] > days["to"]:
        errors["to"] = ["Must not be before from"]
    if errors:
        raise Unprocessable("Unusable export filter: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()),
                            errors=errors)
    return ExportFilter(status, days.get("from"), days.get("to"))


def export_csv(chosen: ExportFilter) -> Iterator[str]:
    """The CSV text, a chunk at a time: the header, then the orders in id order, BATCH per query."""
    yield _csv_line(COLUMNS)
    query = _query(chosen)
    last_id = 0
    while True:
        orders = db.session.scalars(query.where(Order.id > last_id).limit(BATCH)).all()
        if not orders:
            return
        yield "".join(_csv_line(_row(order)) for order in orders)
        last_id = orders[-1].id
        db.session.expunge_all()  # a long export does not keep every order in memory


def safe_cell(value) -> str:
    """A cell as text, defused for spreadsheets (see the module's docstring)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _query(chosen: ExportFilter):
    query = select(Order).order_by(Order.id)
    if chosen.status:
        query = query.where(Order.status == chosen.status)
    if chosen.placed_from:
        query = query.where(Order.created_at >= _store_midnight(chosen.placed_from))
    if chosen.placed_to:
        query = query.where(Order.created_at < _store_midnight(chosen.placed_to + timedelta(days=1)))
    return query


def _store_midnight(day: date) -> datetime:
    """The start of `day` on the store's clock, in UTC (as times are stored)."""
    return datetime.combine(day, time(0), tzinfo=store_zone()).astimezone(UTC)


def _row(order: Order) -> list:
    currency = order.currency
    amount = (lambda value: "" if value is None else str(from_minor(value, currency)))
    return [order.id, _when(order.created_at), _when(order.paid_at), _when(order.shipped_at),
            _when(order.delivered_at), _when(order.cancelled_at), order.email, order.status, currency.upper(),
            amount(order.amount_subtotal), amount(order.amount_shipping), amount(order.amount_discount),
            amount(order.amount_tax), amount(order.total), amount(order.refunded_total), order.shipping_name,
            order.shipping_line1, order.shipping_line2, order.shipping_city, order.shipping_state,
            order.shipping_postal_code, order.shipping_country, order.shipping_phone]


def _when(value: datetime | None) -> str:
    return as_utc(value).astimezone(store_zone()).isoformat(timespec="seconds") if value is not None else ""


def _csv_line(cells) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()
