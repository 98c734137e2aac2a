"""Units: list with diacritic-folding search, detail, add and CSV import, merge (with a
confirmation of what moves) and rename with an effective date (admin)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from ..domain.text import NotText, decode_upload
from ..domain.units import unit_order
from ..services import ServiceError
from ..services import inspections as inspection_service
from ..services import units as unit_service
from .auth import acting_user, record_unit_names, roles_required, scope, store
from .common import pager_of
from .forms import Form
from .i18n import translate

bp = Blueprint("units", __name__, url_prefix="/units")


class UnitForm(Form):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    parent = StringField(_l("Parent unit code"), validators=[Optional(), Length(max=40)])


class ImportForm(Form):
    file = FileField(_l("CSV file (code,name,parent)"), validators=[FileRequired()])


class RenameForm(Form):
    name = StringField(_l("New name"), validators=[Length(max=400)])
    on = StringField(_l("From (DD/MM/YYYY)"), validators=[Length(max=40)])


class MergeForm(Form):
    """The CSRF token and the date; the units come from ``olds`` (several) and ``into``,
    checked by the service (an unknown code is its message, not a form error)."""

    on = StringField(_l("Merge date (DD/MM/YYYY)"), validators=[Length(max=40)])


def visible_codes() -> set[str] | None:
    """Unit codes the user may see, None for all."""
    current = scope()
    if current.sees_all_units():
        return None
    if current.role == "unit":
        return {current.user.unit}
    return set(current.inspected_units)


@bp.get("/")
@roles_required("admin", "inspector", "viewer")
def index():
    return _index_page(UnitForm())


def _index_page(form: UnitForm, status: int = 200):
    """The list; ``form``: the add form (a refused one shown again, open, as typed)."""
    query = request.args.get("q", "").strip()[:100]
    page = inspection_service.clamped(
        lambda offset, limit: store().page_units(search=query, codes=visible_codes(),
                                                 offset=offset, limit=limit),
        inspection_service.page_number(request.args.get("page")), inspection_service.PAGE_SIZE)
    return render_template("units/index.html", units=page.rows, query=query,
                           pager=pager_of(page), form=form, import_form=ImportForm(),
                           refused=status != 200), status


@bp.get("/<code>")
@roles_required()
def detail(code: str):
    if not scope().can_view_unit(code):
        abort(404)
    return _detail_page(code, RenameForm())


def _detail_page(code: str, rename_form: RenameForm, status: int = 200):
    """A unit's page; ``rename_form``: a refused one is shown again, open, as typed."""
    unit = store().get_unit(code)
    if unit is None:
        abort(404)
    page = inspection_service.visible_page(
        store(), scope(), inspection_service.page_number(request.args.get("page")), unit=code)
    merged_in = sorted((u for u in store().list_units() if u.merged_into == code), key=unit_order)
    # the unit's name on each record's day only where the list mixes names (merged units,
    # a renaming)
    names = (record_unit_names(page.rows) if merged_in or unit.former_names else {})
    successor = store().get_unit(unit.merged_into) if unit.merged_into else None
    return render_template("units/detail.html", unit=unit, records=page.rows,
                           pager=pager_of(page), record_names=names, rename_form=rename_form,
                           merged_in=[u.name for u in merged_in], refused=status != 200,
                           successor_name=successor.name if successor else unit.merged_into
                           ), status


def _merge_page(form: MergeForm, olds: list[str], into: str, problems=(), status: int = 200):
    units = sorted((u for u in store().list_units() if not u.merged_into), key=unit_order)
    return render_template("units/merge.html", form=form, units=units, olds=set(olds),
                           into=into, problems=[translate(p) for p in problems]), status


@bp.route("/merge", methods=["GET", "POST"])
@roles_required("admin")
def merge():
    """Merge units: the form; posted, the confirmation of what moves (records, open
    items); confirmed, the merge. A refusal shows the form again with the reasons (400),
    nothing changed."""
    form = MergeForm()
    olds = [c.strip() for c in request.values.getlist("olds") if c.strip()][:500]
    into = request.values.get("into", "").strip()[:40]
    if request.method == "GET":
        return _merge_page(form, olds, into)
    if not form.validate_on_submit():
        return _merge_page(form, olds, into, [e for es in form.errors.values() for e in es], 400)
    confirmed = request.form.get("confirm") == "1"
    try:
        plan = (unit_service.merge_units(store(), olds, into, form.on.data,
                                         by=acting_user().username) if confirmed
                else unit_service.plan_merge(store(), olds, into, form.on.data))
    except ServiceError as exc:
        return _merge_page(form, olds, into, exc.details.get("errors") or [exc.message], 400)
    names = {u.code: u.name for u in store().list_units()}
    if not confirmed:
        return render_template("units/merge_confirm.html", form=form, plan=plan, names=names)
    flash(_("%(count)s units merged into %(unit)s from %(date)s: %(records)s records follow, "
            "%(items)s open items moved.", count=len(plan.olds), unit=names.get(plan.into),
            date=format_date(plan.on), records=plan.total_records, items=plan.total_open_items),
          "success")
    return redirect(url_for("units.detail", code=plan.into))


@bp.post("/<code>/rename")
@roles_required("admin")
def rename(code: str):
    """Rename a unit from a day on (the old name stays on the records made before). A
    refusal shows the page again with the form as typed (400)."""
    if store().get_unit(code) is None:
        abort(404)
    form = RenameForm()
    if not form.validate_on_submit():
        return _detail_page(code, form, 400)  # the macro shows each error at its field
    try:
        unit = unit_service.rename_unit(store(), code, form.name.data, form.on.data,
                                        by=acting_user().username)
    except ServiceError as exc:
        for problem in exc.details.get("errors") or [exc.message]:
            flash(translate(problem), "error")
        return _detail_page(code, form, 400)
    flash(_("%(code)s is called %(name)s from %(date)s.", code=unit.code, name=unit.name,
            date=format_date(unit.former_names[-1]["until"], next_day=True)), "success")
    return redirect(url_for("units.detail", code=code))


def format_date(iso: str, next_day: bool = False) -> str:
    """DD/MM/YYYY of an ISO date (the day after with ``next_day``)."""
    import datetime as _dt

    day = _dt.date.fromisoformat(iso) + _dt.timedelta(days=1 if next_day else 0)
    return day.strftime("%d/%m/%Y")


@bp.post("/")
@roles_required("admin")
def add():
    """Add a unit; a refusal shows the list again with the form as typed (400)."""
    form = UnitForm()
    if not form.validate_on_submit():
        return _index_page(form, 400)  # the macro shows each error at its field
    try:
        unit = unit_service.add_unit(store(), form.code.data, form.name.data, form.parent.data,
                                     by=acting_user().username, new=True)
    except ServiceError as exc:
        flash(translate(exc.message), "error")
        return _index_page(form, 400)
    flash(_("Unit %(code)s saved.", code=unit.code), "success")
    return redirect(url_for("units.index"))


@bp.post("/import")
@roles_required("admin")
def import_csv():
    form = ImportForm()
    if not form.validate_on_submit():
        flash(_("Choose a CSV file to import."), "error")
        return redirect(url_for("units.index"))
    raw = form.file.data.read()
    try:
        text = decode_upload(raw)
    except NotText:
        flash(_("The file is not UTF-8 text. Save the spreadsheet as “CSV UTF-8” and try again."),
              "error")
        return redirect(url_for("units.index"))
    try:
        units = unit_service.import_units(store(), text, by=acting_user().username)
    except ServiceError as exc:
        return render_template("units/import_errors.html",
                               errors=[translate(e) for e in exc.details.get("errors")
                                       or [exc.message]]), 400
    flash(_("%(count)s units imported.", count=len(units)), "success")
    return redirect(url_for("units.index"))
