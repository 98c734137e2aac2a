"""The installable field app (issue 11): manifest, service worker, offline page, the queue.

* ``/manifest.webmanifest`` — name, icons, theme and start URL for "Add to home screen".
* ``/sw.js`` — the service worker (static/sw.js behind a first line naming this version of
  the app shell). Served from the site's root with ``Service-Worker-Allowed: /`` so that
  it controls every page; never cached by the browser's HTTP cache, so an upgrade of the
  app is seen at the next visit. The shell's files are named with their content hash.
* ``/offline`` — the page shown when a page that was never opened is asked for offline.
* ``/queue`` — what waits on this phone to be sent (static/queue.js reads IndexedDB).
* ``/app/session`` — who is logged in and a fresh CSRF token, for the queue: changes are
  only ever sent under the session of the user who made them.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from .auth import acting_user, roles_required
from .i18n import texts_per_locale

bp = Blueprint("pwa", __name__)

THEME_COLOR = "#0b5394"
BACKGROUND = "#f3f4f6"
#: Static files of the app shell, kept on the phone when the service worker installs.
SHELL_STATIC = ("app.css", "reports.css", "queue.js", "queue_page.js", "numbers.js", "fill.js",
                "plan.js", "start.js", "review.js", "share.js", "icons/favicon.ico",
                "icons/icon-192.png", "icons/icon-512.png")


def shell_urls() -> list[str]:
    """The URLs the service worker caches at install (content-hashed static files)."""
    urls = [url_for("static", filename=name) for name in SHELL_STATIC]
    return urls + [url_for("pwa.offline"), url_for("pwa.manifest")]


def shell_version(urls: list[str]) -> str:
    """Changes whenever a shell file or the service worker itself changes."""
    digest = hashlib.sha256("\n".join(urls).encode())
    digest.update(_sw_source().encode())
    digest.update(render_template("pwa/offline.html").encode())
    return digest.hexdigest()[:12]


def _sw_source() -> str:
    return (Path(current_app.static_folder) / "sw.js").read_text(encoding="utf-8")


def init_app(app) -> None:
    app.jinja_env.globals["queue_texts"] = page_messages


@bp.get("/manifest.webmanifest")
def manifest():
    icons = [{"src": url_for("static", filename=f"icons/icon-{size}.png"),
              "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
             for size in (192, 512)]
    icons += [{"src": url_for("static", filename=f"icons/icon-maskable-{size}.png"),
               "sizes": f"{size}x{size}", "type": "image/png", "purpose": "maskable"}
              for size in (192, 512)]
    body = {
        "name": "Kiểm tra cải cách hành chính",
        "short_name": "Kiểm tra CCHC",
        "description": "Phiếu kiểm tra, tự kiểm tra và kế hoạch khắc phục CCHC cấp xã",
        "lang": "vi", "dir": "ltr",
        "id": url_for("index"), "start_url": url_for("index"), "scope": url_for("index"),
        "display": "standalone", "orientation": "portrait",
        "theme_color": THEME_COLOR, "background_color": BACKGROUND, "icons": icons,
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "public, max-age=86400"  # asked for on every page
    return response


@bp.get("/sw.js")
def service_worker():
    urls = shell_urls()
    head = ("/* generated: the app shell of this version */\n"
            f"var VERSION = {json.dumps(shell_version(urls))};\n"
            f"var SHELL = {json.dumps(urls)};\n"
            f"var OFFLINE_URL = {json.dumps(url_for('pwa.offline'))};\n"
            f"var SESSION_URL = {json.dumps(url_for('pwa.session'))};\n")
    response = Response(head + _sw_source(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = url_for("index")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline():
    """Shown by the service worker for a page this phone has never opened (no user data)."""
    response = Response(render_template("pwa/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/app/session")
def session():
    """``{user, csrf_token, send_timeout}``; user is null when nobody is logged in (then no
    token), and while the user must change an admin-set password (the API refuses that
    session); with a user, ``send_timeout``: INSPECT_QUEUE_SEND_TIMEOUT_SECONDS, for the
    queue."""
    user = acting_user()
    if user is not None and user.must_change_password:
        user = None
    found: dict = {"user": user.username if user else None,
                   "csrf_token": generate_csrf() if user else None}
    if user:  # what the queue needs to send
        found["send_timeout"] = current_app.config["QUEUE_SEND_TIMEOUT_SECONDS"]
    response = jsonify(found)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/queue")
@roles_required()
def queue():
    """What waits on this phone: rendered by static/queue.js from the phone's own storage."""
    return render_template("pwa/queue.html", queue_i18n=queue_messages())


#: The texts every page needs (the badge, the finalize refusal); the queue page has all.
PAGE_TEXTS = ("badge", "badge_bad", "queue", "finalize_blocked", "persist_denied", "no_storage",
              "waiting_here", "unsent", "needs_network")


def page_messages() -> dict[str, str]:
    messages = queue_messages()
    return {key: messages[key] for key in PAGE_TEXTS}


@texts_per_locale
def queue_messages() -> dict[str, str]:
    """The texts of the queue (page, badge, refusals) in the user's language."""
    return {
        "badge": _("%(count)s waiting"), "offline": _("Offline"),
        "badge_bad": _("%(count)s cannot be sent"),  # refused, in conflict or damaged
        "needs_network": _("This needs the network and the phone is offline: nothing was "
                           "sent, what you typed is still here. Try again when it is online."),
        "empty": _("Nothing waits on this phone: every change has been sent."),
        "state_waiting": _("Waiting"), "state_sending": _("Sending"),
        "state_refused": _("Refused"), "state_conflict": _("Conflict"),
        "state_corrupt": _("Damaged record"),
        "kind_answer": _("Answer"), "kind_photo": _("Photo"), "kind_item": _("Remediation update"),
        "kind_item_photo": _("Remediation photo"),
        "send_now": _("Send now"), "discard": _("Discard"), "open": _("Open"),
        "confirm_discard": _("Discard this change? It has not reached the server and will be lost."),
        "others": _("%(count)s changes of other users wait on this phone: they are sent when "
                    "those users log in again."),
        "login_again": _("Log in again to send"),
        "finalize_blocked": _("Changes of this record still wait on this phone. Send them "
                              "first (see the queue), then finalize."),
        "persist_denied": _("The browser may clear this app's data when the phone runs low "
                            "on space: send waiting changes soon."),
        "no_storage": _("This browser cannot keep changes on the phone (private mode?): "
                        "stay online while filling."),
        "waiting_here": _("%(count)s changes of this record wait on this phone."),
        "queue": _("Queue"), "unsent": _("not sent"),
    }
