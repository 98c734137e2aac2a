"""``checklists check`` and ``score``: validate checklist files, score an answers file."""
from __future__ import annotations

import io
import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..domain.checklist import ChecklistError
from ..domain.checklist_workbook import WorkbookError
from ..domain.scoring import AnswerError, answers_from_document, score
from ..i18n import translate
from ..storage.checklist_files import (
    checklist_paths,
    load_file,
    load_files,
    load_text,
    parse_json,
    resolve,
)
from ..storage.checklist_workbooks import checklist_yaml, read_workbook_file
from ..storage.files import write_atomic
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
    # a file named twice (the folder and the file just edited) is one file, not a duplicate
    files = list({str(f.resolve()): f for f in reversed(files)}.values())[::-1]
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


@checklists_cli.command("export")
@click.argument("checklist")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="The workbook to write (.xlsx).")
def checklists_export(checklist: str, out: str) -> None:
    """Write CHECKLIST (an id of the checklists folder, or a file) as an Excel workbook
    that can be edited and imported again (docs/checklists.md, Workbooks)."""
    from ..exports.checklist_xlsx import write_checklist

    if Path(out).suffix.lower() != ".xlsx":  # never a workbook over a YAML checklist
        raise CommandFailed(f"checklists export: --out must name an .xlsx file, got {out!r}")
    try:
        loaded = resolve(checklist, current_app.config["CHECKLISTS_DIR"])
    except ChecklistError as exc:
        raise CommandFailed("\n".join(f"{exc.source}: {translate(p, 'vi')}"
                                       for p in exc.problems)) from None
    made = io.BytesIO()  # a workbook of one checklist is small: written whole, atomically
    write_checklist(dict(loaded.data), made)
    try:
        write_atomic(Path(out), made.getvalue())
    except OSError as exc:
        raise CommandFailed(f"{out}: {exc.strerror or exc}") from None
    click.echo(f"{loaded.id} {loaded.version} -> {out} (hash {loaded.hash[:12]})")


@checklists_cli.command("import")
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Folder to write ID.yaml into (default: the checklists folder).")
def checklists_import(workbook: str, out_dir: str | None) -> None:
    """Validate an Excel WORKBOOK and write it as a format-1 YAML checklist (ID.yaml).

    Lists every problem with its sheet and cell (Tiêu chí!D12: …) and exits 2 when
    the workbook is invalid; nothing is written then.
    """
    try:
        checklist, data = read_workbook_file(workbook)
    except WorkbookError as exc:
        for problem in exc.problems:
            click.echo(translate(problem, "vi"), err=True)
        raise CommandFailed(f"{workbook}: {len(exc.problems)} lỗi, không ghi tệp nào") from None
    text = checklist_yaml(data)
    if load_text(text, checklist.id).hash != checklist.hash:  # pragma: no cover - a guard
        raise CommandFailed(f"{workbook}: the YAML text would not keep the content hash")
    folder = Path(out_dir or current_app.config["CHECKLISTS_DIR"])
    target = _file_of(folder, checklist.id) or folder / f"{checklist.id}.yaml"
    if target.suffix not in (".yaml", ".yml"):
        raise CommandFailed(f"{target}: holds checklist {checklist.id!r} as JSON; import into "
                            f"another folder (--out) or remove that file first")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text.encode("utf-8"))
    except OSError as exc:
        raise CommandFailed(f"{target}: {exc.strerror or exc}") from None
    click.echo(f"ok  {checklist.id} {checklist.version}: {len(checklist.criteria)} criteria, "
               f"hash {checklist.hash[:12]} -> {target}")


def _file_of(folder: Path, checklist_id: str) -> Path | None:
    """The file of ``folder`` that holds ``checklist_id`` already (whatever its name):
    an import replaces it, never writes a second file of the same id beside it."""
    for path in checklist_paths(folder):
        try:
            if load_file(path).id == checklist_id:
                return path
        except ChecklistError:
            continue
    return None


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
    try:  # the checklist loader's limits of depth and digits: a refusal, never a traceback
        document = parse_json(text, answers_json)
    except ChecklistError as exc:
        raise CommandFailed(str(exc)) from None
    try:
        card = score(loaded, answers_from_document(document))
    except AnswerError as exc:
        raise CommandFailed("\n".join(f"{answers_json}: {p}" for p in exc.problems)) from None
    click.echo(json.dumps(card.as_dict(), ensure_ascii=False, indent=2))
