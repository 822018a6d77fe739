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
    @command
    def sync():
        """Create each active code that Stripe does not have yet (coupon + promotion code)."""
        from shop.promotions.services import pending_codes, push_to_stripe

        codes = pending_codes()
        problems = 0
        for index, code in enumerate(codes, start=1):
            pushed = push_to_stripe(code)
            problems += pushed.problem is not None
            click.echo(f"[{index}/{len(codes)}] {code.code}: {pushed.problem or 'at Stripe'}")
        click.echo(f"Promotion codes: {len(codes) - problems} created at Stripe, {problems} not.")

    app.cli.add_command(promotions)
