"""Inspections and self-checks in the browser: list, start, overview."""
from __future__ import annotations

import io
from typing import Any

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
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..domain import inspection as rules
from ..domain.periods import PeriodError, parse_period
from ..domain.text import SHORT_TEXT
from ..domain.units import unit_choices
from ..services import ServiceError, commands, photos
from ..services import inspections as service
from ..services.units import typed_code
from .auth import record_unit_names, roles_required, scope, store
from .common import local_today, pager_of
from .forms import Form
from .i18n import translate
from .labels import INSPECTION_KIND_LABELS

bp = Blueprint("inspections", __name__, url_prefix="/inspections")


class StartForm(Form):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in INSPECTION_KIND_LABELS.items()])
    unit = SelectField(_l("Unit"), choices=[], validate_choice=False)
    checklist = SelectField(_l("Checklist"), choices=[], validate_choice=False)
    # Left empty, the period is the current one of the chosen checklist's cadence.
    period = StringField(_l("Period"), validators=[Optional(), Length(max=40)],
                         description=_l("2025 (year), 2025-Q1 (quarter), 2025-H1, 2025-03 (month) "
                                        "or 2025-W14 (week)"))
    team = SelectMultipleField(_l("Team members"), choices=[], validate_choice=False,
                               option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    number = StringField(_l("Document number (optional)"), validators=[Optional(), Length(max=SHORT_TEXT)],
                         description=_l("Printed on the minutes, e.g. 12/BB-SNV"))
    place = StringField(_l("Place (optional)"), validators=[Optional(), Length(max=SHORT_TEXT)])


def _start_form(kind: str) -> StartForm:
    """The start form with the choices the service offers this user (see
    :func:`~inspect_app.services.inspections.start_options`)."""
    options = service.start_options(store(), current_app.extensions["checklists"], scope(), kind,
                                    local_today())
    form = StartForm()
    form.kind.choices = [SelectChoice(k, INSPECTION_KIND_LABELS[k]) for k in options.kinds]
    form.unit.choices = [SelectChoice(*choice) for choice in unit_choices(options.units)]
    form.checklist.choices = [SelectChoice(c.id, c.title) for c in options.checklists]
    # Per checklist: the current period of its cadence and how to write one (start.js
    # swaps them in when the checklist changes; without JavaScript the server does).
    form.periods = {cid: {"default": choice.default,
                          "hint": str(PERIOD_HINTS.get(choice.cadence, form.period.description)),
                          "fixed": choice.cadence is not None}
                    for cid, choice in options.periods.items()}
    form.team.choices = [SelectChoice(u.username, u.display_name) for u in options.mates]
    if request.method == "GET":
        form.kind.data = options.kind
        if request.args.get("unit"):
            form.unit.data = request.args["unit"]
        if request.args.get("checklist") in form.periods:
            form.checklist.data = request.args["checklist"]
        chosen = form.checklist.data or (options.checklists[0].id if options.checklists else None)
        form.period.data = form.periods[chosen]["default"] if chosen else ""
    elif not (form.period.data or "").strip() and form.checklist.data in form.periods:
        form.period.data = form.periods[form.checklist.data]["default"]
    return form


PERIOD_HINTS = {
    "week": _l("A weekly checklist: the ISO week, like 2025-W14"),
    "month": _l("A monthly checklist: the month, like 2025-03"),
    "quarter": _l("A quarterly checklist: the quarter, like 2025-Q1"),
    "half": _l("A half-yearly checklist: the half year, like 2025-H1"),
    "year": _l("A yearly checklist: the year, like 2025"),
}


@bp.get("/")
@roles_required()
def index():
    """Every record the user may see, a page at a time: filters by unit, period, kind
    and status, and a search on the unit's name or code, kept across pages."""
    current = scope()
    filters = {k: v for k in ("period", "kind", "status", "checklist")
               if (v := request.args.get(k, "").strip())}
    if "period" in filters:  # "Tuần 1 năm 2027" as the pages write it is 2027-W01
        try:
            filters["period"] = parse_period(filters["period"][:40]).code
        except PeriodError:
            pass  # kept as typed: it finds nothing, and the box shows what was asked
    unit = typed_code(store(), request.args.get("unit", ""))  # ?unit=tn is TN
    if unit:
        filters["unit"] = unit
    query = request.args.get("q", "").strip()[:100]
    if query:
        filters["units"] = [u.code for u in store().page_units(search=query).rows]
    page = service.visible_page(store(), current, service.page_number(request.args.get("page")),
                                **filters)
    # in the store's order (domain.units.unit_order), the code only where names repeat
    units = unit_choices(store().page_units(codes=service.visible_units(current)).rows)
    names = record_unit_names(page.rows)
    return render_template("inspections/index.html", records=page.rows, units=units,
                           names=names, filters=filters, query=query, pager=pager_of(page),
                           filtered=bool(filters or query))


@bp.route("/new", methods=["GET", "POST"])
@roles_required("admin", "inspector", "unit")
def new():
    kind = request.values.get("kind", "inspection")
    form = _start_form(kind)
    existing = None
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            inspection = service.start(
                store(), current_app.extensions["checklists"], scope(), commands.StartRequest(
                    unit=form.unit.data, checklist=form.checklist.data, period=form.period.data,
                    kind=form.kind.data, team=tuple(form.team.data or ()),
                    number=form.number.data or "", place=form.place.data or "",
                    another=request.form.get("another") == "y"),
                today=local_today())
        except ServiceError as exc:
            if exc.details.get("existing"):
                # Offer the open draft instead (and, for an inspection, another one).
                existing = _existing_draft(exc.details["existing"], exc.message,
                                           exc.details.get("another_allowed", False))
                status = 409
            else:
                _field_errors(form, exc)
        else:
            flash(_("Started. Fill it section by section; every answer is saved as you go."),
                  "success")
            return redirect(url_for("inspections.view", inspection_id=inspection.id))
    return render_template("inspections/new.html", form=form, existing=existing), status


def _field_errors(form: StartForm, exc: ServiceError) -> None:
    """A refusal of the service shown at the fields it names (else as a flash). A period
    of the wrong cadence is replaced by the current one of the chosen checklist, so that
    starting again without JavaScript is right; the message says what was wrong."""
    for name, message in (exc.details.get("fields") or {"": exc.message}).items():
        # the team's choices are not always drawn (a self-check has none): said above the form
        target = getattr(form, name, None) if name != "team" else None
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + [translate(message)]
        else:
            flash(translate(message), "error")
    if ("period" in (exc.details.get("fields") or {}) and form.checklist.data in form.periods
            and _is_a_period(form.period.data)):  # of the wrong cadence; a typo stays as typed
        form.period.raw_data = None
        form.period.data = form.periods[form.checklist.data]["default"]


def _is_a_period(text: Any) -> bool:
    try:
        parse_period(str(text or ""))
    except PeriodError:
        return False
    return True


def _existing_draft(inspection_id: str, message: str, another_allowed: bool) -> dict:
    """What the start page says about the open draft that starting again would double."""
    record = service.load(store(), scope(), inspection_id)
    progress = service.live_card(record).progress()
    users = {u.username: u for u in store().list_users()}
    creator = users.get(record.created_by)
    return {"record": record, "message": translate(message), "another": another_allowed,
            "answered": progress.answered, "total": progress.total,
            "by": creator.display_name if creator else record.created_by}


@bp.get("/<inspection_id>")
@roles_required()
def view(inspection_id: str):
    """The overview of one record: score, sections, team, history, next steps."""
    from . import assessments as assessment_views
    from .fill import join_url, section_nav, shows_join_qr

    try:
        inspection = service.load(store(), scope(), inspection_id)
    except ServiceError:
        abort(404)
    current = scope()
    checklist = service.checklist_of(inspection)
    card = service.live_card(inspection)
    users = {u.username: u for u in store().list_users()}
    show_qr = shows_join_qr(inspection)
    return render_template(
        "inspections/view.html", inspection=inspection, checklist=checklist, card=card,
        score=service.card_dict(inspection), unit=store().get_unit(inspection.unit),
        nav=section_nav(checklist, card), can_edit=current.can_edit(inspection),
        can_finalize=service.finalize_offered(current, inspection),
        can_reopen=rules.reopenable(inspection) and current.can_reopen(inspection),
        show_qr=show_qr, join_link=join_url(inspection) if show_qr else None, users=users,
        counterpart=service.counterpart(store(), current, inspection),
        answers_open=rules.answers_open(inspection),
        assessment=(assessment_views.view_context(inspection)
                    if inspection.kind == "assessment" else None))


@bp.get("/<inspection_id>/photos/<photo_id>")
@roles_required()
def photo(inspection_id: str, photo_id: str):
    """A photo of a record the user may see (``?variant=thumb`` for the thumbnail)."""
    current = scope()
    inspection = store().get_inspection(inspection_id) if inspection_id.isalnum() else None
    ref = inspection.photos.get(photo_id) if inspection is not None else None
    # a remediation item's evidence: seen with its item (the unit's plan while reopened)
    if ref is None or not (current.can_view(inspection)
                           or (ref.item and current.can_view_items(inspection))):
        abort(404)
    variant = "thumb" if request.args.get("variant") == "thumb" else "full"
    path = store().photo_path(photo_id, variant)
    if path is None:
        abort(404)
    try:
        data = photos.without_metadata(path.read_bytes())  # also for photos stored long ago
        modified = path.stat().st_mtime
    except OSError:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="image/jpeg", max_age=3600, conditional=True,
                         etag=f"{photo_id}-{variant}-{len(data)}", last_modified=modified)
    response.cache_control.private = True
    response.cache_control.public = False
    return response


@bp.get("/<inspection_id>/compare")
@roles_required()
def compare(inspection_id: str):
    """Self-check beside inspection, criterion by criterion, overrated lines flagged."""
    try:
        inspection, self_check, gaps = service.comparison(store(), scope(), inspection_id)
    except ServiceError:
        abort(404)
    return render_template("inspections/compare.html", inspection=inspection,
                           self_check=self_check, gaps=gaps,
                           unit=store().get_unit(inspection.unit),
                           overrated=[g for g in gaps if g.overrated])
