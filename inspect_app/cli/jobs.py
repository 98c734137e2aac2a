"""``jobs worker``: a worker of the task queue (the PostgreSQL store; issue 16, point 4).

``flask --app inspect_app jobs worker`` runs, until SIGINT or SIGTERM (finishing the job
it is on), the background work that any server queued in the database: big exports and
queued reminders. Run one or more on any machine that reaches the database, with the
same settings as the app servers (docs/deployment.md). ``--once`` runs what is queued,
then stops. With the embedded store there is no queue (exit 2, saying so).
"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..tasks import queue_of
from .errors import CommandFailed

jobs_cli = AppGroup("jobs", help="Background jobs (the task queue of the PostgreSQL store).")


@jobs_cli.command("worker")
@click.option("--once", is_flag=True, help="Run the queued jobs, then stop.")
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 32),
              help="Jobs run at the same time (each in a thread).")
def jobs_worker(once: bool, concurrency: int) -> None:
    """Run the queued exports and reminders of every server."""
    queue = queue_of(current_app)
    if queue is None:
        raise CommandFailed("jobs worker: the task queue needs the PostgreSQL store "
                            "(INSPECT_DATABASE_URL); with the embedded store exports run in "
                            "the app and reminders with reminders send")
    click.echo("jobs worker: running" + (" the queued jobs" if once else " (Ctrl+C stops)"))
    queue.run_worker(wait=not once, concurrency=concurrency)
    click.echo("jobs worker: stopped")
