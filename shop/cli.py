"""Commands of `flask --app shop ...`: seed-demo, staff create (and each domain's own groups)."""
import click
from flask import Flask
from flask.cli import AppGroup

from shop.extensions import db


def register_commands(app: Flask) -> None:
    from shop.catalog.demo import seed_demo_catalogue

    @app.cli.command("seed-demo")
    def seed_demo():
        """Load the demo catalogue (idempotent: a second run adds nothing)."""
        added = seed_demo_catalogue(progress=lambda msg: click.echo(msg))
        db.session.commit()
        click.echo(f"Demo catalogue ready ({added} product{'s' if added != 1 else ''} added).")

    staff = AppGroup("staff", help="Staff accounts.")

    @staff.command("create")
    @click.argument("email")
    @click.option("--role", type=click.Choice(["admin", "support", "fulfilment"]), required=True)
    @click.option("--password", default=None, help="Password for the admin panel (optional).")
    @click.option("--name", default="", help="Display name.")
    def create_staff_command(email, role, password, name):
        """Create a staff member; the last line printed is its API token."""
        from shop.accounts.services import create_staff, issue_token
        from shop.errors import ShopError

        try:
            member = create_staff(email, role, password=password, name=name)
            token = issue_token(member, name="cli")
        except ShopError as exc:
            details = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())
            raise click.ClickException(f"{exc.message}{' (' + details + ')' if details else ''}") from exc
        db.session.commit()
        click.echo(f"Created {member.role} {member.email} (id {member.id}).")
        click.echo(f"token: {token}")

    app.cli.add_command(staff)

    for register in _domain_commands():
        register(app)


def _domain_commands():
    """Each domain that has commands exposes `register_commands(app)` in its `cli` module."""
    import importlib

    for module_name in ("shop.followups.cli", "shop.emails.cli", "shop.payments.cli", "shop.customers.cli"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        yield module.register_commands
