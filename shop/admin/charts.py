"""A small server-rendered SVG chart (no script, no inline style: the CSP forbids both)."""
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 180
LEFT, BOTTOM, TOP = 32, 24, 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    orders: list[Bar]
    refunds: list[Bar]
    ticks: list[tuple[float, str]]  # (y, label) on the left axis
    day_labels: list[tuple[float, str]]  # (x, label) under some bars
    baseline: float
    summary: str


def bar_chart(days) -> Chart:
    """Orders (left bar) and refunds (right bar) per day, scaled to the busiest day."""
    peak = max([1] + [max(d.orders, d.refunds) for d in days])
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(1, len(days))
    bar_w = max(1.0, slot * 0.4)
    baseline = HEIGHT - BOTTOM

    def bar(index: int, value: int, offset: float, label: str) -> Bar:
        h = plot_h * value / peak
        return Bar(round(LEFT + index * slot + offset, 1), round(baseline - h, 1), round(bar_w, 1), round(h, 1), label)

    orders, refunds, labels = [], [], []
    for i, d in enumerate(days):
        when = d.day.strftime("%b %-d")
        orders.append(bar(i, d.orders, slot * 0.1, f"{when}: {d.orders} order{'s' if d.orders != 1 else ''}"))
        refunds.append(bar(i, d.refunds, slot * 0.1 + bar_w, f"{when}: {d.refunds} refund{'s' if d.refunds != 1 else ''}"))
        # A label each week, and on the last day unless a weekly one sits too close to it
        if i % 7 == 0 or (i == len(days) - 1 and i % 7 >= 4):
            labels.append((round(LEFT + i * slot + slot / 2, 1), when))
    levels = sorted({0, peak // 2, peak})  # whole numbers only: there is no half an order
    ticks = [(round(baseline - plot_h * level / peak, 1), str(level)) for level in levels]
    total_orders = sum(d.orders for d in days)
    total_refunds = sum(d.refunds for d in days)
    summary = f"{total_orders} orders and {total_refunds} refunds over the last {len(days)} days"
    return Chart(WIDTH, HEIGHT, orders, refunds, ticks, labels, baseline, summary)
