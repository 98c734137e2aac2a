"""User administration (admin only): list, create, reset a password."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import TextInput

from ..domain.models import ROLES
from ..domain.text import SHORT_TEXT
from ..services import ServiceError, accounts
from ..services.inspections import PAGE_SIZE, clamped, page_number
from .auth import roles_required, store, unit_names
from .common import pager_of
from .i18n import translate
from .labels import ROLE_LABELS

bp = Blueprint("users", __name__, url_prefix="/users")


class UnitField(SelectField):
    """The unit of a commune officer: a list, or a typed code when there are too many."""

    def _value(self) -> str:
        return self.data or ""


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=40)])
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=SHORT_TEXT)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=SHORT_TEXT)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])
    unit = UnitField(_l("Unit (commune officers only)"), choices=[], validate_choice=False)
    password = PasswordField(_l("Password (at least 8 characters)"),
                             validators=[DataRequired(), Length(min=8, max=200)])


def refusal_message(error: ServiceError) -> str:
    """The service's refusal in the user's language (its English text if not known here)."""
    messages = {
        "username_format": _("The username must be 2–40 characters: a-z, 0-9, dot, dash or "
                             "underscore, starting with a letter or digit."),
        "username_taken": _("This username is already taken."),
        "role": _("Choose one of the roles."),
        "unit_required": _("Choose the unit of a commune officer."),
        "unit_unknown": _("That unit does not exist."),
        "unit_not_allowed": _("Only commune officers belong to a unit."),
        "password_short": _("The password must have at least %(minimum)s characters.",
                            minimum=error.details.get("minimum", accounts.MIN_PASSWORD)),
    }
    return messages.get(error.details.get("reason"), translate(error.message))


#: Up to this many units the unit of a new user is chosen from a list; beyond, its code
#: is typed (a page must not grow with the number of units).
UNIT_CHOICES_MAX = 300


def _form() -> UserForm:
    form = UserForm()
    units = store().page_units(limit=UNIT_CHOICES_MAX + 1)
    if units.total > UNIT_CHOICES_MAX:
        form.unit.widget = TextInput()
        form.unit.description = _l("The code of the unit, as on the Units page")
        return form
    form.unit.choices = [SelectChoice("", "—")] + [SelectChoice(u.code, f"{u.name} ({u.code})")
                                                   for u in units.rows]
    return form


@bp.get("/")
@roles_required("admin")
def index():
    query = request.args.get("q", "").strip()[:100]
    page = clamped(lambda offset, limit: store().page_users(search=query, offset=offset,
                                                            limit=limit),
                   page_number(request.args.get("page")), PAGE_SIZE)
    units = unit_names({u.unit for u in page.rows if u.unit})
    return render_template("users/index.html", users=page.rows, units=units, query=query,
                           pager=pager_of(page), form=_form())


@bp.post("/")
@roles_required("admin")
def create():
    form = _form()
    if form.validate_on_submit():
        try:
            # the unit list only matters for commune officers: ignore it for other roles
            unit = (form.unit.data or None) if form.role.data == "unit" else None
            user = accounts.create_user(store(), form.username.data, form.role.data,
                                        unit=unit, password=form.password.data,
                                        full_name=form.full_name.data or "",
                                        position=form.position.data or "")
        except ServiceError as exc:
            flash(refusal_message(exc), "error")
        else:
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("users.index"))
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")
    return redirect(url_for("users.index"))
