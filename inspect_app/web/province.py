"""The province settings page (admin only) and the helpers every page uses to read them:
:func:`settings` (the names, once per request) and :func:`public_url_for` (the address
printed in QR codes and links: the configured public address, else this request's)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..domain import province as rules
from ..domain.errors import Conflict, Invalid
from ..domain.text import SHORT_TEXT
from ..services import province as service
from .auth import acting_user, roles_required, store
from .forms import Form
from .i18n import translate

bp = Blueprint("province", __name__, url_prefix="/settings")


def settings() -> rules.ProvinceSettings:
    """The province settings in force, read once per request."""
    if "province_settings" not in g:
        g.province_settings = service.current(store(), current_app.config)
    return g.province_settings


def public_url_for(endpoint: str, **values) -> str:
    """An absolute link for paper and QR codes: the configured public address followed by
    the route's path (without this request's script root), else this request's address."""
    base = settings().public_url
    if not base:
        return url_for(endpoint, _external=True, **values)
    path = url_for(endpoint, **values)
    root = request.script_root if request else ""
    if root and path.startswith(root):
        path = path[len(root):]
    return base + path


def _http_url(form, field) -> None:
    try:
        rules.public_url(field.data)
    except Invalid as exc:
        raise ValidationError(translate(exc.message)) from exc


def _required() -> DataRequired:
    return DataRequired(message=_l("This box must be filled in."))


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=_l("At most %(max)s characters fit in this box",
                                        max=limit))


class ProvinceForm(Form):
    seen = HiddenField()  # service.version of the settings this page showed
    inspecting_body = StringField(_l("Inspecting body"),
                                  validators=[_required(), _at_most(SHORT_TEXT)],
                                  description=_l("Printed as the issuer of the minutes, for "
                                                 "example: Sở Nội vụ"))
    superior_body = StringField(_l("Superior body (line above the inspecting body)"),
                                validators=[Optional(), _at_most(SHORT_TEXT)],
                                description=_l("The first header line of the minutes "
                                               "(Decree 30/2020), for example: UBND TỈNH "
                                               "BẮC KẠN"))
    one_stop_centre = StringField(_l("One-stop centre"),
                                  validators=[Optional(), _at_most(SHORT_TEXT)],
                                  description=_l("For example: Trung tâm Phục vụ hành chính "
                                                 "công"))
    public_url = StringField(_l("Public address"),
                             validators=[Optional(), _at_most(rules.URL_TEXT), _http_url],
                             description=_l("The address printed in QR codes and links, for "
                                            "example https://cchc.backan.gov.vn (empty: the "
                                            "address the page was opened on)"))


def _form_of(now: rules.ProvinceSettings) -> ProvinceForm:
    return ProvinceForm(formdata=None, data={**now.to_dict(), "seen": service.version(now)})


@bp.get("/")
@roles_required("admin")
def edit():
    return render_template("province/edit.html", form=_form_of(settings()))


@bp.post("/")
@roles_required("admin")
def save():
    form = ProvinceForm()
    if form.validate_on_submit():
        try:
            service.save(store(), {name: form[name].data for name in rules.LABELS},
                         by=acting_user().username, config=current_app.config,
                         seen=form.seen.data or None)
        except Conflict as exc:  # another administrator's save: shown, never undone unseen
            g.pop("province_settings", None)
            flash(translate(exc.message), "warning")
            return render_template("province/edit.html", form=_form_of(settings())), 409
        except Invalid as exc:
            form[exc.details.get("field", "inspecting_body")].errors.append(
                translate(exc.message))
        else:
            g.pop("province_settings", None)
            flash(_("Settings saved."), "success")
            return redirect(url_for("province.edit"))
    return render_template("province/edit.html", form=form), 400
