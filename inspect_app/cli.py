"""Command line: ``flask --app inspect_app <command>`` (DESIGN §3–§5).

Each command is a thin wrapper over the same modules the web app uses.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .checklist_files import checklist_paths, load_files, resolve
from .domain.checklist import ChecklistError
from .domain.models import ROLES
from .domain.scoring import AnswerError, answers_from_document, score
from .services import ServiceError, accounts
from .services import units as unit_service

checklists_cli = AppGroup("checklists", help="Validate and list checklist files.")


def fail(message: str, code: int = 2) -> None:
    """Print ``message`` on stderr and exit with ``code``."""
    click.echo(message, err=True)
    sys.exit(code)


@checklists_cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
def checklists_check(paths: tuple[str, ...]) -> None:
    """Validate checklist files (default: every file of the checklists folder).

    Lists every problem with the file and the path inside it; exits 1 if any
    file is invalid.
    """
    files: list[Path] = []
    for raw in paths or (current_app.config["CHECKLISTS_DIR"],):
        path = Path(raw)
        files.extend(checklist_paths(path) if path.is_dir() else [path])
    if not files:
        fail(f"no checklist files found in {', '.join(paths) or current_app.config['CHECKLISTS_DIR']}", 1)
    report = load_files(files)
    for checklist in report.checklists.values():
        scored = sum(1 for c in checklist.criteria if c.scored)
        click.echo(f"ok  {checklist.id} {checklist.version}: {len(checklist.sections)} sections, "
                   f"{len(checklist.criteria)} criteria ({scored} scored), "
                   f"{checklist.max_points.normalize():f} points, hash {checklist.hash[:12]}")
    for problem in report.problems:
        click.echo(problem, err=True)
    if report.problems:
        fail(f"{len(report.problems)} problem(s) in {report.files - len(report.checklists)} "
             f"of {report.files} file(s)", 1)


@click.command("score")
@click.argument("checklist")
@with_appcontext
@click.argument("answers_json", type=click.Path(dir_okay=False))
def score_command(checklist: str, answers_json: str) -> None:
    """Print the score card of ANSWERS_JSON against CHECKLIST (a file or a checklist id)."""
    try:
        loaded = resolve(checklist, current_app.config["CHECKLISTS_DIR"])
    except ChecklistError as exc:
        fail(str(exc))
    try:
        text = Path(answers_json).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{answers_json}: cannot read answers: {exc}")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{answers_json}: line {exc.lineno}, column {exc.colno}: {exc.msg}")
    try:
        card = score(loaded, answers_from_document(document))
    except AnswerError as exc:
        fail("\n".join(f"{answers_json}: {p}" for p in exc.problems))
    click.echo(json.dumps(card.as_dict(), ensure_ascii=False, indent=2))


units_cli = AppGroup("units", help="Add and import units (communes, wards, departments).")
users_cli = AppGroup("users", help="Create users and API tokens.")


def _store():
    return current_app.extensions["store"]


@units_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--parent", default=None, help="Code of the parent unit.")
def units_add(code: str, name: str, parent: str | None) -> None:
    """Add (or rename) the unit CODE called NAME."""
    try:
        unit = unit_service.add_unit(_store(), code, name, parent)
    except ServiceError as exc:
        fail(f"units add: {exc.message}")
    click.echo(f"unit {unit.code}: {unit.name}")


@units_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def units_import(file: str) -> None:
    """Import units from a CSV file with columns code,name[,parent] (all or nothing)."""
    try:
        text = Path(file).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        fail(f"{file}: cannot read: {exc.strerror}")
    except UnicodeDecodeError as exc:
        fail(f"{file}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8")
    try:
        units = unit_service.import_units(_store(), text)
    except ServiceError as exc:
        fail("\n".join(f"{file}: {line}" for line in exc.message.splitlines()) +
             "\nnothing was imported")
    click.echo(f"imported {len(units)} unit(s) from {file}")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the user may do.")
@click.option("--unit", default=None, help="Unit code (required for the unit role).")
@click.option("--name", "full_name", default="", help="Full name, shown and printed.")
@click.option("--position", default="", help="Position (chức vụ), printed in minutes.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(username: str, role: str, unit: str | None, full_name: str, position: str,
                 password_stdin: bool) -> None:
    """Create USERNAME. Without --password-stdin, asks for the password twice."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(_store(), username, role, unit=unit, password=password,
                                    full_name=full_name, position=position)
    except ServiceError as exc:
        fail(f"users create: {exc.message}")
    click.echo(f"user {user.username} ({user.role}{', unit ' + user.unit if user.unit else ''})")


@users_cli.command("token")
@click.argument("username")
@click.option("--label", default="", help="What the token is for.")
def users_token(username: str, label: str) -> None:
    """Print a new API token for USERNAME (only its hash is stored: keep it now)."""
    try:
        click.echo(accounts.issue_token(_store(), username, label))
    except ServiceError as exc:
        fail(f"users token: {exc.message}")


store_cli = AppGroup("store", help="Look after the data folder.")


@store_cli.command("check")
@click.option("--fix", is_flag=True,
              help="Remove stale temporary files and move orphan photos to DATA_DIR/orphans/.")
def store_check(fix: bool) -> None:
    """Report what killed or failed writers left: stale temporary files (store writes,
    exports), photos no record refers to, unreadable data files. Exits 1 if anything
    is left to fix. Never touches a file that a record refers to or that a running
    process is writing."""
    import time

    from .cli_export import EXPORTS_DIR
    from .storage.check import check_store

    store = _store()
    report = check_store(store, fix=fix, extra=(EXPORTS_DIR,))
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
        sys.exit(1)


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if the store already has users.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load a demo province: communes, users of every role and a few inspections."""
    from .services import demo

    if if_empty and _store().list_users():
        click.echo("the store already has data: demo not loaded")
        return
    logins = demo.load(_store(), current_app.extensions["checklists"])
    click.echo("Demo loaded. Log in at http://127.0.0.1:5000 with (username / password, role):")
    for username, password, role in logins:
        click.echo(f"  {username:<16} {password:<14} {role}")


def _refusals_end_commands(app: Flask) -> None:
    """Wrap each command's callback so that CannotStore prints its message and exits 2."""
    import functools

    from .storage import CannotStore

    def wrap(command: click.Command) -> None:
        for sub in getattr(command, "commands", {}).values():
            wrap(sub)
        callback = command.callback
        if callback is None or getattr(callback, "_refusals_wrapped", False):
            return

        @functools.wraps(callback)
        def wrapped(*args, **kwargs):
            try:
                return callback(*args, **kwargs)
            except CannotStore as exc:
                fail(f"{command.name}: {exc.message} ({exc})")

        wrapped._refusals_wrapped = True  # type: ignore[attr-defined]
        command.callback = wrapped

    for command in app.cli.commands.values():
        wrap(command)


def register(app: Flask) -> None:
    """Attach every command to the app. A write the disk refuses (CannotStore) ends any
    command with its message and exit 2, not a traceback."""
    app.cli.add_command(checklists_cli)
    app.cli.add_command(score_command)
    app.cli.add_command(units_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(store_cli)
    from . import cli_export  # imports this module's fail(): only once it is loaded

    cli_export.register(app)
    _refusals_end_commands(app)
