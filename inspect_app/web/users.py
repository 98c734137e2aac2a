"""User administration (admin only): list, create, edit, disable, reset a password,
API tokens; and every user's own account page (password, own API tokens)."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import TextInput

from ..domain.models import ROLES, User
from ..domain.text import PASSWORD_TEXT, SHORT_TEXT
from ..services import Conflict, Missing, ServiceError, Throttled, accounts
from ..services.commands import UserEdit
from ..services.inspections import PAGE_SIZE, clamped, page_number
from .auth import SessionUser, acting_user, roles_required, store, unit_names
from .common import pager_of, safe_next
from .forms import Form
from .i18n import translate
from .labels import ROLE_LABELS

bp = Blueprint("users", __name__, url_prefix="/users")
account_bp = Blueprint("account", __name__, url_prefix="/account")


class UnitField(SelectField):
    """The unit of a commune officer: a list, or a typed code when there are too many."""

    def _value(self) -> str:
        return self.data or ""


class UserForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=40)])
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=SHORT_TEXT)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=SHORT_TEXT)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])
    unit = UnitField(_l("Unit (commune officers only)"), choices=[], validate_choice=False)
    password = PasswordField(_l("Password (at least 8 characters)"),
                             validators=[DataRequired(), Length(min=8, max=PASSWORD_TEXT)])


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
        "password_common": _("This password is too common or too easy to guess. Choose a "
                             "longer one, for example a few words."),
        "password_same": _("The new password must differ from the current one."),
        "current_password": _("The current password is wrong."),
        "self_demote": _("You cannot disable your own account or take away your own "
                         "administrator role."),
        "last_admin": _("%(name)s is the last active administrator: make another user an "
                        "administrator first.", name=error.details.get("username", "")),
        "too_many_tokens": _("A user has at most %(count)s API tokens: revoke one first.",
                             count=error.details.get("count", accounts.MAX_TOKENS)),
    }
    return messages.get(error.details.get("reason"), translate(error.message))


class EditUserForm(Form):
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=SHORT_TEXT)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=SHORT_TEXT)])
    email = StringField(_l("E-mail (for reminders)"), validators=[Optional(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])
    unit = UnitField(_l("Unit (commune officers only)"), choices=[], validate_choice=False)
    active = BooleanField(_l("Active (may log in and use API tokens)"))
    seen = HiddenField()  # accounts.user_version of the user as this page showed it


class ResetPasswordForm(Form):
    """Typed twice, or left empty for a generated one-time password."""

    password = PasswordField(_l("New password (empty: the app makes one)"),
                             validators=[Optional(), Length(max=PASSWORD_TEXT)])
    confirm = PasswordField(_l("The new password again"),
                            validators=[Optional(), Length(max=PASSWORD_TEXT)])


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=PASSWORD_TEXT)])
    password = PasswordField(_l("New password (at least 8 characters)"),
                             validators=[DataRequired(), Length(max=PASSWORD_TEXT)])
    confirm = PasswordField(_l("The new password again"),
                            validators=[DataRequired(), Length(max=PASSWORD_TEXT)])


class TokenForm(Form):
    label = StringField(_l("What the token is for"), validators=[DataRequired(),
                                                                 Length(max=SHORT_TEXT)])


#: Up to this many units the unit of a new user is chosen from a list; beyond, its code
#: is typed (a page must not grow with the number of units).
UNIT_CHOICES_MAX = 300


def _with_units(form):
    units = store().page_units(limit=UNIT_CHOICES_MAX + 1)
    if units.total > UNIT_CHOICES_MAX:
        form.unit.widget = TextInput()
        form.unit.description = _l("The code of the unit, as on the Units page")
        return form
    form.unit.choices = [SelectChoice("", "—")] + [SelectChoice(u.code, f"{u.name} ({u.code})")
                                                   for u in units.rows]
    return form


def _form() -> UserForm:
    return _with_units(UserForm())


def _flash_errors(form: Form) -> None:
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else ""
        for error in errors:
            flash(f"{label}: {error}" if label else error, "error")


def _secret_page(template: str, **context):
    """A page that shows a secret once (a new password or token): never cached."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@roles_required("admin")
def index():
    return _users_page(_form())


def _users_page(form: Form, status: int = 200, refused: bool = False):
    """The users list with the new-user form (``refused``: as typed, open, its errors)."""
    query = request.args.get("q", "").strip()[:100]
    page = clamped(lambda offset, limit: store().page_users(search=query, offset=offset,
                                                            limit=limit),
                   page_number(request.args.get("page")), PAGE_SIZE)
    units = unit_names({u.unit for u in page.rows if u.unit})
    return render_template("users/index.html", users=page.rows, units=units, query=query,
                           pager=pager_of(page), form=form, refused=refused), status


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
                                        position=form.position.data or "",
                                        by=acting_user().username)
        except ServiceError as exc:
            flash(refusal_message(exc), "error")
        else:
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("users.index"))
    _flash_errors(form)  # each refusal names its field
    form.password.data = ""  # what was typed stays, but never a password in a page
    return _users_page(form, 400, refused=True)


# ---------------------------------------------------------------- one user (admins)

def _user_page(user: User, edit_form: EditUserForm | None = None, status: int = 200):
    if edit_form is None:
        edit_form = _with_units(EditUserForm(data={
            "full_name": user.full_name, "position": user.position,
            "email": user.email, "role": user.role,
            "unit": user.unit or "", "active": user.active,
            "seen": accounts.user_version(user)}))
    return render_template(
        "users/edit.html", person=user, form=edit_form, password_form=ResetPasswordForm(),
        token_form=TokenForm(), tokens=accounts.tokens_of(user),
        unit_name=unit_names({user.unit}).get(user.unit or "", "")), status


@bp.get("/<username>/")
@roles_required("admin")
def edit(username: str):
    return _user_page(accounts.get_user(store(), username))


@bp.post("/<username>/")
@roles_required("admin")
def update(username: str):
    user = accounts.get_user(store(), username)
    form = _with_units(EditUserForm())
    if not form.validate_on_submit():
        _flash_errors(form)
        return _user_page(user, form, 400)
    try:
        changed = accounts.edit_user(store(), acting_user(), user.username, UserEdit(
            full_name=form.full_name.data or "", position=form.position.data or "",
            email=form.email.data or "", role=form.role.data,
            unit=(form.unit.data or None) if form.role.data == "unit" else None,
            active=bool(form.active.data), seen=form.seen.data or None))
    except Missing:
        raise
    except Conflict as exc:  # another administrator's change: shown, never undone unseen
        flash(refusal_message(exc), "error")
        return _user_page(accounts.get_user(store(), username), status=409)
    except ServiceError as exc:
        flash(refusal_message(exc), "error")
        return _user_page(user, form, 400)
    flash(_("Changes to %(name)s saved.", name=changed.username), "success")
    if user.active and not changed.active:
        flash(_("%(name)s can no longer log in; their open sessions and API tokens are "
                "refused from their next request.", name=changed.username), "success")
    return redirect(url_for("users.edit", username=changed.username))


@bp.post("/<username>/password")
@roles_required("admin")
def reset_password(username: str):
    user = accounts.get_user(store(), username)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return _user_page(user, status=400)
    typed = form.password.data or ""
    if typed != (form.confirm.data or ""):
        flash(_("The two passwords differ: type the same password twice."), "error")
        return _user_page(user, status=400)
    try:
        password = accounts.reset_password(store(), acting_user(), user.username, typed or None)
    except ServiceError as exc:
        flash(refusal_message(exc), "error")
        return _user_page(user, status=400)
    if user.username == acting_user().username:  # keep the admin's own session
        login_user(SessionUser(accounts.get_user(store(), user.username)))
    return _secret_page("users/password_set.html", person=user,
                        password=None if typed else password)


@bp.post("/<username>/tokens")
@roles_required("admin")
def create_token(username: str):
    user = accounts.get_user(store(), username)
    return _new_token(user, TokenForm(), lambda: _user_page(user, status=400),
                      url_for("users.edit", username=user.username))


@bp.post("/<username>/tokens/<token_id>/revoke")
@roles_required("admin")
def revoke_token(username: str, token_id: str):
    user = accounts.get_user(store(), username)
    revoked = accounts.revoke_token(store(), user.username, token_id,  # Missing: 404
                                    by=acting_user().username)
    flash(_("API token “%(label)s” revoked: it is refused from now on.",
            label=revoked.label or revoked.id), "success")
    return redirect(url_for("users.edit", username=user.username))


def _new_token(user: User, form: TokenForm, refused, back: str):
    if not form.validate_on_submit():
        _flash_errors(form)
        return refused()
    try:
        token = accounts.issue_token(store(), user.username, form.label.data,
                                     by=acting_user().username)
    except ServiceError as exc:
        flash(refusal_message(exc), "error")
        return refused()
    return _secret_page("users/token_created.html", person=user, token=token,
                        label=form.label.data, back=back)


# ---------------------------------------------------------------- one's own account

def _me() -> User:
    user = acting_user()
    if user is None:  # the login gate sends anonymous visitors away before this
        abort(401)
    return accounts.get_user(store(), user.username)


def _account_page(status: int = 200, password_form: ChangePasswordForm | None = None):
    user = _me()
    return render_template("users/account.html", person=user,
                           password_form=password_form or ChangePasswordForm(),
                           token_form=TokenForm(), tokens=accounts.tokens_of(user),
                           unit_name=unit_names({user.unit}).get(user.unit or "", "")), status


@account_bp.get("/", endpoint="index")
@roles_required()
def account_index():
    return _account_page()


@account_bp.post("/password")
@roles_required()
def change_password():
    user = _me()
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return _account_page(400)
    if form.password.data != form.confirm.data:
        flash(_("The two passwords differ: type the same password twice."), "error")
        return _account_page(400)
    config = current_app.config
    try:
        changed = accounts.change_own_password(
            store(), user.username, form.current_password.data, form.password.data,
            max_failures=int(config["LOGIN_MAX_FAILURES"]),
            window_minutes=float(config["LOGIN_WINDOW_MINUTES"]))
    except Throttled:
        flash(_("Too many failed logins for this account. Wait %(minutes)s minutes and try "
                "again.", minutes=config["LOGIN_WINDOW_MINUTES"]), "error")
        return _account_page(429)
    except ServiceError as exc:
        flash(refusal_message(exc), "error")
        return _account_page(400)
    # The session is tied to the password hash: renew this one, every other one has ended.
    login_user(SessionUser(changed))
    flash(_("Password changed. Your other sessions (other phones and browsers) are logged "
            "out."), "success")
    # on to the page opened before a new password was asked for (``next``), else back here
    return redirect(safe_next(request.args.get("next"), url_for("account.index")))


@account_bp.post("/tokens")
@roles_required()
def create_token_mine():
    user = _me()
    return _new_token(user, TokenForm(), lambda: _account_page(400), url_for("account.index"))


@account_bp.post("/tokens/<token_id>/revoke")
@roles_required()
def revoke_token_mine(token_id: str):
    me = _me()
    revoked = accounts.revoke_token(store(), me.username, token_id,  # Missing: 404
                                    by=me.username)
    flash(_("API token “%(label)s” revoked: it is refused from now on.",
            label=revoked.label or revoked.id), "success")
    return redirect(url_for("account.index"))
