"""Throughput of the catalogue under gunicorn on PostgreSQL, beside a bare Flask "hello".

    .venv/bin/python bench/catalogue.py            # needs PostgreSQL and wrk (apt-get install wrk)

It creates a database of its own (BENCH_DATABASE_URL, default `shop_bench` on the local
PostgreSQL), loads 1,000 products, serves the shop and a one-route Flask app with the same
gunicorn settings, measures requests per second of each route with wrk, and prints the ratios
against the targets. It runs BENCH_ROUNDS rounds (default 3), each measuring bare Flask just
before each route; the median round's ratio is the verdict. Settings: BENCH_SECONDS (default
10), BENCH_CONNECTIONS (default 32), BENCH_WORKERS (default 2), BENCH_THREADS (default 4),
BENCH_PORT (default 5100; the hello app uses the next port).
"""
import os
import shutil
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _harness import instance_path, load_average, prepare_database, serve  # noqa: E402,F401  (bench/webhooks.py imports them from here too)
# The baseline and its measurement are the harness's, shared by every benchmark.
from _harness import bare_flask_app as hello_app  # noqa: E402,F401
from _harness import wrk_requests_per_second as measure  # noqa: E402
TARGETS = {  # route → minimum share of bare-Flask throughput
    "GET /api/v1/products": 0.50,
    "GET /products/<slug>": 0.35,
    "GET /products": 0.25,
}
PRODUCTS = 1000


def main() -> int:
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt-get install -y wrk); nothing measured.", file=sys.stderr)
        return 2
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    port = int(os.environ.get("BENCH_PORT", "5100"))
    database_url = prepare_database(os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/shop_bench"))
    slug = load_products(database_url)

    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="bench-secret-key", SHOP_ENV="development",
               RATELIMIT_ENABLED="false", CELERY_BROKER_URL="memory://", CATALOGUE_CACHE_SECONDS="30",
               SHOP_INSTANCE_PATH=str(instance_path()))
    routes = (("GET /api/v1/products", "/api/v1/products"),
              ("GET /products/<slug>", f"/products/{slug}"),
              ("GET /products", "/products"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    hello_url = f"http://127.0.0.1:{port + 1}/"
    # Both servers stay up (the idle one costs nothing) and each round measures bare Flask just
    # before each route: a ratio compares two figures taken seconds apart, so a change in the
    # machine's speed during the run moves both. The median round is reported.
    ratios: dict[str, list[float]] = {name: [] for name, _ in routes}
    figures: dict[str, list[float]] = {name: [] for name, _ in routes}
    hellos: list[float] = []
    with serve("shop:create_app()", port, env), \
            serve("_harness:bare_flask_app()", port + 1, env, pythonpath=str(ROOT / "bench")):
        for round_ in range(1, rounds + 1):
            print(f"bench: round {round_}/{rounds}", flush=True)
            for name, path in routes:
                hello = measure(hello_url, seconds)
                rps = measure(f"http://127.0.0.1:{port}{path}", seconds)
                hellos.append(hello)
                figures[name].append(rps)
                ratios[name].append(rps / hello)

    print(f"\n{'route':<24}{'req/s':>10}{'ratio':>9}{'target':>9}  verdict   (median of {rounds} rounds; "
          f"ratios per round)")
    print(f"{'bare Flask hello':<24}{statistics.median(hellos):>10.0f}")
    ok = True
    for name, _ in routes:
        ratio = statistics.median(ratios[name])
        met = ratio >= TARGETS[name]
        ok &= met
        each = " ".join(f"{r:.0%}" for r in ratios[name])
        print(f"{name:<24}{statistics.median(figures[name]):>10.0f}{ratio:>8.0%}{TARGETS[name]:>8.0%}  "
              f"{'met' if met else 'MISSED':<8}  ({each})")
    print(f"bench: {load_average()}")
    return 0 if ok else 1


def load_products(database_url: str) -> str:
    """1,000 published products, each with ingredients and a plan; returns a slug to fetch."""
    sys.path.insert(0, str(ROOT))
    from shop import create_app
    from shop.catalog.demo import DEMO_PRODUCTS, build_product
    from shop.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench",
                      "CELERY_BROKER_URL": "memory://"})
    with app.app_context():
        db.create_all()
        for index in range(PRODUCTS):
            spec = dict(DEMO_PRODUCTS[index % len(DEMO_PRODUCTS)])
            spec.update(slug=f"{spec['slug']}-{index:04d}", name=f"{spec['name']} {index:04d}")
            db.session.add(build_product(spec))
            if index % 250 == 249:
                db.session.commit()
                print(f"bench: loaded {index + 1}/{PRODUCTS} products", flush=True)
        db.session.commit()
        db.engine.dispose()
    return "mag-rr-0000"


if __name__ == "__main__":
    sys.exit(main())
