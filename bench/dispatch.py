"""A dispatch pass over a large backlog on PostgreSQL, and the cost of the idle pass.

    .venv/bin/python bench/dispatch.py          # needs PostgreSQL and Redis

It creates a database of its own (BENCH_DATABASE_URL, default `shop_bench_dispatch` on the
local PostgreSQL) and writes 100,000 scheduled follow-ups of which 10,000 are due (one per
order, so every due row is sent). Then it times the pass that claims every due row and queues
its email and send task, twice:

1. in this process, alone (`flask --app shop followups dispatch`'s path);
2. as production runs it: the beat task sent to a real Celery worker with two processes
   (BENCH_WORKER_PROCESSES); its first full batch asks DISPATCH_HELPERS (1) more processes to
   join, so both cores share the backlog. The clock runs from sending the task until no due
   row is left `scheduled`.

Between the two the same 10,000 rows are made due again. Prints rows per second and each pass's
wall time, then runs the idle pass (nothing due), counts its queries and prints the query's plan.

Bare Flask (one route, the same gunicorn settings, `_harness.BareFlask`, on BENCH_PORT, default
5400) is measured before the first pass and after the second; rows per second are printed also
as a ratio to its requests per second. Target: the worker's pass clears the due rows at >= 0.18x
bare Flask's requests/s (10,000 due rows in 10 s when bare Flask serves 5,600 requests/s).

The send tasks go to a real broker, BENCH_BROKER_URL (default redis://127.0.0.1:6379/0), on a
queue of their own that nobody reads, deleted afterwards; the worker reads only the dispatch
queue. Settings: BENCH_ROWS (100000), BENCH_DUE (10000), BENCH_BATCH (500).
"""
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _harness import BareFlask, instance_path, load_average, prepare_database, worker  # noqa: E402
# The worker's rows/s as a share of bare Flask's requests/s in the same sitting (10,000 due rows
# in 10 s was the target when bare Flask served 5,600 requests/s).
TARGET_RATIO = 0.18
STEPS = [(0, 1, "dose"), (7, 2, "dose"), (14, 3, "dose"), (29, 3, "reorder"), (30, 3, "checkin"), (60, 3, "checkin")]


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
    processes = int(os.environ.get("BENCH_WORKER_PROCESSES", "2"))
    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/0")
    queue = f"bench-dispatch-sends-{secrets.token_hex(4)}"
    database_url = prepare_database(os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/shop_bench_dispatch"))
    baseline = BareFlask(int(os.environ.get("BENCH_PORT", "5400")), dict(
        os.environ, SECRET_KEY="bench-secret-key", SHOP_INSTANCE_PATH=str(instance_path())))
    baseline.measure()
    app = build_app(database_url, broker, queue)
    from shop.extensions import db
    from shop.followups.dispatch import dispatch_due_followups, due_query

    now = datetime.now(UTC)
    with app.app_context():
        db.create_all()
        load(db, rows, due, now)

        print(f"pass 1: in this process (batches of {batch})...")
        started = time.perf_counter()
        result = dispatch_due_followups(now=now, batch_size=batch,
                                        progress=lambda r: print(f"  {r.handled:,} handled", end="\r"))
        alone = time.perf_counter() - started
        print(f"\nsent {result.sent:,}, skipped {result.skipped:,}, cancelled {result.cancelled:,}")
        print(f"pass wall time: {alone:.2f} s   rows/s: {result.handled / alone:,.0f}   ({load_average()})")

        make_due_again(db)
        print(f"pass 2: the beat task on a Celery worker with {processes} processes (batches of {batch})...")
        wall, sent = worker_pass(app, database_url, broker, queue, now, batch, processes, due)
        print(f"sent {sent:,} (each once)")
        print(f"pass wall time: {wall:.2f} s   rows/s: {due / wall:,.0f}   ({load_average()})")

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
    baseline.measure()
    alone_ratio, worker_ratio = baseline.ratio(result.handled / alone), baseline.ratio(due / wall)
    met = worker_ratio >= TARGET_RATIO
    print(f"\nbench: {baseline.describe()}")
    print(f"{'pass':<34}{'rows/s':>10}{'ratio':>10}{'target':>10}  verdict   (ratio: share of bare Flask's requests/s)")
    print(f"{'in this process':<34}{result.handled / alone:>10,.0f}{alone_ratio:>9.3f}x")
    print(f"{f'Celery worker, {processes} processes':<34}{due / wall:>10,.0f}{worker_ratio:>9.3f}x"
          f"{TARGET_RATIO:>8.2f}x >  {'met' if met else 'MISSED'}   ({due:,} due in {wall:.2f} s)")
    return 0 if met and sent == due else 1


def make_due_again(db) -> None:
    """The rows pass 1 sent, scheduled again with no email: the same backlog for pass 2."""
    db.session.execute(text("UPDATE followups SET status = 'scheduled', sent_at = NULL, email_message_id = NULL "
                            "WHERE status = 'sent'"))
    db.session.execute(text("DELETE FROM email_messages"))
    db.session.commit()
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def worker_pass(app, database_url: str, broker: str, send_queue: str, now: datetime, batch: int,
                processes: int, due: int) -> tuple[float, int]:
    """Send the beat task to a real worker; seconds until nothing due is left, and rows sent."""
    from shop.extensions import db

    if broker == "capture":
        raise SystemExit("pass 2 needs a real broker: set BENCH_BROKER_URL to a Redis URL")
    dispatch_queue = f"bench-dispatch-{secrets.token_hex(4)}"
    env = dict(os.environ, DATABASE_URL=database_url, CELERY_BROKER_URL=broker, CELERY_QUEUE=send_queue,
               SECRET_KEY="bench-secret-key", SHOP_ENV="development", PUBLIC_URL="https://shop.example",
               DISPATCH_BATCH_SIZE=str(batch), DISPATCH_HELPERS=str(processes - 1), MAIL_SERVER="",
               SHOP_INSTANCE_PATH=str(instance_path()))
    celery = app.extensions["celery"]
    remaining = text("SELECT count(*) FROM followups WHERE status = 'scheduled' AND due_at <= :now")
    with tempfile.TemporaryFile() as log, worker(env, dispatch_queue, concurrency=processes, log=log):
        deadline = time.monotonic() + 60
        while not celery.control.ping(timeout=0.5, destination=None) and time.monotonic() < deadline:
            pass
        started = time.perf_counter()
        celery.send_task("shop.followups.tasks.dispatch_due_followups", args=[now.isoformat()],
                         queue=dispatch_queue)
        while db.session.execute(remaining, {"now": now}).scalar():
            db.session.rollback()
            time.sleep(0.05)
        wall = time.perf_counter() - started
        db.session.rollback()
        time.sleep(1)  # the helpers, finding nothing left, finish
    sent = db.session.execute(text("SELECT count(DISTINCT email_message_id) FROM followups "
                                   "WHERE status = 'sent' AND email_message_id IS NOT NULL")).scalar()
    emails = db.session.execute(text("SELECT count(*) FROM email_messages")).scalar()
    db.session.rollback()
    if emails != sent:
        print(f"WRONG: {emails} emails for {sent} sent rows")
    import redis

    redis.Redis.from_url(broker).delete(dispatch_queue)
    return wall, sent


if __name__ == "__main__":
    sys.exit(main())
