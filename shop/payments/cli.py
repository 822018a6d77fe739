"""Reconciliation with Stripe, now, in this process.

`flask --app shop stripe reconcile [--days N]` runs both sweeps of shop.payments.reconcile (stale
checkouts, then the last N days of sessions and refunds); `flask --app shop payments reconcile`
runs the stale-checkout sweep alone, as beat does every ten minutes.
"""
import click
from flask import Flask
from flask.cli import AppGroup

from shop.cli import command


def register_commands(app: Flask) -> None:
    payments = AppGroup("payments", help="Stripe payments.")

    @payments.command("reconcile")
    @command
    def reconcile():
        """Ask Stripe about orders still waiting for payment an hour after checkout, and settle them."""
        from shop.payments.reconcile import sweep_stale_checkouts

        _summary(sweep_stale_checkouts(progress=click.echo))

    stripe = AppGroup("stripe", help="Stripe: compare the shop with what Stripe knows.")

    @stripe.command("reconcile")
    @click.option("--days", default=3, show_default=True, type=click.IntRange(1, 90),
                  help="How far back to compare Checkout Sessions and refunds.")
    @command
    def stripe_reconcile(days):
        """Settle stale checkouts, then apply paid sessions and refunds the webhooks never brought."""
        from shop.payments.reconcile import reconcile_with_stripe

        _summary(reconcile_with_stripe(days, progress=click.echo))

    app.cli.add_command(payments)
    app.cli.add_command(stripe)


def _summary(tally: dict[str, int]) -> None:
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(tally.items())) or "nothing to do"
    click.echo(f"Reconciled: {summary}.")
