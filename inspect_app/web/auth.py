"""Logging in and out (Flask-Login), role checks and the acting user's scope."""
from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..domain.access import Scope
from ..domain.models import User
from ..domain.text import PASSWORD_TEXT
from ..services import Forbidden, Throttled, accounts
from ..services.inspections import scope_for
from .common import csrf, safe_next
from .forms import Form, stripped

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
#: No view asks for a "fresh" login, and Flask-Login's "basic" protection marked every
#: anonymous session non-fresh on its first read: a write, so the reply to a request sent
#: just before logging in (the service worker's, a static page's) carried the old cookie
#: and logged the user out again. A request that does not change the session never sends
#: it back (see also SESSION_REFRESH_EACH_REQUEST in settings).
login_manager.session_protection = None

#: Pages anyone may open without logging in. Every other page needs a logged-in user
#: (default deny: a new page is protected even if its view forgets ``roles_required``);
#: the JSON API checks its own Bearer token or session and answers 401.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.logout", "set_language", "static", "favicon",
                              "pwa.manifest", "pwa.service_worker", "pwa.offline",
                              "pwa.session"})

#: The only pages open to a user who must change the password an administrator set.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"account.index", "account.change_password"})


class SessionUser(UserMixin):
    """Flask-Login's view of a stored :class:`User`."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return session_id(self.user)

    @property
    def is_active(self) -> bool:
        return self.user.active

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)


def store():
    """The app's store."""
    return current_app.extensions["store"]


def unit_names(codes) -> dict[str, str]:
    """The names of these units (those a page shows, never every unit)."""
    return {code: unit.name for code in codes if (unit := store().get_unit(code))}


def record_unit_names(records) -> dict[str, str]:
    """The name of each record's unit on the record's day, by record id: a record of a
    unit merged since keeps its old unit's name, one made before a renaming the old name."""
    from ..domain.units import record_unit_name

    tz = current_app.config["TIMEZONE"]
    units = {code: unit for code in {r.unit for r in records}
             if (unit := store().get_unit(code))}
    return {r.id: record_unit_name(units, r, tz) for r in records if r.unit in units}


def session_id(user: User) -> str:
    """The id a session keeps of its user, tied to the password hash (changing the
    password ends old sessions) and to the disabling count (disabling ends them for good)."""
    base = f"{user.username}:{user.password_hash[-12:]}"
    return f"{base}:{user.session_epoch}" if user.session_epoch else base


#: When the session's login happened (epoch seconds): a login lasts
#: PERMANENT_SESSION_LIFETIME from then, however often the session is written since (the
#: signed cookie's own time is that of its last write).
LOGIN_AT = "login_at"


@login_manager.user_loader
def _load_user(stored_id: str) -> SessionUser | None:
    username = stored_id.partition(":")[0]
    user = store().get_user(username)
    if user is None or not user.active or session_id(user) != stored_id:
        return None
    at, now = session.get(LOGIN_AT), time.time()
    if not isinstance(at, int | float):
        session[LOGIN_AT] = int(now)  # a session from before logins were dated
    elif now - at > current_app.permanent_session_lifetime.total_seconds():
        return None
    return SessionUser(user)


def acting_user() -> User | None:
    """The user of this request: an API token's owner or the logged-in user."""
    if getattr(g, "api_user", None) is not None:
        return g.api_user
    if current_user.is_authenticated:
        return current_user.user
    return None


def scope() -> Scope:
    """The acting user's access scope (computed once per request)."""
    if "scope" not in g:
        user = acting_user()
        if user is None:
            abort(401)
        g.scope = scope_for(store(), user)
    return g.scope


def roles_required(*roles: str) -> Callable:
    """Only these roles may open the view (others get 403; anonymous users the login page)."""
    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            user = acting_user()
            if user is None:
                return login_manager.unauthorized()
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


class LoginForm(Form):
    # trimmed before its length is checked (a phone keyboard adds a space after a word);
    # the password may be as long as an account's may be (a passphrase set on the command
    # line)
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=40)],
                           filters=[stripped],
                           render_kw={"autocomplete": "username", "autocapitalize": "none",
                                      "autocorrect": "off", "spellcheck": "false"})
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(), Length(max=PASSWORD_TEXT)],
                             render_kw={"autocomplete": "current-password"})


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login page; failed logins are counted per account across processes."""
    if current_user.is_authenticated:  # logged in meanwhile (another tab): on to the page
        return redirect(safe_next(request.args.get("next"), url_for("index")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                store(), form.username.data, form.password.data,
                max_failures=int(current_app.config["LOGIN_MAX_FAILURES"]),
                window_minutes=float(current_app.config["LOGIN_WINDOW_MINUTES"]))
        except Throttled:
            flash(_("Too many failed logins for this account. Wait %(minutes)s minutes and try "
                    "again.", minutes=current_app.config["LOGIN_WINDOW_MINUTES"]), "error")
            status = 429
        except accounts.AccountDisabled:
            flash(_("This account is disabled. Ask your administrator to enable it again."),
                  "error")
            status = 401  # not logged in, as for a wrong password; only the words differ
        except Forbidden:
            flash(_("Wrong username or password."), "error")
            status = 401
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session at login: no fixation
            if lang:
                session["lang"] = lang
            session.permanent = True
            session[LOGIN_AT] = int(time.time())
            login_user(SessionUser(user))
            return redirect(safe_next(request.args.get("next"), url_for("index")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@csrf.exempt  # checked below, only while logged in
def logout():
    """Log out (a POST with a CSRF token, so no other site can log you out). Logged out
    already (in another tab: the form's token belonged to the session that ended): the
    login page, not "the form expired"."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    csrf.protect()
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    """Set up Flask-Login and make ``acting_user`` available to templates."""
    # Our own ``acting_user`` is the templates' way to the user (Flask-Login's processor
    # would load one for every rendered page, public ones too).
    login_manager.init_app(app, add_context_processor=False)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "warning"
    app.register_blueprint(bp)

    @app.before_request
    def _login_gate():
        """Send anonymous visitors of any non-public page to the login page."""
        if (request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS
                or request.blueprint == "api"):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if (current_user.user.must_change_password
                and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS):
            flash(_("Choose a new password of your own before you go on: the one you were "
                    "given works only once."), "warning")
            wanted = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("account.index", next=safe_next(wanted, "") or None))
        return None

    @app.context_processor
    def _user() -> dict[str, Any]:
        return {"acting_user": acting_user}
