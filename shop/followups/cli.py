"""`flask --app shop followups dispatch`: one dispatch pass, now, in this process."""
import click
from flask import Flask
from flask.cli import AppGroup

from shop.cli import command


def register_commands(app: Flask) -> None:
    followups = AppGroup("followups", help="Titration follow-up emails.")

    @followups.command("dispatch")
    @click.option("--batch-size", default=500, show_default=True, help="Rows claimed per transaction.")
    @command
    def dispatch_command(batch_size):
        """Send the follow-ups that are due now (the beat task does this every minute)."""
        from shop.followups.dispatch import dispatch_due_followups

        def progress(result):
            click.echo(f"  {result.handled} handled: {result.sent} sent, "
                       f"{result.skipped} skipped (stale), {result.cancelled} cancelled")

        result = dispatch_due_followups(batch_size=batch_size, progress=progress)
        click.echo(f"Dispatch done: {result.sent} sent, {result.skipped} skipped, "
                   f"{result.cancelled} cancelled.")

    app.cli.add_command(followups)
