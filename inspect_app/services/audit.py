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

import secrets
from dataclasses import dataclass
from typing import Any

from ..domain.messages import N_, Message
from ..domain.models import AuditEntry
from ..storage.base import AuditQuery, Page, Store
from . import clock

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
    "count": N_("Count"),
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
