"""`python -m stripe_standin`: serve the stand-in until interrupted (`make run` does)."""
import argparse
import logging
import os
import signal
import sys

from stripe_standin.dispatcher import ORDERS
from stripe_standin.server import DEFAULT_WEBHOOK_SECRET, StandIn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m stripe_standin",
                                     description="A local stand-in for Stripe's API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--public-url", help="the address browsers reach the pay page at "
                                             "(default: http://HOST:PORT)")
    parser.add_argument("--webhook-url", default=os.environ.get("STANDIN_WEBHOOK_URL"),
                        help="where events are POSTed (none: events are only recorded)")
    parser.add_argument("--webhook-secret",
                        default=os.environ.get("STRIPE_WEBHOOK_SECRET") or DEFAULT_WEBHOOK_SECRET,
                        help="signing secret (default: $STRIPE_WEBHOOK_SECRET)")
    parser.add_argument("--webhook-attempts", type=int, default=6,
                        help="deliveries tried per event before giving up")
    parser.add_argument("--webhook-backoff", type=float, default=2.0,
                        help="seconds before the first retry; doubled for each next one")
    parser.add_argument("--webhook-order", choices=ORDERS, default="as_sent",
                        help="the order each batch of events is delivered in")
    parser.add_argument("--webhook-workers", type=int, default=1,
                        help="deliveries under way at once")
    parser.add_argument("--async-delay", type=float, default=5.0,
                        help="seconds before a bank transfer settles by itself")
    parser.add_argument("--pending-refunds", action="store_true",
                        help="refunds stay pending until settled through /_standin/")
    parser.add_argument("--state-file",
                        help="keep the account in this JSON file across restarts (make run does)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s stripe-standin %(message)s")
    standin = StandIn(host=args.host, port=args.port, webhook_target=args.webhook_url,
                      webhook_secret=args.webhook_secret, async_delay=args.async_delay,
                      refund_status="pending" if args.pending_refunds else "succeeded",
                      webhook_attempts=args.webhook_attempts, webhook_backoff=args.webhook_backoff,
                      sweep_interval=1.0, public_url=args.public_url, state_file=args.state_file)
    standin.configure_webhooks(order=args.webhook_order, workers=args.webhook_workers)
    logging.info("Stripe stand-in on %s, webhooks to %s", standin.url, args.webhook_url or "nowhere")
    # honcho and docker stop with SIGTERM: leave through serve_forever's cleanup (state saved).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        standin.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
