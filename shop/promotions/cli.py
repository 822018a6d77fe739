"""`flask --app shop promotions sync`: create at Stripe the codes that are not there yet.

Checkouts do it on their own before each session; this is for an operator who wants the codes
at Stripe now (after seed-demo, or once Stripe is reachable again).
"""
import click
from flask import Flask
from flask.cli import AppGroup

from shop.cli import command


def register_commands(app: Flask) -> None:
    promotions = AppGroup("promotions", help="Promotion codes.")

    @promotions.command("sync")
    @click.option("--forget-stripe-ids", is_flag=True,
                  help="First forget the Stripe ids of the active codes: for a local Stripe stand-in "
                       "whose state was reset (real Stripe refuses a second active code of one name).")
    @command
    def sync(forget_stripe_ids):
        """Create each active code that Stripe does not have yet (coupon + promotion code)."""
        from shop.promotions.services import forget_stripe_ids as forget, pending_codes, push_to_stripe

        if forget_stripe_ids:
            click.echo(f"Forgot the Stripe ids of {forget()} active code(s).")
        codes = pending_codes()
        problems = 0
        for index, code in enumerate(codes, start=1):
            pushed = push_to_stripe(code)
            problems += pushed.problem is not None
            click.echo(f"[{index}/{len(codes)}] {code.code}: {pushed.problem or 'at Stripe'}")
        click.echo(f"Promotion codes: {len(codes) - problems} created at Stripe, {problems} not.")

    app.cli.add_command(promotions)
