"""``assessments``: open a PAR-index assessment round over many units, extend a deadline."""
from __future__ import annotations

import datetime as _dt
from types import SimpleNamespace

import click
from flask import current_app
from flask.cli import AppGroup

from ..domain.access import Scope
from ..services import ServiceError, accounts, assessments, clock
from ..services import inspections as service
from .errors import CommandFailed, current_store

assessments_cli = AppGroup("assessments", help="PAR-index assessment rounds (DESIGN §10).")

DATE = click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"])


def _scope(lead: str | None) -> Scope:
    """The province acting: ``lead`` (an inspector or administrator, who leads each
    assessment), or the command line itself as an administrator."""
    store = current_store()
    if lead:
        user = store.get_user(accounts.normalize_username(lead))  # ThanhTra1 is thanhtra1
        if user is None or not user.active or user.role not in ("admin", "inspector"):
            raise CommandFailed(f"--lead {lead}: not an inspector or administrator")
        return service.scope_for(store, user)
    return Scope(user=SimpleNamespace(username="cli", role="admin", unit=None, full_name="",
                                      position=""))


def _today() -> _dt.date:
    return clock.today(current_app.config["TIMEZONE"])


@assessments_cli.command("open")
@click.argument("checklist")
@click.argument("period")
@click.option("--unit", "units", multiple=True, help="A unit to assess (default: every unit).")
@click.option("--self-due", required=True, type=DATE, help="Self-assessment deadline (date).")
@click.option("--explain-due", required=True, type=DATE, help="Explanation deadline (date).")
@click.option("--lead", default=None, help="Inspector who leads the assessments.")
def open_command(checklist: str, period: str, units: tuple[str, ...], self_due, explain_due,
                 lead: str | None) -> None:
    """Open an assessment of CHECKLIST for PERIOD for each unit (dates in Vietnam time);
    past the self-assessment deadline a unit's self-score is locked unless extended."""
    from ..i18n import translate

    try:
        opened = assessments.open_round(
            current_store(), current_app.extensions["checklists"], _scope(lead),
            checklist=checklist, period=period, units=list(units) or None,
            self_due=self_due.date(), explain_due=explain_due.date(), today=_today(),
            by="cli")
    except ServiceError as exc:
        raise CommandFailed(f"assessments open: {translate(exc.message, 'vi')}") from None
    for code, record in opened.records.items():
        click.echo(f"{code}\t{record}")
    click.echo(f"{len(opened.records)} assessments, self-score due {opened.self_due}, "
               f"explanations due {opened.explain_due}")


@assessments_cli.command("extend")
@click.argument("inspection_id")
@click.option("--self-due", type=DATE, default=None, help="New self-assessment deadline.")
@click.option("--explain-due", type=DATE, default=None, help="New explanation deadline.")
@click.option("--lead", default=None, help="Inspector acting (default: as administrator).")
def extend_command(inspection_id: str, self_due, explain_due, lead: str | None) -> None:
    """Extend one unit's deadlines of the assessment INSPECTION_ID (both at once or
    neither): not in the past, explanations not due before the self-score."""
    from ..i18n import translate

    if self_due is None and explain_due is None:
        raise CommandFailed("assessments extend: give --self-due or --explain-due")
    try:
        record = assessments.extend(
            current_store(), _scope(lead), inspection_id,
            self_due=self_due.date() if self_due else None,
            explain_due=explain_due.date() if explain_due else None, today=_today(), by="cli")
    except ServiceError as exc:
        raise CommandFailed(f"assessments extend: {translate(exc.message, 'vi')}") from None
    click.echo(f"{record.unit}\t{record.id}\t{record.deadlines}")


@assessments_cli.command("survey")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--checklist", required=True, help="The checklist of the assessments.")
@click.option("--period", required=True, help="The period of the assessments (e.g. 2025).")
def survey_command(file: str, checklist: str, period: str) -> None:
    """Import the sociological-survey points of FILE.csv (one line per unit) into the
    survey sections of the assessments of CHECKLIST for PERIOD: all or nothing, every bad
    line named (docs/checklists.md §18). Importing again replaces the figures."""
    from pathlib import Path

    from ..i18n import translate
    from ..services import survey

    with Path(file).open("rb") as handle:
        raw = handle.read(survey.MAX_BYTES + 1)
        size = Path(file).stat().st_size
    try:
        done = survey.import_survey(current_store(), _scope(None), checklist=checklist,
                                    period=period, raw=raw, source=Path(file).name, size=size)
    except ServiceError as exc:
        lines = [f"assessments survey: {translate(exc.message, 'vi')}"]
        lines += [f"  {translate(p, 'vi')}" for p in exc.details.get("problems", ())]
        raise CommandFailed("\n".join(lines)) from None
    for code, (record, figures) in sorted(done.figures.items()):
        shown = ", ".join(f"{c}={str(v).replace('.', ',')}" for c, v in figures.items())
        click.echo(f"{code}\t{record}\t{shown}")
    click.echo(f"{len(done.figures)} assessments, {done.count} survey figures imported")
