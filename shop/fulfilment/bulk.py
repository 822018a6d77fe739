"""Marking orders shipped from a carrier's CSV export: one row per parcel, each shipped through
`services.ship_order` (which emails the customer once), and a report of what each line did.

The file: UTF-8 (a byte-order mark is fine), a header row naming the columns `order`,
`carrier` and `tracking_number` in any order (other columns are ignored), then one row per order.
`order` is the order's number (`123` or `#123`); `carrier` one the store knows
(`fulfilment.tracking`: USPS, UPS, FedEx, DHL).

Each line is shipped, skipped or refused, with its line number in the file:
- shipped: the order was paid and waiting; it is shipped and the customer emailed;
- skipped: the order has shipped already (by an earlier line, an earlier upload of the same
  file, or by hand): nothing changes and no second email goes out, so uploading a file again is
  harmless;
- refused: an unknown order, one that is not paid (or cancelled, refunded), a control character
  (line break, NUL...) in a cell, an unknown carrier or no tracking number.
A refused line does not hold back the others. Everything happens in the request's one
transaction; the emails leave after its commit.
"""
import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select

from shop.errors import Conflict, Unprocessable
from shop.extensions import db
from shop.fulfilment.services import ship_order
from shop.fulfilment.tracking import CARRIERS, carrier_name
from shop.orders.models import PENDING_PAYMENT, SHIPPED, Order
from shop.orders.states import can_transition

COLUMNS = ("order", "carrier", "tracking_number")
MAX_ROWS = 2000
CELL_MAX = 100  # as the order's carrier and tracking number columns hold
MAX_ORDER_ID = 2**31 - 1

SHIPPED_OUTCOME, SKIPPED, REFUSED = "shipped", "skipped", "refused"


@dataclass
class Line:
    """What one line of the file did."""

    number: int  # the line in the file (the header is line 1)
    order: str  # as written in the file
    outcome: str  # shipped, skipped or refused
    message: str
    order_id: int | None = None
    carrier: str = ""
    tracking_number: str = ""


@dataclass
class ShipmentReport:
    lines: list[Line] = field(default_factory=list)

    def of(self, outcome: str) -> list[Line]:
        return [line for line in self.lines if line.outcome == outcome]

    @property
    def shipped(self) -> list[Line]:
        return self.of(SHIPPED_OUTCOME)

    @property
    def skipped(self) -> list[Line]:
        return self.of(SKIPPED)

    @property
    def refused(self) -> list[Line]:
        return self.of(REFUSED)


def ship_from_csv(data: bytes, *, actor: str) -> ShipmentReport:
    """Ship every valid line of the CSV `data`; the report of every line (flushes).

    Unprocessable (422) for a file that is not such a CSV at all (not UTF-8, no header naming
    the columns, no rows, too many rows); nothing is shipped then.
    """
    rows = _read(data)
    orders = _orders(rows)
    report = ShipmentReport()
    shipped_by: dict[int, int] = {}  # order id → the line that ships it in this file
    for number, row in rows:
        line = _line(number, row, orders, shipped_by)
        if line.outcome == SHIPPED_OUTCOME:
            shipped_by[line.order_id] = line.number
        report.lines.append(line)
    # In order-id order, as every path takes row locks: two uploads at once wait, never deadlock.
    for line in sorted(report.shipped, key=lambda line: line.order_id):
        _ship(line, actor)
    return report


def _read(data: bytes) -> list[tuple[int, dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unprocessable("The file is not UTF-8 text.", errors={"file": ["The file is not UTF-8 text"]}) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        names = [(cell or "").strip().lower() for cell in header or []]
        missing = [column for column in COLUMNS if column not in names]
        if missing:
            message = f"The first line must name the columns {', '.join(COLUMNS)} (missing: {', '.join(missing)})"
            raise Unprocessable(message, errors={"file": [message]})
        rows = []
        starts = reader.line_num + 1  # a quoted cell may span lines: a row is known by its first
        for cells in reader:
            first, starts = starts, reader.line_num + 1
            if not any((cell or "").strip() for cell in cells):
                continue  # a blank line
            row = {name: (cells[index] if index < len(cells) else "") for index, name in enumerate(names)}
            rows.append((first, row))
            if len(rows) > MAX_ROWS:
                message = f"At most {MAX_ROWS} rows per file"
                raise Unprocessable(message, errors={"file": [message]})
    except csv.Error as exc:
        message = f"Line {reader.line_num}: not readable as CSV ({exc})"
        raise Unprocessable(message, errors={"file": [message]}) from exc
    if not rows:
        raise Unprocessable("The file has no rows under its header.", errors={"file": ["The file has no rows"]})
    return rows


def _orders(rows) -> dict[int, Order]:
    """Every order the file names, in one query."""
    ids = {order_id for _, row in rows if (order_id := _order_id(row.get("order", ""))) is not None}
    if not ids:
        return {}
    return {order.id: order for order in db.session.scalars(select(Order).where(Order.id.in_(ids)))}


def _order_id(value: str) -> int | None:
    digits = value.strip().removeprefix("#").strip()
    if not digits.isascii() or not digits.isdigit():
        return None
    number = int(digits)
    return number if 0 < number <= MAX_ORDER_ID else None


def _line(number: int, row: dict[str, str], orders: dict[int, Order], shipped_by: dict[int, int]) -> Line:
    """The line checked; SHIPPED_OUTCOME here means "to ship" (`_ship` does it)."""
    written = {column: row.get(column, "") for column in COLUMNS}
    shown = _printable(written["order"])
    if any(_has_control_character(value) for value in written.values()):
        return Line(number, shown, REFUSED, "Control characters (a line break, NUL...) in a cell")
    carrier, tracking = written["carrier"].strip(), written["tracking_number"].strip()
    order_id = _order_id(written["order"])
    order = orders.get(order_id) if order_id is not None else None
    if order is None:
        return Line(number, shown, REFUSED, "Unknown order")
    line = Line(number, shown, REFUSED, "", order.id, carrier, tracking)
    if order.id in shipped_by:
        line.outcome, line.message = SKIPPED, f"Already shipped by line {shipped_by[order.id]} of this file"
    elif order.shipped_at is not None or order.delivered_at is not None:
        shipment = " ".join(part for part in (order.carrier, order.tracking_number) if part)
        line.outcome, line.message = SKIPPED, f"Already shipped ({shipment})" if shipment else "Already shipped"
    elif not can_transition(order, SHIPPED):
        line.message = "Not paid" if order.status == PENDING_PAYMENT else f"Order is {order.status.replace('_', ' ')}"
    elif carrier_name(carrier) is None:
        known = ", ".join(name for name, _ in CARRIERS.values())
        line.message = f"Unknown carrier {carrier!r} (known: {known})" if carrier else "No carrier"
    elif not tracking:
        line.message = "No tracking number"
    elif len(tracking) > CELL_MAX:
        line.message = f"Tracking number longer than {CELL_MAX} characters"
    else:
        line.outcome, line.message = SHIPPED_OUTCOME, "Shipped; the customer is emailed the tracking number"
        line.carrier = carrier_name(carrier)
    return line


def _ship(line: Line, actor: str) -> None:
    try:
        ship_order(line.order_id, carrier=line.carrier, tracking_number=line.tracking_number, actor=actor)
    except Conflict as exc:  # changed meanwhile (another upload, a cancellation): the row lock says so
        order = db.session.get(Order, line.order_id)  # as the lock just read it
        if order.shipped_at is not None or order.delivered_at is not None:
            line.outcome, line.message = SKIPPED, "Already shipped"
        else:
            line.outcome, line.message = REFUSED, exc.message


def _has_control_character(value: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in value)


def _printable(value: str) -> str:
    """The order cell as the report may show it: control characters made visible, kept short."""
    cleaned = "".join(ch if ord(ch) >= 32 and ord(ch) != 127 else "\N{REPLACEMENT CHARACTER}" for ch in value)
    return cleaned.strip()[:40]
