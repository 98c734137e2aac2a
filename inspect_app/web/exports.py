"""The Excel download (DESIGN §9): a filter form, background export jobs, the workbook.

Administrators and viewers export every unit; an inspector exports the units they
inspect. Commune officers have no export (their own records are on their pages).

The form starts a background job (POST, CSRF): the request returns at once with a
page that shows the job's progress (polling a small JSON status; without JavaScript
the page refreshes itself) and the download link when it is done. Only the job's
owner sees it. ``/exports/workbook.xlsx`` (GET, the same filters) still answers with
the workbook directly, for small exports and scripts.
"""
from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from ..domain.periods import PeriodError, parse_period
from ..domain.text import fold
from ..domain.units import unit_choices, unit_order
from ..exports import workbook as rows
from ..exports import xlsx
from ..i18n import formatting
from ..services import Conflict, ServiceError, export_jobs
from ..services import exports as export_service
from ..storage import storing, temporaries
from ..storage.jobs import JobStore, open_jobs
from ..tasks import queue_of
from . import province
from .auth import roles_required, scope, store
from .common import local_today
from .forms import Form
from .i18n import LANGUAGES, current_locale, translate
from .labels import INSPECTION_KIND_LABELS

log = logging.getLogger(__name__)

bp = Blueprint("exports", __name__, url_prefix="/exports")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Start of the downloaded file's name: ASCII, so every browser and phone keeps it.
FILE_STEM = "ket-qua-kiem-tra"


def _valid_period(form, field) -> None:
    if field.data:
        try:
            field.data = parse_period(field.data).code
        except PeriodError:
            raise ValidationError(_l("Use a period like 2025, 2025-H1, 2025-Q1, 2025-03 or "
                                     "2025-W14.")) from None


class ExportForm(Form):
    """The filters of an export, read from the query string (a GET that changes nothing,
    so it needs no CSRF token and can be bookmarked)."""

    class Meta:
        csrf = False

    period = StringField(_l("Period"), validators=[Optional(), Length(max=40), _valid_period],
                         description=_l("Empty for every period; 2025, 2025-Q1, 2025-W14…"))
    checklist = SelectField(_l("Checklist"), choices=[], default="")
    units = SelectMultipleField(_l("Units"), choices=[],
                                description=_l("None selected: every unit you may see."))
    kind = SelectField(_l("Kind"), choices=[], default="")
    include_drafts = BooleanField(_l("Include records still in progress"))
    all_criteria = BooleanField(
        _l("Every criterion in the findings sheet"),
        description=_l("By default the findings sheet lists only shortcomings, "
                       "not applicable criteria, notes, photos and explanations."))
    lang = SelectField(_l("Language of the workbook"),
                       choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
                       default=current_locale)


class ExportJobForm(ExportForm):
    """The same filters, posted to start a background export (a change: CSRF-checked)."""

    class Meta:
        csrf = True


def _form(form_class: type[ExportForm] = ExportForm) -> ExportForm:
    """The form with the choices this user may pick from, bound to the query string
    (or, for :class:`ExportJobForm`, to the posted form)."""
    current = scope()
    if form_class is ExportJobForm:  # posted; on the page, the filters of a link (again_url)
        form = form_class(formdata=request.form if request.method == "POST"
                          else request.args or None)
    else:
        form = form_class(formdata=request.args if request.args else None)
    library = current_app.extensions["checklists"]
    everything = SelectChoice("", _l("All"))
    form.checklist.choices = [everything] + [SelectChoice(c.id, c.title) for c in library.everything()]
    units = sorted((u for u in store().list_units() if current.can_view_unit(u.code)),
                   key=unit_order)
    form.units.choices = [SelectChoice(*choice) for choice in unit_choices(units)]
    form.kind.choices = [everything] + [SelectChoice(k, label)
                                        for k, label in INSPECTION_KIND_LABELS.items()]
    return form


def photo_link_template(own_address: bool = False) -> str:
    """A photo's absolute address with ``~inspection~`` and ``~photo~`` for its ids: on the
    province's public address, or (``own_address``: an address the caller was given) on
    this request's."""
    values = {"inspection_id": export_jobs.INSPECTION_MARK, "photo_id": export_jobs.PHOTO_MARK}
    if own_address:
        return url_for("inspections.photo", _external=True, **values)
    return province.public_url_for("inspections.photo", **values)


def photo_links(own_address: bool = False) -> Callable[[str, str], str]:
    """A function giving a photo's absolute address, made from one ``url_for`` in the
    current request (so that it also works later, in a background export, and costs a
    string replace per photo rather than a routing call)."""
    return export_jobs.photo_links(photo_link_template(own_address))  # type: ignore[return-value]


def download_name(filters: rows.Filters) -> str:
    """``ket-qua-kiem-tra-2025.xlsx``: the period (or today's date) and the checklist,
    folded to ASCII letters, digits and dashes."""
    parts = [FILE_STEM, filters.period or local_today().isoformat()]
    if filters.checklist:
        parts.append(filters.checklist)
    name = "-".join(fold(p).replace(" ", "-") for p in parts)
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in name) \
        + ".xlsx"


@bp.get("/")
@roles_required("admin", "inspector", "viewer")
def index():
    """The filter form; it starts a background export (:func:`start_job`)."""
    return render_template("exports/index.html", form=_form(ExportJobForm))


def _jobs() -> JobStore:
    return open_jobs(store(), current_app.config["DATA_DIR"])


def _keep_hours() -> float:
    return float(current_app.config["EXPORT_JOB_KEEP_HOURS"])


def _filters_of(form: ExportForm) -> rows.Filters | None:
    """The export filters of a submitted form; ``None`` when the form is refused (its
    errors are on its fields)."""
    if not form.validate():
        return None
    try:
        return export_service.validate_filters(
            store(), current_app.extensions["checklists"], period=form.period.data,
            checklist=form.checklist.data, units=form.units.data or (), kind=form.kind.data,
            include_drafts=form.include_drafts.data)
    except ServiceError:  # the form's choices already rule this out
        return None


@bp.post("/jobs")
@roles_required("admin", "inspector", "viewer")
def start_job():
    """Start a background export of the posted filters; the job's page follows (303)."""
    form = _form(ExportJobForm)
    filters = _filters_of(form)
    if filters is None:
        return render_template("exports/index.html", form=form), 400
    queue = queue_of(current_app)
    template = photo_link_template()
    try:
        job = export_jobs.start(
            _jobs(), store(), scope(), filters, locale=form.lang.data,
            timezone=current_app.config["TIMEZONE"],
            photo_url=export_jobs.photo_links(template), photo_url_template=template,
            all_criteria=form.all_criteria.data, download_name=download_name(filters),
            keep_hours=_keep_hours(), queue=queue.defer_export if queue else None)
    except Conflict as refused:
        return render_template("exports/index.html", form=form,
                               refusal=translate(refused.message),
                               running=refused.details.get("job")), 409
    return redirect(url_for("exports.job", job_id=job["id"]), 303)


def _status(job: dict) -> dict:
    """What the progress page and its JSON status show of a job. ``no_worker``: the job
    has waited in the task queue longer than EXPORT_WORKER_GRACE_SECONDS and no worker
    runs on any server (the page then says so instead of waiting in silence)."""
    error = export_jobs.error_of(job)
    done = job.get("status") == "done"
    gone = done and _jobs().output_file(job["id"]) is None  # removed since it was made
    done = done and not gone
    text = translate(error) if error is not None else None
    if gone:
        text = gettext("This workbook is no longer kept on the server: make the export again.")
    return {"status": job.get("status"), "done": job.get("done") or 0,
            "total": job.get("total"), "percent": export_jobs.percent(job),
            "error": text,
            "download": url_for("exports.job_download", job_id=job["id"]) if done else None,
            "expires": _kept_until(job), "no_worker": _no_worker(job)}


def _no_worker(job: dict) -> bool:
    queue = queue_of(current_app)
    if queue is None or job.get("status") != "queued":
        return False
    waited = time.time() - float(job.get("started_at_epoch") or time.time())
    if waited < float(current_app.config["EXPORT_WORKER_GRACE_SECONDS"]):
        return False
    if queue.workers_alive() is not False:
        return False
    log.warning("export job %s has waited %.0f s and no worker of the task queue runs",
                job["id"], waited)
    return True


def _kept_until(job: dict) -> str | None:
    """"Kept until 03/12/2025 09:30" for a finished job, in the user's language."""
    when = export_jobs.expires_at(job, _keep_hours())
    if when is None or job.get("status") != "done":
        return None
    return gettext("Kept until %(when)s.", when=formatting.datetime(
        when, current_locale(), current_app.config["TIMEZONE"]))


@bp.get("/jobs/<job_id>")
@roles_required("admin", "inspector", "viewer")
def job(job_id: str):
    """A job's progress, its error, or its download link (only for its owner)."""
    found = export_jobs.view(_jobs(), scope(), job_id)
    return render_template("exports/job.html", job=found, status=_status(found),
                           again=again_url(found))


def again_url(job: dict) -> str:
    """The export form with the filters of ``job`` chosen again (after a failure: the
    user starts it again without picking them all anew)."""
    asked = job.get("filters") or {}
    args = {"period": asked.get("period") or None, "checklist": asked.get("checklist") or None,
            "units": list(asked.get("units") or ()) or None, "kind": asked.get("kind") or None,
            "include_drafts": "y" if asked.get("include_drafts") else None,
            "all_criteria": "y" if job.get("all_criteria") else None,
            "lang": job.get("locale") or None}
    return url_for("exports.index", **{k: v for k, v in args.items() if v is not None})


@bp.get("/jobs/<job_id>/status")
@roles_required("admin", "inspector", "viewer")
def job_status(job_id: str):
    """The job's progress as JSON (polled by the progress page)."""
    response = jsonify(_status(export_jobs.view(_jobs(), scope(), job_id)))
    response.cache_control.no_store = True
    return response


@bp.get("/jobs/<job_id>/download")
@roles_required("admin", "inspector", "viewer")
def job_download(job_id: str):
    """The finished workbook of a job (404 before it is done, and for anybody but its owner)."""
    jobs = _jobs()
    found = export_jobs.view(jobs, scope(), job_id)
    path = jobs.output_file(job_id) if found.get("status") == "done" else None
    if path is None:
        return render_template("exports/job.html", job=found, status=_status(found),
                               again=again_url(found)), 404
    response = send_file(path, mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=found.get("download_name") or f"{FILE_STEM}.xlsx",
                         max_age=0)
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.get("/workbook.xlsx")
@roles_required("admin", "inspector", "viewer")
def workbook():
    """The workbook of what the user may see among the records matching the filters."""
    form = _form()
    filters = _filters_of(form)
    if filters is None:
        return render_template("exports/index.html", form=form), 400
    report = export_service.report(
        store(), scope(), filters, locale=form.lang.data,
        timezone=current_app.config["TIMEZONE"], photo_url=photo_links(),
        all_criteria=form.all_criteria.data)
    # A temporary file rather than memory: a province-wide export can be tens of MB.
    # send_file streams it and closes it (and the OS deletes it) when the response ends.
    # It and XlsxWriter's parts live in a private folder of the data folder, which
    # start-up cleans if this process is killed; a full disk answers 503 (CannotStore).
    with temporaries.export_folder(current_app.config["DATA_DIR"]) as folder, \
            storing("the export"):
        output = tempfile.TemporaryFile(dir=folder)
        try:
            xlsx.write(report, output, tmpdir=folder)
        except BaseException:
            output.close()
            raise
    output.seek(0)
    response = send_file(output, mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=download_name(filters), max_age=0)
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response
