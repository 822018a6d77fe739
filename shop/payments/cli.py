"""`flask --app shop payments reconcile`: the stale-checkout sweep, now, in this process."""
import click
from flask import Flask
from flask.cli import AppGroup


def register_commands(app: Flask) -> None:
    payments = AppGroup("payments", help="Stripe payments.")

    @payments.command("reconcile")
    def reconcile():
        """Ask Stripe about orders still waiting for payment an hour after checkout, and settle them."""
        from shop.payments.reconcile import sweep_stale_checkouts

        tally = sweep_stale_checkouts(progress=click.echo)
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(tally.items())) or "nothing to do"
        click.echo(f"Reconciled: {summary}.")

    app.cli.add_command(payments)
