"""Notifications: the daily digest of remediation follow-up in the app (``/notifications``),
the unread badge of the navigation, and the text of the reminder e-mails.

The badge and the page read the same bounded digest (``services/reminders``), computed
at most once per request.
"""
from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..domain.models import User
from ..domain.reminders import KINDS, KINDS_OF_ROLE, MAX_READ_KEYS, Digest
from ..i18n import formatting
from ..services import reminders as service
from ..storage import StoreError
from . import province
from .auth import acting_user, roles_required, scope, store, unit_names
from .common import local_today

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

KIND_LABELS = {"overdue": _l("Overdue"), "due_soon": _l("Due within 7 days"),
               "awaiting": _l("Awaiting verification")}
ROLES = tuple(KINDS_OF_ROLE)


def current_notifications() -> service.Notifications | None:
    """The acting user's notifications, once per request (None for roles without a digest,
    or when the store cannot be read: the badge is then simply left out)."""
    if "notifications" not in g:
        user = acting_user()
        found = None
        if user is not None and user.role in KINDS_OF_ROLE:
            try:
                found = service.notifications(store(), scope(), local_today())
            except StoreError:
                current_app.logger.warning("notifications unavailable", exc_info=True)
        g.notifications = found
    return g.notifications


#: Blueprints whose pages show no badge: the section pages filled on phones are kept to
#: the reads they need (an inspector's units mean reading the whole index; see
#: docs/performance.md); the badge is back on the next other page.
NO_BADGE_BLUEPRINTS = frozenset({"fill"})


@bp.app_context_processor
def _badge() -> dict[str, Any]:
    def unread_notifications() -> int | None:
        if request.blueprint in NO_BADGE_BLUEPRINTS:
            return None
        found = current_notifications()
        return found.unread if found is not None else None
    return {"unread_notifications": unread_notifications}


@bp.get("/")
@roles_required(*ROLES)
def index():
    """The user's digest of today, unread entries marked."""
    found = current_notifications()
    codes = {e.item.unit for e in found.digest.entries}
    return render_template("notifications/index.html", notes=found, digest=found.digest,
                           counts=found.digest.counts(), kind_labels=KIND_LABELS,
                           digest_kinds=KINDS_OF_ROLE[scope().role],
                           units=unit_names(codes))


@bp.post("/read")
@roles_required(*ROLES)
def mark_read():
    """Mark read every entry of today's digest that the page showed (``seen``, and the
    ``more_<kind>`` counts of those it left out); without them, every entry."""
    seen = request.form.get("seen")
    more = {kind: _count(request.form.get(f"more_{kind}")) for kind in KINDS}
    count = service.mark_all_read(
        store(), scope(), local_today(),
        seen=None if seen is None else seen.split()[:MAX_READ_KEYS],
        seen_more=None if seen is None else more)
    flash(ngettext("%(num)s notification marked read.", "%(num)s notifications marked read.",
                   count), "ok")
    return redirect(url_for("notifications.index"))


def _count(text: str | None) -> int:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 9 else 0


# ---------------------------------------------------------------- e-mail

def compose_mail(user: User, digest: Digest) -> service.Mail:
    """The reminder e-mail of one digest, in the current locale (the command line runs it
    in the default language): subject with the counts and the date, one line per item with
    its unit, deadline and days, a link to the notifications page — only with the
    province's public address set (without it a link would lead to this server's own
    name, ``localhost`` for the command line: the mail says where to look instead)."""
    counts = digest.counts()
    parts = []
    if counts["overdue"]:
        parts.append(ngettext("%(num)s overdue", "%(num)s overdue", counts["overdue"]))
    if counts["due_soon"]:
        parts.append(ngettext("%(num)s due soon", "%(num)s due soon", counts["due_soon"]))
    if counts["awaiting"]:
        parts.append(ngettext("%(num)s awaiting verification", "%(num)s awaiting verification",
                              counts["awaiting"]))
    day = formatting.date(digest.day)
    subject = _("Remediation reminder %(date)s: %(counts)s", date=day, counts=", ".join(parts))
    names = unit_names({e.item.unit for e in digest.entries})
    linked = bool(province.settings().public_url)
    body = render_template("notifications/email.txt", user=user, digest=digest, counts=counts,
                           kind_labels=KIND_LABELS, units=names, day=day,
                           link=linked and province.public_url_for("notifications.index"),
                           item_link=lambda item: linked and province.public_url_for(
                               "remediation.item", item_id=item.id))
    return service.Mail(to=user.email, subject=" ".join(subject.split()), body=body)
