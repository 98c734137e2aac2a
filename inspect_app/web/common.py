"""Cross-cutting web pieces: CSRF, security headers, error pages, the language switch."""
from __future__ import annotations

import datetime as _dt
from urllib.parse import urlencode, urlsplit

from flask import (
    Flask,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from ..services import clock
from . import errors, forms
from .i18n import LANGUAGES

csrf = CSRFProtect()

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
       "object-src 'none'")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with the Secure flag on every cookie sent in answer
    to an HTTPS request (and on all of them when SESSION_COOKIE_SECURE is set)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config["SESSION_COOKIE_SECURE"]:
            return True
        return has_request_context() and request.is_secure


def local_today() -> _dt.date:
    """Today in the app's time zone (``TIMEZONE``): the day every deadline, period and
    overdue mark of a request is counted from, the same for the confirmation page and
    the write it confirms."""
    return clock.today(current_app.config["TIMEZONE"])


def photo_limits() -> dict[str, int]:
    """The app's limits for an uploaded photo, as the photo services take them."""
    return {"max_side": int(current_app.config["PHOTO_MAX_SIDE"]),
            "max_bytes": int(current_app.config["PHOTO_MAX_BYTES"]),
            "max_pixels": int(current_app.config["PHOTO_MAX_PIXELS"])}


def safe_next(target: str | None, fallback: str = "/") -> str:
    """``target`` if it is a path on this site, else ``fallback`` (no open redirects)."""
    if not target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return fallback  # browsers drop tabs and newlines: "/\t/evil" would mean "//evil"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return fallback
    return target


def set_language():
    """Switch the interface language (kept in the session)."""
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("index")))


def carries_photos(view):
    """Mark ``view`` as one that receives photos: its request may be as large as
    ``PHOTO_FORM_MAX_LENGTH`` rather than ``MAX_CONTENT_LENGTH``, so that a photo too
    large is refused by the photo limit, with its own message, and never takes the
    answers sent with it along (a 413 keeps nothing)."""
    view.carries_photos = True
    return view


#: Static files that are never a document (scripts, styles, raster icons, fonts): a
#: Content-Security-Policy and X-Frame-Options govern documents and workers only (the
#: service worker, /sw.js, keeps them; an SVG would too), so these go without (about 250
#: bytes less on each request of a phone's first load).
PLAIN_SUFFIXES = (".js", ".css", ".png", ".ico", ".woff", ".woff2", ".ttf")


def _plain_static_file() -> bool:
    if request.endpoint == "favicon":
        return True
    name = str((request.view_args or {}).get("filename", "")) if request.endpoint == "static" else ""
    return name.lower().endswith(PLAIN_SUFFIXES)


def init_app(app: Flask) -> None:
    """CSRF on every form, security headers on every response, friendly error pages."""

    @app.before_request
    def _local_day():  # every service counts today in the zone the pages show
        g.zone_token = clock.use_zone(app.config["TIMEZONE"])

    @app.teardown_request
    def _end_local_day(_error=None):
        token = g.pop("zone_token", None)
        if token is not None:
            clock.end_zone(token)

    @app.before_request
    def _photo_request_limit():  # before CSRFProtect's hook reads the form
        if getattr(app.view_functions.get(request.endpoint), "carries_photos", False):
            request.max_content_length = max(int(app.config["PHOTO_FORM_MAX_LENGTH"]),
                                             int(app.config["MAX_CONTENT_LENGTH"]))

    csrf.init_app(app)
    app.add_template_global(forms.first_refused, "first_refused")
    app.session_interface = SessionInterface()
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # Behind a reverse proxy that terminates HTTPS: believe its X-Forwarded-* headers
        # (only as many hops as configured) so that request.is_secure and URLs are right.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies,
                                x_port=proxies, x_prefix=proxies)
    app.add_url_rule("/language", endpoint="set_language", view_func=set_language,
                     methods=["POST"])

    @app.after_request
    def _security_headers(response):
        if not _plain_static_file():  # a policy of documents (and the worker)
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        if request.path.startswith("/api/"):
            return jsonify(error=_("missing or invalid CSRF token: send the X-CSRFToken "
                                   "header (or use an API token)")), 400
        return render_template("error.html", code=400, title=_("Form expired"),
                               message=_("The form was open too long or came from elsewhere. "
                                         "Go back, reload the page and send it again.")), 400

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _error_page)
    errors.init_app(app)


def _error_page(error):
    """An error page in the user's language (JSON for API paths)."""
    from werkzeug.exceptions import HTTPException

    code = error.code if isinstance(error, HTTPException) else 500
    titles = {
        400: _("Bad request"), 403: _("Not allowed"), 404: _("Not found"),
        405: _("Method not allowed"), 413: _("Upload too large"), 429: _("Too many attempts"),
        500: _("Something went wrong"),
    }
    messages = {
        400: _("The request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist or you do not have access to it."),
        405: _("This address does not accept that kind of request."),
        413: _("The file or form is larger than the server accepts."),
        429: _("Too many attempts. Wait a few minutes and try again."),
        500: _("The server could not finish the request. Nothing was saved half-way; try again."),
    }
    description = getattr(error, "description", None)
    if description == getattr(type(error), "description", None):
        description = None  # Werkzeug's own English words: ours, in the user's language
    # The refusal's own headers go along with our body (a 405's Allow, a 429's Retry-After).
    headers = [(name, value) for name, value in error.get_headers()
               if name.lower() != "content-type"] if isinstance(error, HTTPException) else []
    if request.path.startswith("/api/"):
        message = str(description or messages.get(code) or titles.get(code, "error"))
        return jsonify(error=message), code, headers
    return render_template("error.html", code=code, title=titles.get(code, _("Error")),
                           message=messages.get(code, "")), code, headers


class Pager:
    """Page links of a paginated list: the current query string kept (filters, search,
    other lists' pages), only ``param`` changed. ``number`` is the page shown (a page
    past the end shows the last one)."""

    def __init__(self, total: int, offset: int, per_page: int, param: str = "page",
                 anchor: str = "") -> None:
        self.total, self.per_page, self.param, self.anchor = total, per_page, param, anchor
        self.last = max(1, -(-total // per_page))
        self.number = min(self.last, offset // per_page + 1)
        self.first_row = offset + 1 if total else 0
        self.last_row = min(total, offset + per_page)

    def url(self, number: int) -> str:
        args = request.args.to_dict(flat=False)
        args[self.param] = [str(number)]
        if number == 1:
            args.pop(self.param)
        query = urlencode(args, doseq=True)
        return (request.script_root + request.path + (f"?{query}" if query else "")
                + (f"#{self.anchor}" if self.anchor else ""))

    def numbers(self, around: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last and ``around`` each side of the
        current one; None where numbers are left out."""
        keep = {1, self.last} | set(range(self.number - around, self.number + around + 1))
        out: list[int | None] = []
        for n in sorted(k for k in keep if 1 <= k <= self.last):
            if out and out[-1] is not None and n > out[-1] + 1:
                out.append(None)
            out.append(n)
        return out


def pager_of(page, param: str = "page", anchor: str = "") -> Pager:
    """The :class:`Pager` of a storage ``Page`` (or a grouped page)."""
    per_page = page.limit if getattr(page, "limit", None) else page.per_page
    offset = page.offset if hasattr(page, "offset") else (page.page - 1) * per_page
    return Pager(page.total, offset, per_page, param, anchor)
