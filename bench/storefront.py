"""A mixed storefront load against the whole stack, then the invariants that must hold after it.

    .venv/bin/python bench/storefront.py                       # 60 s at 8 clients
    .venv/bin/python bench/storefront.py --seconds 20 --step 4,8,16,32

It runs gunicorn (BENCH_WORKERS x BENCH_THREADS gthread) on a PostgreSQL database of its own
(BENCH_DATABASE_URL, default `shop_bench_storefront`, dropped and created), a Celery worker on
Redis (BENCH_BROKER_URL, default redis://127.0.0.1:6379/12, on a queue of its own), and the
Stripe stand-in, which sends its webhooks to the shop. Client threads then loop, each picking:

- browse 80%: the catalogue API, a product's API entry, a product page, the catalogue page;
- checkout 10%: POST /api/v1/checkout (through the stand-in, with the official SDK), then the
  stand-in's pay control, so Stripe's events reach the webhook;
- webhooks 8%: a signed re-delivery of an event the stand-in sent (half with its own id, a
  duplicate; half under a new id, the same news again);
- claims 2%: a paid order is shipped and delivered (fulfilment token), the customer claims,
  support approves (refund at the stand-in, whose refund events follow).

Each step of `--step` runs `--seconds` (or until `--max-requests`), waits until the webhooks and
the worker's queue are drained, then checks: no negative stock; stock + units held by orders =
initial stock; every paid order has exactly one confirmation email and no other order has one;
no claim refunded twice; refunds never exceed what was paid; no 5xx (ours, and the webhook
answers the stand-in saw); no email failed. It prints throughput, p50/p99 per request kind and
errors. A step "holds" with zero 5xx, zero violations, zero client errors and p99 under 2 s;
stepping stops at the first that does not. Ports: BENCH_PORT (default 5300) and the next one;
bare Flask on BENCH_PORT + 9.

Bare Flask (one route, the same gunicorn settings, `_harness.BareFlask`) is measured before the
servers start and after they stop; the summary gives each step's requests/s also as a ratio to
its requests/s, and each kind's p50 and p99 in bare-Flask request times. The p99 limit stays
absolute (2 s): it bounds what a customer waits at worst, whatever the machine's speed.
"""
import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _harness import (  # noqa: E402
    BareFlask, instance_path, load_average, prepare_database, process_group_cpu, serve, standin, worker)

WEBHOOK_SECRET = "whsec_bench_storefront"
STRIPE_KEY = "sk_test_bench_storefront"
QUEUE = "bench-storefront"
PRODUCTS = 40
INITIAL_STOCK = 50_000
P99_LIMIT_MS = 2000
MIX = [("browse", 80), ("checkout", 10), ("webhook", 8), ("claim", 2)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of each step (default 60)")
    parser.add_argument("--step", default="8", help="client threads per step, comma-separated (default 8)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop a step after this many")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    random.seed(args.seed)
    port = int(os.environ.get("BENCH_PORT", "5300"))
    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
    database_url = prepare_database(os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/shop_bench_storefront"))
    shop_url, standin_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="bench-secret-key", SHOP_ENV="development",
               STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_SECRET_KEY=STRIPE_KEY, STRIPE_API_BASE=standin_url,
               RATELIMIT_ENABLED="false", CELERY_BROKER_URL=broker, CELERY_QUEUE=QUEUE,
               PUBLIC_URL=shop_url, LOG_FORMAT="json", SHOP_INSTANCE_PATH=str(instance_path()))
    env.pop("MAIL_SERVER", None)  # the outbox: a sent email is its row
    slugs, staff = load(database_url, broker)
    empty_queue(broker)
    baseline = BareFlask(port + 9, env)
    baseline.measure()

    logs = open(instance_path() / "storefront.log", "w")  # noqa: SIM115  servers' output
    results = []
    with standin(port + 1, f"{shop_url}/api/v1/stripe/webhook", WEBHOOK_SECRET, env, log=logs), \
            serve("shop:create_app()", port, env, log=logs) as web, worker(env, QUEUE, log=logs):
        shop = Shop(shop_url, standin_url, slugs, staff)
        shop.prime(30)
        for concurrency in [int(n) for n in args.step.split(",")]:
            cpu_before = process_group_cpu(web.process.pid)
            outcome = run_step(shop, concurrency, args.seconds, args.max_requests)
            outcome["web_cpu_ms"] = (process_group_cpu(web.process.pid) - cpu_before) * 1000 / max(1, outcome["count"])
            drained = shop.drain(broker, database_url)
            outcome["violations"] = check_invariants(database_url, shop) + ([] if drained else [drained_problem()])
            outcome["load"] = load_average()
            report(concurrency, outcome, shop.totals)
            results.append((concurrency, outcome))
            if not holds(outcome):
                break
    logs.close()
    empty_queue(broker)
    baseline.measure()
    report_ratios(baseline, results)
    held = [c for c, o in results if holds(o)]
    best = max(held, key=lambda c: dict(results)[c]["rps"]) if held else None
    print("\nsummary: " + "; ".join(f"{c} clients {o['rps']:.0f} req/s {'held' if holds(o) else 'FAILED'}"
                                    for c, o in results))
    if best is None:
        print("summary: no step held (see the errors and violations above)")
        return 1
    print(f"summary: highest sustained load: {best} clients, {dict(results)[best]['rps']:.0f} requests/s "
          f"with zero 5xx and zero invariant violations")
    return 0 if all(holds(o) for _, o in results) else 1


def holds(outcome: dict) -> bool:
    return (not outcome["server_errors"] and not outcome["violations"] and not outcome["client_errors"]
            and outcome["p99_all"] < P99_LIMIT_MS)


def drained_problem() -> str:
    return "the webhooks or the worker's queue did not drain within 60 s"


# --- data --------------------------------------------------------------------------------------

def load(database_url: str, broker: str) -> tuple[list[str], dict[str, str]]:
    """PRODUCTS products with INITIAL_STOCK each, a fulfilment and a support token."""
    from shop import create_app
    from shop.accounts.services import create_staff, issue_token
    from shop.catalog.demo import DEMO_PRODUCTS, build_product
    from shop.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "CELERY_BROKER_URL": broker,
                      "CELERY_QUEUE": QUEUE, "TESTING": True})
    slugs = []
    with app.app_context():
        db.create_all()
        for index in range(PRODUCTS):
            spec = dict(DEMO_PRODUCTS[index % len(DEMO_PRODUCTS)], stock=INITIAL_STOCK)
            spec.update(slug=f"{spec['slug']}-{index:02d}", name=f"{spec['name']} {index:02d}")
            db.session.add(build_product(spec))
            slugs.append(spec["slug"])
        staff = {}
        for role in ("fulfilment", "support"):
            member = create_staff(f"{role}@bench.example", role, password="bench-password-1234")
            staff[role] = issue_token(member, name="bench")
        db.session.commit()
        db.engine.dispose()
    return slugs, staff


def empty_queue(broker: str) -> None:
    import redis

    redis.Redis.from_url(broker).delete(QUEUE)


# --- the client ---------------------------------------------------------------------------------

class Shop:
    """The requests each kind of visitor makes; every answer is recorded as (kind, ms, status)."""

    def __init__(self, shop_url: str, standin_url: str, slugs: list[str], staff: dict[str, str]):
        self.url, self.standin_url, self.slugs, self.staff = shop_url, standin_url, slugs, staff
        self.local = threading.local()
        self.lock = threading.Lock()
        self.records: list[tuple[str, float, int]] = []
        self.unexpected: dict[str, int] = defaultdict(int)
        self.paid_orders: list[tuple[int, str, float]] = []  # (order id, token, when paid at the stand-in)
        self.events: list[dict] = []
        self.events_read_at = 0.0
        self.event_counter = 0
        self.initial = INITIAL_STOCK

    def session(self):
        import requests

        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def call(self, kind: str, method: str, url: str, expect: tuple[int, ...], **kwargs):
        started = time.perf_counter()
        try:
            response = self.session().request(method, url, timeout=30, **kwargs)
        except Exception as exc:  # noqa: BLE001  a timeout or a reset is a client error, counted
            with self.lock:
                self.records.append((kind, (time.perf_counter() - started) * 1000, 0))
                self.unexpected[f"{kind}: {type(exc).__name__}"] += 1
            return None
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.records.append((kind, elapsed, response.status_code))
            if response.status_code not in expect:
                self.unexpected[f"{kind}: {response.status_code} {response.text[:120]}"] += 1
        return response

    # browse 80%
    def browse(self) -> None:
        slug = random.choice(self.slugs)
        roll = random.random()
        if roll < 0.35:
            self.call("browse: GET /api/v1/products", "GET", f"{self.url}/api/v1/products",
                      (200,), params={"page": random.randint(1, 2)})
        elif roll < 0.5:
            self.call("browse: GET /api/v1/products/<slug>", "GET", f"{self.url}/api/v1/products/{slug}", (200,))
        elif roll < 0.85:
            self.call("browse: GET /products/<slug>", "GET", f"{self.url}/products/{slug}", (200,))
        else:
            self.call("browse: GET /products", "GET", f"{self.url}/products", (200,))

    # checkout 10%
    def checkout(self) -> None:
        items = [{"slug": slug, "quantity": random.randint(1, 3)} for slug in random.sample(self.slugs, random.randint(1, 2))]
        response = self.call("checkout: POST /api/v1/checkout", "POST", f"{self.url}/api/v1/checkout", (201,),
                             json={"email": f"buyer{random.randrange(10**9)}@example.com", "items": items})
        if response is None or response.status_code != 201:
            return
        body = response.json()
        if random.random() < 0.1:
            return  # abandoned: the order waits for payment, its stock held
        paid = self.call("checkout: stand-in pay", "POST",
                         f"{self.standin_url}/_standin/sessions/{body['stripe_checkout_session_id']}/pay",
                         (200,), json={"method": "card"})
        if paid is not None and paid.status_code == 200:
            with self.lock:
                self.paid_orders.append((body["order_id"], body["order_token"], time.monotonic()))

    # webhooks 8%
    def webhook(self) -> None:
        import stripe

        event = self.some_event()
        if event is None:
            return self.browse()
        if random.random() < 0.5:
            with self.lock:
                self.event_counter += 1
                event = dict(event, id=f"evt_bench_{self.event_counter}_{random.randrange(10**6)}")
        payload = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
        self.call("webhook: POST /api/v1/stripe/webhook", "POST", f"{self.url}/api/v1/stripe/webhook", (200,),
                  data=payload.encode(), headers={"Stripe-Signature": header, "Content-Type": "application/json"})
        return None

    def some_event(self) -> dict | None:
        with self.lock:
            stale = time.monotonic() - self.events_read_at > 3
            if stale:
                self.events_read_at = time.monotonic()
        if stale:
            response = self.session().get(f"{self.standin_url}/_standin/events", timeout=30)
            events = response.json()["events"][-500:]
            with self.lock:
                self.events = events
        with self.lock:
            return random.choice(self.events) if self.events else None

    # claims 2%
    def claim(self) -> None:
        with self.lock:
            ready = [i for i, (_, _, at) in enumerate(self.paid_orders) if time.monotonic() - at > 2]
            if not ready:
                order = None
            else:
                order = self.paid_orders.pop(random.choice(ready))
        if order is None:
            return self.browse()
        order_id, token, _ = order
        fulfilment = {"Authorization": f"Bearer {self.staff['fulfilment']}"}
        support = {"Authorization": f"Bearer {self.staff['support']}"}
        shipped = self.call("claim: staff ship", "POST", f"{self.url}/api/v1/admin/orders/{order_id}/ship", (200, 409),
                            json={"carrier": "UPS", "tracking_number": f"1Z{order_id:010d}"}, headers=fulfilment)
        if shipped is None or shipped.status_code != 200:
            return None  # 409: not paid yet (its webhook is late); the order is left alone
        self.call("claim: staff deliver", "POST", f"{self.url}/api/v1/admin/orders/{order_id}/deliver", (200,),
                  json={}, headers=fulfilment)
        filed = self.call("claim: POST claim", "POST", f"{self.url}/api/v1/orders/{order_id}/claims", (201,),
                          json={"reason": "It did not help me sleep."}, headers={"X-Order-Token": token})
        if filed is None or filed.status_code != 201:
            return None
        claim_id = filed.json()["id"]
        self.call("claim: staff approve", "POST", f"{self.url}/api/v1/admin/claims/{claim_id}/approve", (200,),
                  json={}, headers=support)
        if random.random() < 0.3:  # a double click: the second approval must not refund again
            self.call("claim: staff approve again", "POST", f"{self.url}/api/v1/admin/claims/{claim_id}/approve",
                      (200, 409, 422), json={}, headers=support)
        return None

    def prime(self, orders: int) -> None:
        """Paid orders for the first claims to use."""
        for _ in range(orders):
            self.checkout()
        self.records.clear()
        self.unexpected.clear()

    def drain(self, broker: str, database_url: str, seconds: float = 60) -> bool:
        """Wait until the stand-in delivered every event and the worker emptied its queue."""
        import redis
        from sqlalchemy import create_engine, text

        queue = redis.Redis.from_url(broker)
        engine = create_engine(database_url)
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                deliveries = self.session().get(f"{self.standin_url}/_standin/webhooks", timeout=30).json()["deliveries"]
                pending = sum(d["state"] == "pending" for d in deliveries)
                with engine.connect() as conn:
                    queued = conn.execute(text("SELECT count(*) FROM email_messages WHERE status = 'queued'")).scalar()
                if not pending and not queue.llen(QUEUE) and not queued:
                    return True
                time.sleep(0.5)
            return False
        finally:
            engine.dispose()


def run_step(shop: Shop, concurrency: int, seconds: float, max_requests: int) -> dict:
    shop.records, shop.unexpected = [], defaultdict(int)
    kinds = [kind for kind, _ in MIX]
    weights = [weight for _, weight in MIX]
    stop_at = time.monotonic() + seconds
    actions = {"browse": shop.browse, "checkout": shop.checkout, "webhook": shop.webhook, "claim": shop.claim}

    def client() -> None:
        while time.monotonic() < stop_at and len(shop.records) < max_requests:
            actions[random.choices(kinds, weights)[0]]()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.perf_counter() - started
    records = list(shop.records)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, ms, _ in records:
        by_kind[kind].append(ms)
    all_ms = [ms for _, ms, _ in records]
    return {
        "count": len(records), "seconds": elapsed, "rps": len(records) / elapsed,
        "by_kind": {kind: (len(v), percentile(v, 50), percentile(v, 99)) for kind, v in sorted(by_kind.items())},
        "p99_all": percentile(all_ms, 99) if all_ms else 0.0,
        "server_errors": sum(1 for _, _, status in records if status >= 500),
        "client_errors": sum(1 for _, _, status in records if status == 0),
        "unexpected": dict(shop.unexpected),
    }


def percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


# --- invariants -----------------------------------------------------------------------------------

def check_invariants(database_url: str, shop: Shop) -> list[str]:
    from sqlalchemy import create_engine, text

    problems = []
    engine = create_engine(database_url)
    paid_statuses = "('paid', 'shipped', 'delivered', 'partially_refunded', 'refunded')"
    queries = {
        "products with negative stock":
            "SELECT count(*) FROM products WHERE stock < 0",
        "products whose stock + units held by orders differ from the initial stock":
            f"SELECT count(*) FROM products p WHERE p.stock + COALESCE((SELECT sum(i.quantity) FROM order_items i "
            f"JOIN orders o ON o.id = i.order_id WHERE i.product_id = p.id AND o.stock_reserved), 0) <> {INITIAL_STOCK}",
        "paid orders without exactly one confirmation email":
            f"SELECT count(*) FROM orders o WHERE o.status IN {paid_statuses} AND (SELECT count(*) FROM email_messages e "
            "WHERE e.order_id = o.id AND e.kind = 'order_confirmation') <> 1",
        "unpaid orders with a confirmation email":
            f"SELECT count(*) FROM orders o WHERE o.status NOT IN {paid_statuses} AND EXISTS (SELECT 1 FROM "
            "email_messages e WHERE e.order_id = o.id AND e.kind = 'order_confirmation')",
        "claims refunded more than once":
            "SELECT count(*) FROM (SELECT claim_id FROM refunds WHERE claim_id IS NOT NULL AND status IN "
            "('pending', 'succeeded') GROUP BY claim_id HAVING count(*) > 1) AS t",
        "orders whose refunds exceed what was paid":
            "SELECT count(*) FROM orders o WHERE o.refunded_total > o.total OR (SELECT COALESCE(sum(r.amount), 0) "
            "FROM refunds r WHERE r.order_id = o.id AND r.status IN ('pending', 'succeeded')) > o.total",
        "orders paid twice (two transitions to paid)":
            "SELECT count(*) FROM (SELECT order_id FROM order_events WHERE to_status = 'paid' GROUP BY order_id "
            "HAVING count(*) > 1) AS t",
        "emails that failed":
            "SELECT count(*) FROM email_messages WHERE status = 'failed'",
    }
    with engine.connect() as conn:
        for name, sql in queries.items():
            count = conn.execute(text(sql)).scalar()
            if count:
                problems.append(f"{count} {name}")
        shop.totals = conn.execute(text(
            f"SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM orders WHERE status IN {paid_statuses}), "
            "(SELECT count(*) FROM claims), (SELECT count(*) FROM refunds WHERE status = 'succeeded'), "
            "(SELECT count(*) FROM email_messages), (SELECT count(*) FROM stripe_events)")).one()
    engine.dispose()
    deliveries = shop.session().get(f"{shop.standin_url}/_standin/webhooks", timeout=30).json()["deliveries"]
    failed = [a["status"] for d in deliveries for a in d["attempts"] if a["status"] is None or a["status"] >= 500]
    if failed:
        problems.append(f"{len(failed)} webhook deliveries from the stand-in answered 5xx or failed: "
                        f"{sorted(set(map(str, failed)))[:5]}")
    return problems


def report(concurrency: int, outcome: dict, totals) -> None:
    print(f"\n== {concurrency} clients: {outcome['count']} requests in {outcome['seconds']:.1f} s = "
          f"{outcome['rps']:.0f} req/s; web CPU {outcome['web_cpu_ms']:.1f} ms per request; {outcome['load']}")
    print(f"{'request':<44}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}")
    for kind, (count, p50, p99) in outcome["by_kind"].items():
        print(f"{kind:<44}{count:>7}{p50:>9.1f}{p99:>9.1f}")
    print(f"{'all':<44}{outcome['count']:>7}{'':>9}{outcome['p99_all']:>9.1f}")
    print(f"5xx: {outcome['server_errors']}; client errors (timeouts, resets): {outcome['client_errors']}")
    for what, count in sorted(outcome["unexpected"].items()):
        print(f"  unexpected answer x{count}: {what}")
    print("so far: {} orders, {} paid, {} claims, {} refunds succeeded, {} emails, {} Stripe events stored".format(*totals))
    print("invariants: " + ("all hold" if not outcome["violations"] else "VIOLATED: " + "; ".join(outcome["violations"])))


def report_ratios(baseline: BareFlask, results: list[tuple[int, dict]]) -> None:
    """Each step's figures against bare Flask in this sitting: requests/s as a share of its
    requests/s, latencies in its times per request (x)."""
    print(f"\nbench: {baseline.describe()}")
    for concurrency, outcome in results:
        print(f"ratios at {concurrency} clients: {outcome['rps']:.0f} req/s = {baseline.ratio(outcome['rps']):.3f}x "
              f"bare Flask's requests/s; p99 of all {baseline.times(outcome['p99_all']):,.0f}x its request time")
        print(f"  {'request':<42}{'p50 x':>9}{'p99 x':>9}")
        for kind, (_count, p50, p99) in outcome["by_kind"].items():
            print(f"  {kind:<42}{baseline.times(p50):>9,.0f}{baseline.times(p99):>9,.0f}")


if __name__ == "__main__":
    sys.exit(main())
