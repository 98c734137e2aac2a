"""Units: list with diacritic-folding search, detail, add and CSV import (admin)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from ..services import ServiceError
from ..services import inspections as inspection_service
from ..services import units as unit_service
from .auth import acting_user, roles_required, scope, store
from .common import pager_of
from .i18n import translate

bp = Blueprint("units", __name__, url_prefix="/units")


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    parent = StringField(_l("Parent unit code"), validators=[Optional(), Length(max=40)])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file (code,name,parent)"), validators=[FileRequired()])


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
    query = request.args.get("q", "").strip()[:100]
    page = inspection_service.clamped(
        lambda offset, limit: store().page_units(search=query, codes=visible_codes(),
                                                 offset=offset, limit=limit),
        inspection_service.page_number(request.args.get("page")), inspection_service.PAGE_SIZE)
    return render_template("units/index.html", units=page.rows, query=query,
                           pager=pager_of(page), form=UnitForm(), import_form=ImportForm())


@bp.get("/<code>")
@roles_required()
def detail(code: str):
    if not scope().can_view_unit(code):
        abort(404)
    unit = store().get_unit(code)
    if unit is None:
        abort(404)
    page = inspection_service.visible_page(
        store(), scope(), inspection_service.page_number(request.args.get("page")), unit=code)
    return render_template("units/detail.html", unit=unit, records=page.rows,
                           pager=pager_of(page))


@bp.post("/")
@roles_required("admin")
def add():
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = unit_service.add_unit(store(), form.code.data, form.name.data, form.parent.data,
                                         by=acting_user().username)
        except ServiceError as exc:
            flash(translate(exc.message), "error")
        else:
            flash(_("Unit %(code)s saved.", code=unit.code), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
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
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
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
