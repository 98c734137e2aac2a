"""Checklist pages: the loaded checklists and their details for everyone; for admins the
upload (workbook or YAML) with every problem at its sheet and cell, the preview of a
draft, publishing it as a new version, the versions with what changed, retiring; the
download of any version as a workbook."""
from __future__ import annotations

import io
from decimal import Decimal

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from ..domain.checklist_changes import changes
from ..services import Conflict, Invalid, Missing
from ..services import checklists as service
from .auth import acting_user, roles_required
from .forms import Form
from .i18n import translate

bp = Blueprint("checklists", __name__, url_prefix="/checklists")


class UploadForm(Form):
    file = FileField(_l("Workbook (.xlsx) or checklist file (.yaml)"), validators=[FileRequired()])


class ActionForm(Form):
    """A button that changes something (CSRF only)."""


def library():
    """The app's checklist library."""
    return current_app.extensions["checklists"]


def index():
    """Home page: until more exists, the list of checklists."""
    return checklist_list()


def _is_admin() -> bool:
    user = acting_user()
    return user is not None and user.role == "admin"


@bp.get("/")
def checklist_list():
    """Every loaded checklist, and the problems of files that failed to load."""
    lib = library()
    admin = _is_admin()
    shown = lib.everything() if admin else lib.all()
    return render_template("checklists/index.html", checklists=shown,
                           retired={c.id for c in shown if lib.retired(c.id)},
                           problems=[translate(problem) for problem in lib.problems],
                           folder=current_app.config["CHECKLISTS_DIR"],
                           upload_form=UploadForm() if admin else None)


def _section_max(checklist):
    return {s.id: sum((c.points for c in s.criteria if c.scored), Decimal(0))
            for s in checklist.sections}


@bp.get("/<checklist_id>")
def detail(checklist_id: str):
    """One checklist with its sections, criteria, rules and points."""
    lib = library()
    checklist = lib.get(checklist_id)
    if checklist is None or (lib.retired(checklist_id) and not _is_admin()):
        abort(404)
    return render_template("checklists/detail.html", checklist=checklist,
                           section_max=_section_max(checklist),
                           retired=lib.retired(checklist_id),
                           action_form=ActionForm() if _is_admin() else None)


@bp.get("/<checklist_id>/workbook")
def workbook(checklist_id: str):
    """The checklist (its current version, or ``?version=N``) as an Excel workbook."""
    from ..exports.checklist_xlsx import write_checklist

    lib = library()
    if lib.get(checklist_id) is None or (lib.retired(checklist_id) and not _is_admin()):
        abort(404)
    wanted = request.args.get("version")
    chosen = lib.get(checklist_id)
    if wanted is not None:
        if not _is_admin():
            abort(404)
        chosen = next((v.checklist for v in lib.versions(checklist_id)
                       if str(v.number) == wanted), None)
        if chosen is None:
            abort(404)
    out = io.BytesIO()
    write_checklist(dict(chosen.data), out)
    out.seek(0)
    name = f"{chosen.id}-{chosen.version}".replace("/", "-") + ".xlsx"
    return send_file(out, as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/upload")
@roles_required("admin")
def upload():
    """Check an uploaded workbook or YAML file: every problem, or its preview."""
    form = UploadForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("checklists.checklist_list"))
    storage = form.file.data
    raw, size = service.read_upload(storage.stream)
    try:
        checklist, text = service.check_upload(storage.filename or "", raw, size)
    except Invalid as exc:
        problems = [translate(p) for p in exc.details.get("problems") or [exc.message]]
        return render_template("checklists/upload_errors.html", problems=problems,
                               filename=storage.filename, upload_form=UploadForm()), 400
    token = service.save_draft(library(), text)
    return redirect(url_for("checklists.draft", token=token))


@bp.get("/drafts/<token>")
@roles_required("admin")
def draft(token: str):
    """The preview of a checked upload, as the checklist page shows it, with what it
    changes against the current version, and the button to publish it."""
    try:
        checklist, _text = service.draft(library(), token)
    except Missing:
        abort(404)
    except Invalid as exc:
        problems = [translate(p) for p in exc.details.get("problems", [])[:5]]
        flash(" ".join([translate(exc.message), *problems]), "error")
        return redirect(url_for("checklists.checklist_list"))
    current = library().get(checklist.id)
    return render_template("checklists/detail.html", checklist=checklist,
                           section_max=_section_max(checklist), draft=token,
                           current=current, changes=changes(current, checklist) if current
                           else None, action_form=ActionForm(), retired=False)


@bp.post("/drafts/<token>/publish")
@roles_required("admin")
def publish(token: str):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = service.publish(library(), token, by=acting_user().username,
                                  against=request.form.get("against"))
    except Missing:
        abort(404)
    except Conflict as exc:  # another administrator published meanwhile: compare again
        flash(translate(exc.message), "warning")
        return redirect(url_for("checklists.draft", token=token))
    except Invalid as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("checklists.draft", token=token))
    flash(_("Published %(id)s as version %(number)s; new inspections use it, records already "
            "started keep theirs.", id=version.checklist.id, number=version.number), "success")
    return redirect(url_for("checklists.detail", checklist_id=version.checklist.id))


@bp.post("/<checklist_id>/retire")
@roles_required("admin")
def retire(checklist_id: str):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    retired = request.form.get("retired", "1") != "0"
    try:
        service.retire(library(), checklist_id, retired, by=acting_user().username)
    except Missing:
        abort(404)
    flash(_("%(id)s is retired: new inspections cannot use it.", id=checklist_id) if retired
          else _("%(id)s can be used again.", id=checklist_id), "success")
    return redirect(url_for("checklists.detail", checklist_id=checklist_id))


@bp.get("/<checklist_id>/versions")
@roles_required("admin")
def versions(checklist_id: str):
    """Every version, and what changed between two (``?a=N&b=M``; default: the last two)."""
    found = library().versions(checklist_id)
    if not found:
        abort(404)
    by_number = {str(v.number): v for v in found}
    b = by_number.get(request.args.get("b", ""), found[-1])
    a = by_number.get(request.args.get("a", ""), found[-2] if len(found) > 1 else found[-1])
    return render_template("checklists/versions.html", checklist=library().get(checklist_id),
                           versions=found, a=a, b=b, changes=changes(a.checklist, b.checklist))
