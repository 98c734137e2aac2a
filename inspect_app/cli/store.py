"""``store check`` and ``demo``: look after the data folder, load the demo province."""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..storage.check import check_store
from . import export
from .errors import CommandFailed, current_store

store_cli = AppGroup("store", help="Look after the data folder.")


@store_cli.command("check")
@click.option("--fix", is_flag=True,
              help="Remove stale temporary files and move orphan photos to DATA_DIR/orphans/.")
def store_check(fix: bool) -> None:
    """Report what killed or failed writers left: stale temporary files (store writes,
    exports), photos no record refers to, unreadable data files. Exits 1 if anything
    is left to fix. Never touches a file that a record refers to or that a running
    process is writing."""
    store = current_store()
    report = check_store(store, fix=fix, extra=(export.EXPORTS_DIR,))
    now = time.time()
    fixed = set(report.removed) | {src for src, _ in report.moved}

    def age(path: Path) -> str:
        try:
            return f"{(now - path.lstat().st_mtime) / 60:.0f} min old"
        except FileNotFoundError:
            return "gone"

    for path in report.stale_temporaries:
        click.echo(f"stale temporary: {path}" + (" (removed)" if path in fixed
                                                 else f" ({age(path)})"))
    for src, dst in report.moved:
        click.echo(f"orphan photo: {src} (moved to {dst})")
    for path in report.orphan_photos:
        if path not in fixed:
            click.echo(f"orphan photo: {path}")
    for path, reason in report.unreadable:
        click.echo(f"unreadable: {path}: {reason}")
    if report.photos_kept_because:
        click.echo(f"orphan photos not moved: {report.photos_kept_because}")
    click.echo(f"{len(report.stale_temporaries)} stale temporar"
               f"{'y' if len(report.stale_temporaries) == 1 else 'ies'}, "
               f"{len(report.orphan_photos)} orphan photo file(s), "
               f"{len(report.unreadable)} unreadable file(s)"
               + (f"; removed {len(report.removed)}, moved {len(report.moved)}" if fix else ""))
    if not report.clean:
        if not fix and (report.stale_temporaries or report.orphan_photos):
            click.echo("run with --fix to clean up", err=True)
        raise CommandFailed(None, 1)


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if the store already has users.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load a demo province: communes, users of every role and a few inspections."""
    from ..services import demo

    if if_empty and current_store().list_users():
        click.echo("the store already has data: demo not loaded")
        return
    logins = demo.load(current_store(), current_app.extensions["checklists"])
    click.echo("Demo loaded. Log in at http://127.0.0.1:5000 with (username / password, role):")
    for username, password, role in logins:
        click.echo(f"  {username:<16} {password:<14} {role}")
