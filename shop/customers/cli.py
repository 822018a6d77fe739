"""`flask --app shop customers export EMAIL` and `... customers erase EMAIL` (data requests)."""
import json

import click
from flask import Flask
from flask.cli import AppGroup

from shop.cli import command


def register_commands(app: Flask) -> None:
    customers = AppGroup("customers", help="Customer data requests: export or erase what is held about an email.")

    @customers.command("export")
    @click.argument("email")
    @click.option("--output", "-o", type=click.File("w"), default="-", help="File to write (default: stdout).")
    @command
    def export_command(email, output):
        """Print (or write) JSON of everything held about EMAIL."""
        from shop.customers.services import export_customer_data

        data = export_customer_data(email)
        json.dump(data, output, indent=2, ensure_ascii=False)
        output.write("\n")

    @customers.command("erase")
    @click.argument("email")
    @click.option("--remove-review-bodies", is_flag=True, help="Also remove the text of their reviews and questions.")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @command
    def erase_command(email, remove_review_bodies, yes):
        """Anonymise everything held about EMAIL, keeping the accounting rows."""
        from shop.customers.services import erase_customer_data

        if not yes:
            click.confirm(f"Erase the personal data of {email}? This cannot be undone", abort=True)
        report = erase_customer_data(email, remove_review_bodies=remove_review_bodies, actor="cli")
        click.echo(f"Erased the personal data of {report.email}:")
        for line in report.lines():
            click.echo(f"  - {line}")

    app.cli.add_command(customers)

