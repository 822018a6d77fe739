"""`flask --app shop emails outbox [--to EMAIL] [--show ID]`: read the email log / outbox."""
import click
from flask import Flask
from flask.cli import AppGroup

from shop.db import as_utc
from shop.extensions import db


def register_commands(app: Flask) -> None:
    emails = AppGroup("emails", help="The email log (the development outbox without MAIL_SERVER).")

    @emails.command("outbox")
    @click.option("--to", "to", default=None, help="Only emails to this address.")
    @click.option("--show", "show", type=int, default=None, help="Print one email in full.")
    @click.option("--limit", default=50, show_default=True, help="How many to list.")
    def outbox_command(to, show, limit):
        """List the emails, newest first, or print one with --show ID."""
        from shop.emails.models import EmailMessage
        from shop.emails.services import outbox

        if show is not None:
            message = db.session.get(EmailMessage, show)
            if message is None:
                raise click.ClickException(f"No email with id {show}")
            _print_message(message)
            return
        messages = outbox(to=to, limit=limit)
        if not messages:
            click.echo("The outbox is empty.")
        for m in messages:
            when = as_utc(m.sent_at or m.created_at).strftime("%Y-%m-%d %H:%M")
            click.echo(f"{m.id:>6}  {when}  {m.status:<7} {m.kind:<22} {m.to:<32} {m.subject}")

    app.cli.add_command(emails)


def _print_message(message) -> None:
    click.echo(f"Id:       {message.id}")
    click.echo(f"To:       {message.to}")
    click.echo(f"Subject:  {message.subject}")
    click.echo(f"Kind:     {message.kind} ({message.category})")
    click.echo(f"Status:   {message.status} after {message.attempts} attempt(s)")
    click.echo(f"Message-ID: {message.message_id}")
    for name, value in (message.headers or {}).items():
        click.echo(f"{name}: {value}")
    if message.last_error:
        click.echo(f"Last error: {message.last_error}")
    click.echo("")
    click.echo(message.body_text)
