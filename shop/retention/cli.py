"""`flask --app shop retention run [--dry-run]`: one retention run, now, in this process."""
import click
from flask import Flask
from flask.cli import AppGroup

from shop.cli import command


def register_commands(app: Flask) -> None:
    retention = AppGroup("retention", help="Delete or trim what the store no longer keeps hot.")

    @retention.command("run")
    @click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
    @click.option("--batch-size", type=click.IntRange(min=1), default=None,
                  help="Rows per statement (default: RETENTION_BATCH_SIZE).")
    @command
    def run_command(dry_run, batch_size):
        """Apply the retention settings (the beat task does this daily); prints rows per table."""
        from shop.retention.services import apply_retention

        def progress(table):
            click.echo(f"  {table.table}: {table.rows} {table.action} so far")

        report = apply_retention(dry_run=dry_run, batch_size=batch_size, progress=progress)
        for table in report.tables:
            if table.before is None:
                click.echo(f"{table.table}: kept (retention off)")
                continue
            verb = table.dry_action if dry_run else table.action
            click.echo(f"{table.table}: {table.rows} {verb} (older than {table.before:%Y-%m-%d %H:%M} UTC)")
        click.echo("Dry run: nothing changed." if dry_run else "Retention done.")

    app.cli.add_command(retention)
