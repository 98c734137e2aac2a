"""``checklists check`` and ``score``: validate checklist files, score an answers file."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..domain.checklist import ChecklistError
from ..domain.scoring import AnswerError, answers_from_document, score
from ..storage.checklist_files import checklist_paths, load_files, resolve
from .errors import CommandFailed

checklists_cli = AppGroup("checklists", help="Validate and list checklist files.")


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
        raise CommandFailed(f"no checklist files found in {', '.join(paths) or current_app.config['CHECKLISTS_DIR']}", 1)
    report = load_files(files)
    for checklist in report.checklists.values():
        scored = sum(1 for c in checklist.criteria if c.scored)
        click.echo(f"ok  {checklist.id} {checklist.version}: {len(checklist.sections)} sections, "
                   f"{len(checklist.criteria)} criteria ({scored} scored), "
                   f"{checklist.max_points.normalize():f} points, hash {checklist.hash[:12]}")
    for problem in report.problems:
        click.echo(problem, err=True)
    if report.problems:
        raise CommandFailed(f"{len(report.problems)} problem(s) in {report.files - len(report.checklists)} "
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
        raise CommandFailed(str(exc)) from None
    try:
        text = Path(answers_json).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandFailed(f"{answers_json}: cannot read answers: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandFailed(f"{answers_json}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    try:
        card = score(loaded, answers_from_document(document))
    except AnswerError as exc:
        raise CommandFailed("\n".join(f"{answers_json}: {p}" for p in exc.problems)) from None
    click.echo(json.dumps(card.as_dict(), ensure_ascii=False, indent=2))
