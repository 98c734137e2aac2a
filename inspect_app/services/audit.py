"""The audit log of administrators' actions (issue 14 point 3): who did what, when, and
the record's relevant fields before and after.

Every admin write of the services calls :func:`record` inside the same
``store.atomic()`` block as the change, after it: on PostgreSQL both land in one
transaction or neither does; on the file and memory stores the change is written first,
then its entry. A refused action (bad input) raises before anything is written, so it
leaves no entry. Entries never hold a secret: a password appears only as ``"set"``, an API
token by its id (leading digits of its hash) and its label.

``by`` is the acting user's username, or ``"cli"`` for the command line.
"""
from __future__ import annotations

import datetime as _dt
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..domain.dates import day_month_year, day_start_utc, local_moment
from ..domain.messages import N_, Message
from ..domain.models import AuditEntry
from ..domain.text import ID_TEXT, nfc
from ..storage.base import AuditQuery, Page, Store
from . import Invalid, clock

#: Who acts when a command of ``flask --app inspect_app …`` writes.
CLI = "cli"
#: What a password is shown as: that it was set, never the password nor its hash.
SET = "set"

#: Every action the log knows, with its label (one table: the page, the workbook and the
#: filter list use it).
ACTIONS: dict[str, Message] = {
    "user.create": N_("Created a user"),
    "user.edit": N_("Edited a user"),
    "user.disable": N_("Disabled a user"),
    "user.enable": N_("Enabled a user"),
    "user.password_reset": N_("Set a user's password"),
    "user.password_change": N_("Changed their own password"),
    "token.create": N_("Created an API token"),
    "token.revoke": N_("Revoked an API token"),
    "unit.add": N_("Added or renamed a unit"),
    "unit.import": N_("Imported units"),
    "unit.merge": N_("Merged units"),
    "unit.rename": N_("Renamed a unit (from a date)"),
    "settings.edit": N_("Changed the province settings"),
    "checklist.publish": N_("Published a checklist"),
    "checklist.retire": N_("Retired a checklist"),
    "checklist.restore": N_("Brought back a checklist"),
    "round.open": N_("Opened an assessment round"),
    "round.extend": N_("Extended an assessment deadline"),
    "survey.import": N_("Imported survey figures"),
}

#: The labels of the fields entries name (others are shown by their key).
FIELDS: dict[str, Message] = {
    "username": N_("Username"),
    "full_name": N_("Full name"),
    "position": N_("Position"),
    "email": N_("E-mail"),
    "role": N_("Role"),
    "unit": N_("Unit"),
    "active": N_("Active"),
    "password": N_("Password"),
    "must_change_password": N_("Must change the password"),
    "token": N_("API token"),
    "label": N_("Label"),
    "code": N_("Code"),
    "name": N_("Name"),
    "parent": N_("Parent unit"),
    "address": N_("Address"),
    "merged_into": N_("Merged into"),
    "merged_on": N_("Merge date"),
    "records": N_("Records that follow"),
    "open_items": N_("Open items moved"),
    "on": N_("From"),
    "count": N_("Number of units"),
    "added": N_("Added"),
    "changed": N_("Changed"),
    "inspecting_body": N_("Inspecting body"),
    "superior_body": N_("Superior body"),
    "one_stop_centre": N_("One-stop centre"),
    "public_url": N_("Public address"),
    "checklist": N_("Checklist"),
    "version": N_("Version"),
    "hash": N_("Content hash"),
    "retired": N_("Retired"),
    "period": N_("Period"),
    "units": N_("Units"),
    "self_due": N_("Self-assessment deadline"),
    "explain_due": N_("Explanation deadline"),
    "file": N_("File"),
    "figures": N_("Figures"),
}

#: At most this many codes are named in one entry (a 3.000-unit import names the first).
MAX_LISTED = 200


def listed(codes: list[str]) -> list[str]:
    """Codes for an entry: at most :data:`MAX_LISTED`, then ``"…"`` for the rest."""
    codes = list(codes)
    return codes if len(codes) <= MAX_LISTED else codes[:MAX_LISTED] + ["…"]


def _plain(value: Any) -> Any:
    """A JSON value (lists, dicts, strings, numbers, booleans, None)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return str(value)


def record(store: Store, by: str, action: str, target: str,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None
           ) -> AuditEntry:
    """Append one entry: ``by`` (a username or :data:`CLI`) did ``action`` (a key of
    :data:`ACTIONS`) on ``target``. With both ``before`` and ``after`` only the fields
    that differ are kept (an edit that changed nothing keeps two empty dicts)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    before = None if before is None else _plain(before)
    after = None if after is None else _plain(after)
    if before is not None and after is not None:
        keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
        before = {k: before[k] for k in keys if k in before}
        after = {k: after[k] for k in keys if k in after}
    entry = AuditEntry(id=secrets.token_hex(8), at=clock.now_iso(), by=by or CLI,
                       action=action, target=str(target or ""), before=before, after=after)
    store.add_audit(entry)
    return entry


def page(store: Store, query: AuditQuery | None = None, *, offset: int = 0,
         limit: int | None = None) -> Page[AuditEntry]:
    """A page of entries, newest first."""
    return store.page_audit(query, offset=offset, limit=limit)


@dataclass(frozen=True)
class Change:
    """One field of an entry as a page shows it: its key, the value before (None: there
    was none) and after (None: removed)."""

    field: str
    before: Any
    after: Any


def changes(entry: AuditEntry) -> list[Change]:
    """The fields an entry names, in order, each with its value before and after."""
    before, after = entry.before or {}, entry.after or {}
    return [Change(k, before.get(k), after.get(k)) for k in dict.fromkeys([*before, *after])]


# ---------------------------------------------------------------- the page's filters

@dataclass(frozen=True)
class Filters:
    """The audit page's filters as typed (kept across pages and in the workbook's link):
    ``by`` a username, ``action`` a key of :data:`ACTIONS`, ``date_from`` / ``date_to``
    local dates (inclusive); ``query`` is the store's query."""

    by: str = ""
    action: str = ""
    date_from: _dt.date | None = None
    date_to: _dt.date | None = None
    query: AuditQuery = AuditQuery()


def _day(text: str, field: str, label: Message) -> _dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = _dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if 1900 <= day.year <= 9000:  # beyond, the day's bounds in UTC overflow
            return day
        break
    raise Invalid(N_("%(label)s: “%(value)s” is not a date (dd/mm/yyyy)", label=label,
                     value=text[:40]), field=field, reason="date")


def filters(args: Mapping[str, Any], tz: str = clock.DEFAULT_TZ) -> Filters:
    """The filters of a query string (``by``, ``action``, ``from``, ``to``; dates as
    ``yyyy-mm-dd`` or ``dd/mm/yyyy`` in ``tz``); :class:`Invalid` naming the field for
    an unknown action, a date that is not one or a range that ends before it starts."""
    by = nfc(str(args.get("by") or "")).strip().lower()[:ID_TEXT]
    action = str(args.get("action") or "").strip()
    if action and action not in ACTIONS:
        raise Invalid(N_("unknown action %(action)s", action=action[:40]), field="action",
                      reason="action")
    start = _day(str(args.get("from") or ""), "from", N_("From"))
    end = _day(str(args.get("to") or ""), "to", N_("To"))
    if start and end and end < start:
        raise Invalid(N_("the date range ends before it starts"), field="to", reason="range")
    query = AuditQuery(
        by=by or None, action=action or None,
        at_from=day_start_utc(start, tz) if start else None,
        at_before=day_start_utc(end + _dt.timedelta(days=1), tz) if end else None)
    return Filters(by, action, start, end, query)


# ---------------------------------------------------------------- how an entry reads

def when(entry: AuditEntry, tz: str = clock.DEFAULT_TZ) -> str:
    """The entry's moment in local time, ``dd/mm/yyyy HH:MM``."""
    moment = local_moment(entry.at, tz)
    return moment.strftime("%d/%m/%Y %H:%M") if moment else entry.at


def action_label(action: str) -> Message | str:
    """The label of an action (an unknown one: its key)."""
    return ACTIONS.get(action, action)


def field_label(key: str) -> Message | str:
    """The label of a field an entry names (an unknown one: its key)."""
    return FIELDS.get(key, key)


#: The roles as the users page names them.
ROLE_VALUES: dict[str, Message] = {
    "admin": N_("Administrator"), "inspector": N_("Inspector"),
    "unit": N_("Commune officer"), "viewer": N_("Viewer"),
}
#: How values read, before translation.
YES, NO, PASSWORD_SET, NOTHING = N_("yes"), N_("no"), N_("set"), "—"


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def shown(value: Any, key: str = "") -> Message | str:
    """A value of an entry as a person reads it (translate the result): booleans yes/no,
    a password "set", a list joined by commas, nothing as a dash."""
    if value is None or value == "" or value == []:
        return NOTHING
    if isinstance(value, bool):
        return YES if value else NO
    if key == "password" and value == SET:
        return PASSWORD_SET
    if key == "role" and value in ROLE_VALUES:
        return ROLE_VALUES[value]
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):  # a day as the province writes it
        return day_month_year(value)
    return str(value)
