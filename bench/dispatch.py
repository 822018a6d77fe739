"""One dispatch pass over a large backlog on PostgreSQL, and the cost of the idle pass.

    .venv/bin/python bench/dispatch.py          # needs PostgreSQL (and Redis for the broker)

It creates a database of its own (BENCH_DATABASE_URL, default `shop_bench_dispatch` on the
local PostgreSQL), writes 100,000 scheduled follow-ups of which 10,000 are due (one per order,
so every due row is sent), runs ONE dispatch pass that claims them and queues their emails and
send tasks, and prints rows per second and the pass's wall time (target: under 10 s). Then it
runs the idle pass (nothing due), counts its queries and prints the query's plan.

The send tasks go to a real broker: BENCH_BROKER_URL (default redis://127.0.0.1:6379/0) on a
queue of their own, deleted afterwards; BENCH_BROKER_URL=capture keeps them in memory instead.
Settings: BENCH_ROWS (100000), BENCH_DUE (10000), BENCH_BATCH (500).
"""
import os
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 10.0
STEPS = [(0, 1, "dose"), (7, 2, "dose"), (14, 3, "dose"), (29, 3, "reorder"), (30, 3, "checkin"), (60, 3, "checkin")]


def prepare_database(url: str) -> str:
    url = make_url(url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": url.database})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return url.render_as_string(hide_password=False)


def build_app(database_url: str, broker: str, queue: str):
    from shop import create_app

    capture = broker == "capture"
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-secret-key",
        "CELERY_BROKER_URL": "memory://" if capture else broker,
        "TASKS_CAPTURE": [] if capture else None, "MAIL_SERVER": None,
        "PUBLIC_URL": "https://shop.example", "RATELIMIT_ENABLED": False, "CELERY_QUEUE": queue,
    })
    return app


def load(db, rows: int, due: int, now: datetime) -> None:
    """`due` orders with their day-0 step due; the rest of the rows in the future."""
    from shop.catalog.demo import DEMO_PRODUCTS, build_product
    from shop.followups.models import FollowUp
    from shop.orders.models import Order, OrderItem

    product = build_product(DEMO_PRODUCTS[0])
    db.session.add(product)
    db.session.flush()
    orders = -(-rows // len(STEPS))
    print(f"loading {orders:,} delivered orders and {rows:,} follow-ups ({due:,} due)...", flush=True)
    today = now.date()
    order_rows, item_rows, followup_rows = [], [], []
    for n in range(1, orders + 1):
        # due orders were delivered this morning; the others are due from tomorrow evening on
        starts_on = today if n <= due else today + timedelta(days=1 + n % 20)
        delivered = datetime.combine(starts_on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
        order_rows.append(dict(id=n, email=f"buyer{n}@example.com", status="delivered", token_hash="0" * 64,
                               total=product.price, currency="usd", paid_at=delivered, delivered_at=delivered))
        item_rows.append(dict(order_id=n, product_id=product.id, slug=product.slug, name=product.name,
                              quantity=1, unit_price=product.price))
        for day, capsules, kind in STEPS:
            if len(followup_rows) >= rows:
                break
            due_at = (now - timedelta(minutes=5)) if (n <= due and day == 0) else (
                datetime.combine(starts_on + timedelta(days=day + 1), datetime.min.time(), tzinfo=UTC))
            followup_rows.append(dict(order_id=n, product_id=product.id, kind=kind, step_day=day,
                                      capsules=capsules, note="", starts_on=starts_on, delay_days=0,
                                      due_at=due_at, status="scheduled"))
    for model, values in ((Order, order_rows), (OrderItem, item_rows), (FollowUp, followup_rows)):
        for start in range(0, len(values), 5000):
            db.session.execute(insert(model), values[start:start + 5000])
    db.session.execute(text("SELECT setval(pg_get_serial_sequence('orders', 'id'), :n)"), {"n": orders})
    db.session.commit()
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def main() -> int:
    rows = int(os.environ.get("BENCH_ROWS", "100000"))
    due = int(os.environ.get("BENCH_DUE", "10000"))
    batch = int(os.environ.get("BENCH_BATCH", "500"))
    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/0")
    queue = f"bench-dispatch-{secrets.token_hex(4)}"
    database_url = prepare_database(os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/shop_bench_dispatch"))
    app = build_app(database_url, broker, queue)
    from shop.extensions import db
    from shop.followups.dispatch import dispatch_due_followups, due_query

    now = datetime.now(UTC)
    with app.app_context():
        db.create_all()
        load(db, rows, due, now)

        print(f"one dispatch pass (batches of {batch}, broker: {broker if broker == 'capture' else 'redis'})...")
        started = time.perf_counter()
        result = dispatch_due_followups(now=now, batch_size=batch,
                                        progress=lambda r: print(f"  {r.handled:,} handled", end="\r"))
        wall = time.perf_counter() - started
        print(f"\nsent {result.sent:,}, skipped {result.skipped:,}, cancelled {result.cancelled:,}")
        print(f"pass wall time: {wall:.2f} s   rows/s: {result.handled / wall:,.0f}   "
              f"target < {TARGET_SECONDS:.0f} s: {'MET' if wall < TARGET_SECONDS else 'MISSED'}")

        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        idle = dispatch_due_followups(now=now)
        event.remove(db.engine, "before_cursor_execute", count)
        print(f"idle pass: {idle.handled} rows, {len(statements)} query")
        compiled = due_query(now, batch, postgres=True).compile(
            dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
        plan = db.session.execute(text("EXPLAIN (ANALYZE, COSTS OFF) " + str(compiled))).scalars().all()
        db.session.rollback()
        print("its plan:\n  " + "\n  ".join(plan))
    if broker != "capture":
        import redis

        redis.Redis.from_url(broker).delete(queue)
    return 0 if wall < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
