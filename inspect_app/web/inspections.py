"""Inspections and self-checks in the browser: list, start, overview."""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from ..domain.periods import period_of
from ..domain.text import sort_key
from ..services import ServiceError, clock
from ..services import inspections as service
from .auth import acting_user, roles_required, scope, store, unit_names
from .common import pager_of
from .labels import INSPECTION_KIND_LABELS

bp = Blueprint("inspections", __name__, url_prefix="/inspections")


class StartForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in INSPECTION_KIND_LABELS.items()])
    unit = SelectField(_l("Unit"), choices=[], validate_choice=False)
    checklist = SelectField(_l("Checklist"), choices=[], validate_choice=False)
    period = StringField(_l("Period"), validators=[DataRequired(), Length(max=10)],
                         description=_l("2025 (year), 2025-Q1 (quarter), 2025-H1, 2025-03 (month) "
                                        "or 2025-W14 (week)"))
    team = SelectMultipleField(_l("Team members"), choices=[], validate_choice=False,
                               option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    number = StringField(_l("Document number (optional)"), validators=[Optional(), Length(max=40)],
                         description=_l("Printed on the minutes, e.g. 12/BB-SNV"))
    place = StringField(_l("Place (optional)"), validators=[Optional(), Length(max=120)])


def _start_form(kind: str) -> StartForm:
    user = acting_user()
    form = StartForm()
    library = current_app.extensions["checklists"]
    units = sorted(store().list_units(), key=lambda u: sort_key(u.name))
    if user.role == "unit":
        units = [u for u in units if u.code == user.unit]
        form.kind.choices = [SelectChoice("self_check", INSPECTION_KIND_LABELS["self_check"])]
        kind = "self_check"
    elif user.role == "inspector":
        form.kind.choices = [SelectChoice("inspection", INSPECTION_KIND_LABELS["inspection"])]
        kind = "inspection"
    form.unit.choices = [SelectChoice(u.code, u.name) for u in units]
    # Checklists made for this kind first (the weekly self-check before the annual index
    # a commune may also self-score), so the default choice fits the default period.
    usable = [c for c in library.all() if c.kind in (kind, "any") or user.role == "admin"]
    usable.sort(key=lambda c: c.kind != kind)
    form.checklist.choices = [SelectChoice(c.id, c.title) for c in usable]
    mates = [u for u in store().list_users() if u.username != user.username and u.active and (
        u.role in ("inspector", "admin") if kind == "inspection"
        else (u.role == "unit" and u.unit == user.unit))]
    form.team.choices = [SelectChoice(u.username, u.display_name)
                         for u in sorted(mates, key=lambda u: sort_key(u.display_name))]
    if request.method == "GET":
        form.kind.data = kind
        default_kind = "week" if kind == "self_check" else "year"
        form.period.data = period_of(default_kind, clock.today(current_app.config["TIMEZONE"]))
        if request.args.get("unit"):
            form.unit.data = request.args["unit"]
    return form


@bp.get("/")
@roles_required()
def index():
    """Every record the user may see, a page at a time: filters by unit, period, kind
    and status, and a search on the unit's name or code, kept across pages."""
    current = scope()
    filters = {k: v for k in ("period", "kind", "status", "checklist")
               if (v := request.args.get(k, "").strip())}
    unit = request.args.get("unit", "").strip()
    if unit:
        filters["unit"] = unit
    query = request.args.get("q", "").strip()[:100]
    if query:
        filters["units"] = [u.code for u in store().page_units(search=query).rows]
    page = service.visible_page(store(), current, service.page_number(request.args.get("page")),
                                **filters)
    choices = store().page_units(codes=service.visible_units(current)).rows
    units = {u.code: u.name for u in choices}
    names = unit_names({r.unit for r in page.rows})
    return render_template("inspections/index.html", records=page.rows, units=units,
                           names=names, filters=filters, query=query, pager=pager_of(page))


@bp.route("/new", methods=["GET", "POST"])
@roles_required("admin", "inspector", "unit")
def new():
    kind = request.values.get("kind", "inspection")
    form = _start_form(kind)
    if form.validate_on_submit():
        try:
            inspection = service.start(
                store(), current_app.extensions["checklists"], scope(), unit=form.unit.data,
                checklist=form.checklist.data, period=form.period.data, kind=form.kind.data,
                team=form.team.data or [], number=form.number.data or "",
                place=form.place.data or "")
        except ServiceError as exc:
            for name, message in (exc.details.get("fields") or {"": exc.message}).items():
                target = getattr(form, name, None)
                if target is not None and hasattr(target, "errors"):
                    target.errors = list(target.errors) + [message]
                else:
                    flash(message, "error")
        else:
            flash(_("Started. Fill it section by section; every answer is saved as you go."),
                  "success")
            return redirect(url_for("inspections.view", inspection_id=inspection.id))
    status = 400 if request.method == "POST" else 200
    return render_template("inspections/new.html", form=form), status


@bp.get("/<inspection_id>")
@roles_required()
def view(inspection_id: str):
    """The overview of one record: score, sections, team, history, next steps."""
    from .fill import join_qr, section_nav

    try:
        inspection = service.load(store(), scope(), inspection_id)
    except ServiceError:
        abort(404)
    current = scope()
    checklist = service.checklist_of(inspection)
    card = service.live_card(inspection)
    users = {u.username: u for u in store().list_users()}
    show_qr = (inspection.kind == "inspection" and inspection.status == "draft"
               and current.can_edit(inspection))
    return render_template(
        "inspections/view.html", inspection=inspection, checklist=checklist, card=card,
        score=service.card_dict(inspection), unit=store().get_unit(inspection.unit),
        nav=section_nav(checklist, card), can_edit=current.can_edit(inspection),
        can_finalize=service.can_finalize(current, inspection),
        can_reopen=inspection.status == "finalized" and current.can_reopen(inspection),
        join_svg=join_qr(inspection) if show_qr else None, users=users,
        counterpart=service.counterpart(store(), current, inspection))


@bp.get("/<inspection_id>/photos/<photo_id>")
@roles_required()
def photo(inspection_id: str, photo_id: str):
    """A photo of a record the user may see (``?variant=thumb`` for the thumbnail)."""
    try:
        inspection = service.load(store(), scope(), inspection_id)
    except ServiceError:
        abort(404)
    variant = "thumb" if request.args.get("variant") == "thumb" else "full"
    path = store().photo_path(photo_id, variant) if photo_id in inspection.photos else None
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)
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
