"""``flask --app inspect_app export``: the Excel workbook of DESIGN §9 from the command line.

Runs with an administrator's view of the data (the command line has the whole data
folder anyway). Bad filters exit 2 with the reason, like the other commands.
"""
from __future__ import annotations

import os
import sys
import tempfile
from contextlib import suppress
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ..domain.access import Scope
from ..domain.models import INSPECTION_KINDS, User
from ..exports import workbook, xlsx
from ..i18n import LANGUAGES
from ..services import ServiceError
from ..services import exports as export_service
from ..settings import PROJECT_DIR
from ..storage import CannotStore, temporaries
from ..web.exports import photo_links
from .errors import CommandFailed

#: Where ``--out NAME.xlsx`` (a bare file name) is written.
EXPORTS_DIR = PROJECT_DIR / "exports"
#: The acting user of command-line exports: an administrator that is not stored anywhere.
CLI_ACTOR = User(username="flask-cli", role="admin", full_name="Command line")


def output_path(out: str) -> Path:
    """Where to write: a bare file name goes to the project's ``exports/`` folder,
    anything with a folder in it (``./x.xlsx``, ``/tmp/x.xlsx``) where it says."""
    if os.sep in out or (os.altsep and os.altsep in out):
        return Path(out).expanduser().resolve()
    return EXPORTS_DIR / out


@click.command("export")
@click.option("--out", required=True,
              help="The .xlsx file to write; a bare file name goes to the exports/ folder.")
@click.option("--period", default=None, help="Only this period (2025, 2025-Q1, 2025-W14…).")
@click.option("--checklist", default=None, help="Only this checklist id.")
@click.option("--unit", "units", multiple=True, help="Only this unit code (repeatable).")
@click.option("--kind", type=click.Choice(INSPECTION_KINDS), default=None,
              help="Only inspections or only self-checks.")
@click.option("--include-drafts", is_flag=True, help="Also records not yet finalized.")
@click.option("--lang", type=click.Choice(sorted(LANGUAGES)), default=None,
              help="Language of sheet names and headers (default: DEFAULT_LOCALE).")
@click.option("--base-url", default=None,
              help="Address of the web app, for the photo links (default: the province's "
                   "public address of the settings page, else http://127.0.0.1:5000).")
@click.option("--all-criteria", is_flag=True,
              help="Findings sheet: one row per criterion of every record (default: only "
                   "shortcomings, not applicable, notes, photos and explanations).")
@with_appcontext
def export_command(out: str, period: str | None, checklist: str | None, units: tuple[str, ...],
                   kind: str | None, include_drafts: bool, lang: str | None,
                   base_url: str | None, all_criteria: bool) -> None:
    """Write the Excel workbook (summary and ranking, scores by criterion, findings,
    remediation plan) of the finalized records matching the filters. On a terminal,
    shows how many records are written (on stderr)."""
    if not out.lower().endswith(".xlsx"):
        raise CommandFailed(f"export: --out must name an .xlsx file, got {out!r}")
    given = base_url is not None  # an address given wins over the configured one
    base_url = base_url or "http://127.0.0.1:5000"
    if not base_url.startswith(("http://", "https://")):
        raise CommandFailed(f"export: --base-url must start with http:// or https://, got {base_url!r}")
    store = current_app.extensions["store"]
    try:
        filters = export_service.validate_filters(
            store, current_app.extensions["checklists"], period=period, checklist=checklist,
            units=units, kind=kind, include_drafts=include_drafts)
    except ServiceError as exc:
        raise CommandFailed(f"export: {exc.message}") from None
    path = output_path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandFailed(f"export: cannot create {path.parent}: {exc.strerror}") from None
    # url_for needs a request to build absolute links; this one only carries the address.
    with current_app.test_request_context(base_url=base_url.rstrip("/")):
        photo_url = photo_links(own_address=given)
    with _Progress() as progress:
        report = export_service.report(
            store, Scope(user=CLI_ACTOR), filters,
            locale=lang or current_app.config["DEFAULT_LOCALE"],
            timezone=current_app.config["TIMEZONE"], photo_url=photo_url,
            all_criteria=all_criteria, progress=progress)
        counts = _write_atomically(report, path)
    click.echo(f"wrote {path}")
    for title, rows in counts.items():
        click.echo(f"  {title}: {rows} row{'' if rows == 1 else 's'}")


class _Progress:
    """``done / total records`` on stderr, rewritten in place, only when stderr is a
    terminal (a script or a log gets the final lines alone); at most ~10 updates a second."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.shown = False
        self.last = 0.0

    def __enter__(self):
        return self if _isatty(self.stream) else None

    def __call__(self, done: int, total: int) -> None:
        import time

        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = width * done // total if total else width
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} records")
        self.stream.flush()
        self.shown = True

    def __exit__(self, *_exc) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _write_atomically(report: workbook.Report, path: Path) -> dict[str, int]:
    """Write beside ``path`` and rename, so that a failed export never leaves half a file.
    The temporary file is held (``flock``) while it is written, and XlsxWriter's parts go
    to an export folder of the data folder, so that ``store check --fix`` and start-up
    remove what a killed export leaves, and never a running one's files."""
    tmp = fd = None
    try:
        with temporaries.export_folder(current_app.config["DATA_DIR"]) as folder:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                       suffix=temporaries.TMP_SUFFIX)
            temporaries.hold_temporary(fd)
            counts = xlsx.write(report, tmp, tmpdir=folder)
            os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
        if isinstance(exc, CannotStore):
            raise CommandFailed(f"export: cannot write: {exc}") from None
        if isinstance(exc, OSError):
            raise CommandFailed(f"export: cannot write {path}: {exc.strerror or exc}") from None
        raise
    finally:
        if fd is not None:
            os.close(fd)
    return counts


def register(app: Flask) -> None:
    """Attach the ``export`` command to the app."""
    app.cli.add_command(export_command)
