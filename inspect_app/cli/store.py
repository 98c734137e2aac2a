"""``store check`` and ``demo``: look after the data folder, load the demo province."""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..services import ServiceError
from ..storage import StoreError
from ..storage.check import check_store
from . import export
from .errors import CommandFailed, current_store

store_cli = AppGroup("store", help="Look after the data folder; copy it into PostgreSQL.")


@store_cli.command("check")
@click.option("--fix", is_flag=True,
              help="Remove stale temporary files and move orphan photos to DATA_DIR/orphans/.")
def store_check(fix: bool) -> None:
    """Report what killed or failed writers left: stale temporary files (store writes,
    exports), photos no record refers to, unreadable data files. Exits 1 if anything
    is left to fix. Never touches a file that a record refers to or that a running
    process is writing."""
    from ..storage.tinydb_store import TinyDBStore

    store = current_store()
    if not isinstance(store, TinyDBStore):
        click.echo("the records are in the database (INSPECT_DATABASE_URL): no data folder "
                   "to check")
        return
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


@store_cli.command("copy")
@click.option("--to", "target_url", required=True, metavar="postgresql://…",
              help="The empty PostgreSQL database to copy into.")
def store_copy(target_url: str) -> None:
    """Copy the embedded store (DATA_DIR) into an empty PostgreSQL database and verify it
    record by record (counts and content hashes). Run it with the app stopped. A copy
    that was interrupted is resumed by running the same command again; a database that
    holds other records is refused. Exits 1 if the verification finds a difference."""
    from ..storage.copy import copy_store
    from ..storage.postgres_store import PostgresStore, redacted
    from ..storage.tinydb_store import TinyDBStore

    source = current_store()
    if not isinstance(source, TinyDBStore):
        raise CommandFailed("store copy: it copies the embedded store of DATA_DIR; run it "
                            "without INSPECT_DATABASE_URL")
    if not target_url.startswith(("postgresql://", "postgres://")):
        raise CommandFailed("store copy: --to must be a postgresql:// URL")
    try:
        target = PostgresStore(target_url, source.data_dir, pool_size=2)
    except StoreError as exc:
        raise CommandFailed(f"store copy: {exc}") from None
    try:
        def progress(kind: str, done: int, total: int) -> None:
            click.echo(f"{kind}: {done}/{total}", err=True)
        try:
            report = copy_store(source, target, progress=progress)
        except StoreError as exc:  # NotEmpty, Unreadable (a file of the folder)
            raise CommandFailed(f"store copy: {exc}") from None
    finally:
        target.close()
    if report.resumed:
        click.echo("resumed an interrupted copy")
    for kind in ("units", "users", "inspections", "photos"):
        click.echo(f"{kind}: {report.source_counts.get(kind, 0)} in the folder, "
                   f"{report.target_counts.get(kind, 0)} in the database "
                   f"({report.copied.get(kind, 0)} copied now, "
                   f"{report.skipped.get(kind, 0)} there already)")
    if report.copied.get("photos removed"):
        click.echo(f"photos removed from the folder since the first run, removed from the "
                   f"database: {report.copied['photos removed']}")
    for what in report.mismatches:
        click.echo(f"differs: {what}", err=True)
    if not report.verified:
        raise CommandFailed("store copy: the copy differs from the folder (see above); "
                            "run it again with the app stopped", 1)
    click.echo(f"verified: every record's content hash matches; now set "
               f"INSPECT_DATABASE_URL={redacted(target_url)}")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if the store already has users.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load a demo province: communes, users of every role and a few inspections."""
    from ..services import demo

    if if_empty and current_store().list_users():
        click.echo("the store already has data: demo not loaded")
        return
    try:
        logins = demo.load(current_store(), current_app.extensions["checklists"])
    except ServiceError as exc:
        raise CommandFailed(f"demo: {exc.message}") from None
    click.echo("Demo loaded. Log in at http://127.0.0.1:5000 with (username / password, role):")
    for username, password, role in logins:
        click.echo(f"  {username:<16} {password:<14} {role}")
