"""``units``: add, import, merge and rename units (communes, wards, departments).

``units merge OLD… --into NEW --on DATE`` and ``units rename CODE NAME --on DATE`` run the
same services as the units page; a refusal prints its reason in Vietnamese and exits 2
with nothing changed.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..domain.text import NotText, decode_upload
from ..i18n import translate
from ..services import ServiceError
from ..services import units as unit_service
from .errors import CommandFailed, current_store

units_cli = AppGroup("units", help="Add, import, merge and rename units (communes, wards, "
                                   "departments).")


@units_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--parent", default=None, help="Code of the parent unit.")
def units_add(code: str, name: str, parent: str | None) -> None:
    """Add the unit CODE called NAME, or correct its name or parent (a renaming with a
    date is `units rename`)."""
    try:
        unit = unit_service.add_unit(current_store(), code, name, parent)
    except ServiceError as exc:
        raise CommandFailed(f"units add: {exc.message}") from None
    click.echo(f"unit {unit.code}: {unit.name}")


@units_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def units_import(file: str) -> None:
    """Import units from a CSV file with columns code,name[,parent][,address]
    [,merged_into,merged_on] (all or nothing)."""
    try:
        text = decode_upload(Path(file).read_bytes())
    except OSError as exc:
        raise CommandFailed(f"{file}: cannot read: {exc.strerror}") from None
    except NotText as exc:
        raise CommandFailed(f"{file}: not UTF-8 text (byte {exc.byte}); save the CSV as UTF-8") from None
    try:
        units = unit_service.import_units(current_store(), text)
    except ServiceError as exc:
        raise CommandFailed("\n".join(f"{file}: {line}" for line in exc.message.splitlines()) +
             "\nnothing was imported") from None
    click.echo(f"imported {len(units)} unit(s) from {file}")


def _refusal(command: str, exc: ServiceError) -> CommandFailed:
    problems = exc.details.get("errors") or [exc.message]
    return CommandFailed("\n".join(f"units {command}: {translate(p, 'vi')}" for p in problems))


@units_cli.command("merge")
@click.argument("olds", nargs=-1, required=True, metavar="OLD...")
@click.option("--into", required=True, metavar="NEW", help="The unit that carries their history.")
@click.option("--on", "on", required=True, metavar="DD/MM/YYYY",
              help="The day the merge takes effect (DD/MM/YYYY or YYYY-MM-DD).")
@click.option("--dry-run", is_flag=True, help="Only say what would move.")
def units_merge(olds: tuple[str, ...], into: str, on: str, dry_run: bool) -> None:
    """Merge the units OLD… into NEW from a day on: their records, rankings and trends
    follow NEW, their open remediation items move to it (all or nothing)."""
    store = current_store()
    try:
        plan = (unit_service.plan_merge if dry_run else unit_service.merge_units)(
            store, olds, into, on)
    except ServiceError as exc:
        raise _refusal("merge", exc) from None
    for code in plan.olds:
        click.echo(f"{code} → {plan.into} ({plan.on}): {plan.records[code]} record(s), "
                   f"{plan.open_items[code]} open item(s)")
    click.echo(("would merge" if dry_run else "merged") + f" {len(plan.olds)} unit(s) into "
               f"{plan.into} on {plan.on}")


@units_cli.command("rename")
@click.argument("code")
@click.argument("name")
@click.option("--on", "on", required=True, metavar="DD/MM/YYYY",
              help="The first day of the new name (DD/MM/YYYY or YYYY-MM-DD).")
def units_rename(code: str, name: str, on: str) -> None:
    """Call the unit CODE NAME from a day on; records made before keep the old name."""
    try:
        unit = unit_service.rename_unit(current_store(), code, name, on)
    except ServiceError as exc:
        raise _refusal("rename", exc) from None
    former = unit.former_names[-1]
    click.echo(f"unit {unit.code}: {unit.name} (was {former['name']} until {former['until']})")
