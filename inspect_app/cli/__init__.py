"""Command line: ``flask --app inspect_app <command>`` (DESIGN §3–§5), one module per group.

Each command is a thin wrapper over the same services the web app uses; a failure raises
:class:`~inspect_app.cli.errors.CommandFailed` (its message on standard error, exit 2 or 1).
"""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach every command to the app. A write the disk refuses (CannotStore) ends any
    command with its message and exit 2, not a traceback."""
    from . import accounts, assessments, checklists, export, jobs, reminders, store, units
    from .errors import end_refusals

    app.cli.add_command(checklists.checklists_cli)
    app.cli.add_command(checklists.score_command)
    app.cli.add_command(units.units_cli)
    app.cli.add_command(accounts.users_cli)
    app.cli.add_command(store.demo_command)
    app.cli.add_command(assessments.assessments_cli)
    app.cli.add_command(store.store_cli)
    app.cli.add_command(reminders.reminders_cli)
    app.cli.add_command(jobs.jobs_cli)
    export.register(app)
    end_refusals(app)
