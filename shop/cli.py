"""Commands of `flask --app shop ...`: seed-demo, staff create (and each domain's own groups).

Every command that changes something runs as one unit of work (`command`): committed when it
returns, rolled back when it fails, and a refusal by a service (`ShopError`) printed as the
command's error instead of a traceback.
"""
import functools
from collections.abc import Callable

import click
from flask import Flask
from flask.cli import AppGroup

from shop.accounts.models import ROLES
from shop.errors import ShopError
from shop.unit_of_work import transaction

# Each domain with commands exposes `register_commands(app)` in its `cli` module.
DOMAIN_COMMANDS = ("shop.followups.cli", "shop.emails.cli", "shop.payments.cli", "shop.customers.cli",
                   "shop.promotions.cli", "shop.retention.cli")


def command(work: Callable) -> Callable:
    """Run a command's body as one unit of work, with a service's refusal as a clean error."""

    @functools.wraps(work)
    def run(*args, **kwargs):
        try:
            with transaction():
                return work(*args, **kwargs)
        except ShopError as exc:
            details = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())
            raise click.ClickException(f"{exc.message}{' (' + details + ')' if details else ''}") from exc

    return run


def register_commands(app: Flask) -> None:
    import importlib

    from shop.catalog.demo import seed_demo_catalogue
    from shop.demo import seed_demo_checkout

    @app.cli.command("seed-demo")
    @command
    def seed_demo():
        """Load the demo catalogue (idempotent: a second run adds nothing)."""
        added = seed_demo_catalogue(progress=lambda msg: click.echo(msg))
        click.echo(f"Demo catalogue ready ({added} product{'s' if added != 1 else ''} added).")
        extras = seed_demo_checkout(progress=lambda msg: click.echo(msg))
        click.echo(f"Demo shipping rates and promotion codes ready ({extras} added).")

    staff = AppGroup("staff", help="Staff accounts.")

    @staff.command("create")
    @click.argument("email")
    @click.option("--role", type=click.Choice(ROLES), required=True)
    @click.option("--password", default=None, help="Password for the admin panel (optional).")
    @click.option("--name", default="", help="Display name.")
    @command
    def create_staff_command(email, role, password, name):
        """Create a staff member; the last line printed is its API token."""
        from shop.accounts.services import create_staff, issue_token

        member = create_staff(email, role, password=password, name=name)
        token = issue_token(member, name="cli")
        click.echo(f"Created {member.role} {member.email} (id {member.id}).")
        click.echo(f"token: {token}")

    app.cli.add_command(staff)

    for module_name in DOMAIN_COMMANDS:
        importlib.import_module(module_name).register_commands(app)
