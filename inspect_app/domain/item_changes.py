"""How a remediation item changes: content edits, status, progress notes, verification.

Pure rules over a :class:`RemediationItem`, applied inside the write protocol of
DESIGN §7 (the service runs them in one atomic read-modify-write, with op_id replay):

* a change names the fields it sets; a stale ``base_rev`` is a conflict (with the
  current item) only when a field it sets differs from the stored value — a change
  that is already there is accepted and changes nothing, and a progress note alone
  overwrites nothing, so it is appended whatever the revision;
* who may set what (:class:`Powers`): the unit carries its items out (progress,
  status up to done, cannot do, and the plan's own columns: cause, owner,
  co-operating units, expected output); the inspecting side plans (every column,
  "no action needed") and verifies done items or sends them back with a comment;
* ``done`` needs evidence — a progress note or photo, on the item already or in the
  same change; ``cannot_do`` and ``no_action`` need a reason;
* every applied change adds one history line with who, when, and each field's old
  and new value.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from .errors import Conflict, Forbidden, Invalid, Unprocessable
from .inspection import Stale
from .messages import N_
from .models import ITEM_STATUSES, Event, ProgressNote, RemediationItem
from .remediation import as_dict, is_withdrawn
from .text import LONG_TEXT, TextProblem, clean_text

TEXT_FIELDS = ("finding", "cause", "action", "owner", "cooperating", "output")
ITEM_FIELDS = TEXT_FIELDS + ("due",)
#: The columns of the plan the unit fills in itself (DOMAIN §5: cause, owner, co-operating
#: units, output); the finding, action and deadline come from the inspection.
UNIT_FIELDS = ("cause", "owner", "cooperating", "output")
#: Keys of a change besides the item fields.
CHANGE_KEYS = ("status", "progress_note", "reason", "comment")
MAX_TEXT = LONG_TEXT

#: (from, to) → the power the move needs. "done → in_progress" is a send-back (a comment
#: is required) when the inspecting side does it, the unit taking back its "done" otherwise.
TRANSITIONS = {
    ("open", "in_progress"): "update", ("open", "done"): "update",
    ("open", "cannot_do"): "update",
    ("in_progress", "open"): "update", ("in_progress", "done"): "update",
    ("in_progress", "cannot_do"): "update",
    ("cannot_do", "open"): "update", ("cannot_do", "in_progress"): "update",
    ("cannot_do", "done"): "update",
    ("done", "in_progress"): "update",
    ("done", "verified"): "verify",
    ("verified", "in_progress"): "admin",  # an administrator reopens a verified item
    ("no_action", "open"): "plan",
}
for _status in ("open", "in_progress", "cannot_do"):
    TRANSITIONS[(_status, "no_action")] = "plan"
REASON_STATUSES = ("cannot_do", "no_action")
#: Statuses only some roles may set, whatever the item's state.
ROLE_TARGETS = {"verified": "verify", "no_action": "plan"}


class BadChange(Invalid):
    """The change is malformed; ``field`` names what is wrong."""


class NotAllowed(Forbidden):
    """The user may see the item but not make this change."""


class NeedsEvidence(Unprocessable):
    """Marking done without a progress note or photo."""


class BadTransition(Conflict):
    """The item's current status does not allow this move (with the current item)."""


@dataclass(frozen=True)
class Powers:
    """What the acting user may do with the items of one record (see ``access.Scope``)."""

    update: bool = False  # progress, status up to done, the unit's own columns
    plan: bool = False    # every column, "no action needed", new items
    verify: bool = False  # verify a done item or send it back
    admin: bool = False   # reopen a verified item

    @property
    def any(self) -> bool:
        return self.update or self.plan or self.verify or self.admin


# ---------------------------------------------------------------- reading a change

#: How a message names each text of a change (the words of the plan's columns).
TEXT_LABELS = {
    "finding": N_("Finding"), "cause": N_("Cause"), "action": N_("Action"),
    "owner": N_("Responsible"), "cooperating": N_("Co-operating units"),
    "output": N_("Expected output"), "progress_note": N_("Progress note"),
    "reason": N_("Reason"), "comment": N_("Comment"),
}


#: Item statuses as people read them (the same words as the pages).
STATUS_LABELS = {
    "open": N_("Not started"), "in_progress": N_("In progress"),
    "done": N_("Done, awaiting verification"), "verified": N_("Verified"),
    "cannot_do": N_("Cannot be done"), "no_action": N_("No action needed"),
}
DATE_LABELS = {"due": N_("Deadline")}
FIELD_LABELS = {**TEXT_LABELS, **DATE_LABELS, "status": N_("Status")}


def _text(key: str, value: Any) -> str:
    try:
        return clean_text(value, field=key, label=TEXT_LABELS.get(key, key), limit=MAX_TEXT)
    except TextProblem as problem:
        raise BadChange(problem.message, field=key) from None


def _date(key: str, value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return _dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadChange(N_("%(field)s must be a date YYYY-MM-DD", field=DATE_LABELS.get(key, key)),
                        field=key) from None


def clean_change(body: dict[str, Any]) -> dict[str, Any]:
    """The change a body asks for, normalised: the item fields and change keys present
    (``null`` or "" clears a field), text stripped and NFC. Raises :class:`BadChange`."""
    change: dict[str, Any] = {}
    for key in ITEM_FIELDS + CHANGE_KEYS:
        if key not in body:
            continue
        value = body[key]
        if key == "due":
            change[key] = _date(key, value)
        elif key == "status":
            if value not in ITEM_STATUSES:
                raise BadChange(N_("status must be one of %(statuses)s",
                                   statuses=", ".join(ITEM_STATUSES)), field=key)
            change[key] = value
        else:
            change[key] = _text(key, value)
    for key in ("progress_note", "comment"):
        if change.get(key) == "":
            del change[key]  # nothing to add
    return change


def changed_fields(item: RemediationItem, change: dict[str, Any]) -> list[str]:
    """The fields (and status, reason) whose requested value differs from the stored one."""
    keys = [k for k in ITEM_FIELDS + ("status", "reason") if k in change]
    return [k for k in keys if getattr(item, k) != change[k]]


# ---------------------------------------------------------------- applying a change

def _required_power(item: RemediationItem, key: str) -> str:
    """The power setting ``key`` needs (status moves are checked separately)."""
    if key in UNIT_FIELDS:
        return "update"
    if key == "reason":
        return "plan" if item.status == "no_action" else "update"
    return "plan"


def _check_power(needed: str, powers: Powers, what: str) -> None:
    """``what``: an N_ message saying what the user may not do."""
    if not _has(needed, powers):
        raise NotAllowed(N_("you may not %(what)s", what=what))


def _has(needed: str, powers: Powers) -> bool:
    if powers.admin or getattr(powers, needed):
        return True
    return needed == "update" and powers.plan  # whoever plans an item may also report on it


def moves(item: RemediationItem, powers: Powers) -> list[str]:
    """The statuses the user may move the item to (what a progress form offers).
    Verifying, sending back and reopening are left out: they have a form of their own."""
    out = []
    for (source, target), needed in TRANSITIONS.items():
        if source != item.status or "verified" in (source, target):
            continue
        if (source, target) == ("done", "in_progress") and (powers.verify or powers.admin):
            continue
        if _has(needed, powers):
            out.append(target)
    return out


def _move(item: RemediationItem, target: str, powers: Powers) -> str:
    """Check a status move from the item's current status; returns the history action."""
    needed = TRANSITIONS.get((item.status, target))
    if needed is None:
        raise BadTransition(N_("an item that is “%(status)s” cannot become “%(target)s”",
                               status=STATUS_LABELS[item.status], target=STATUS_LABELS[target]),
                            current=as_dict(item))
    if (item.status, target) == ("done", "in_progress") and (powers.verify or powers.admin):
        return "sent_back"
    _check_power(needed, powers, N_("move an item from “%(status)s” to “%(target)s”",
                                    status=STATUS_LABELS[item.status],
                                    target=STATUS_LABELS[target]))
    if target == "verified":
        return "verified"
    return "reopened" if item.status == "verified" else "status"


def apply_change(item: RemediationItem, change: dict[str, Any], *, base_rev: int | None,
                 powers: Powers, by: str, at: str, photos: tuple[str, ...] = ()) -> bool:
    """Apply a cleaned change to ``item`` (mutated in place). Returns False when there was
    nothing to do. ``base_rev`` None means an append-only change (a note, a photo).

    Raises :class:`NotAllowed`, :class:`BadChange`, :class:`NeedsEvidence`,
    :class:`BadTransition` or :class:`~.inspection.Stale` (with the current item).
    """
    note = change.get("progress_note", "")
    comment = change.get("comment", "")
    target = change.get("status")
    differs = changed_fields(item, change)
    # What the role may never do is refused first, whatever the item's state.
    for key in differs:
        if key != "status":
            _check_power(_required_power(item, key), powers,
                         N_("change %(field)s", field=FIELD_LABELS.get(key, key)))
    if target in ROLE_TARGETS and target != item.status:
        _check_power(ROLE_TARGETS[target], powers,
                     N_("mark an item “%(target)s”", target=STATUS_LABELS[target]))
    if (note or photos) and not (powers.update or powers.plan or powers.admin):
        raise NotAllowed(N_("you may not add progress to this item"))
    if differs and base_rev is None:
        raise BadChange(N_("base_rev is required to change an item"), field="base_rev")
    if differs and base_rev != item.rev:
        raise Stale(N_("the item changed since you loaded it"), item=item.id,
                    current=as_dict(item))
    if not differs and not note and not photos:
        if comment and "status" not in change:  # nothing the comment could go with
            raise BadChange(N_("a comment goes with verifying or sending back; use "
                               "progress_note"), field="comment")
        if comment and base_rev is not None and base_rev != item.rev:
            # the item reached that status some other way meanwhile (the unit took its
            # "done" back): the reviewer's comment would be lost without a word
            raise Stale(N_("the item changed since you loaded it"), item=item.id,
                        current=as_dict(item))
        return False  # already so: a retry or a double tap
    if is_withdrawn(item) and "status" not in differs:
        # a note or a field would end its withdrawal without a word (a plan row again, never
        # restored when the shortcoming returns); moving it to another status is a decision
        raise BadTransition(N_("this item was withdrawn: its criterion was corrected when the "
                               "record was finalized again, so there is nothing to do on it "
                               "(it comes back by itself if the shortcoming does)"),
                            current=as_dict(item))
    if ("due" in differs and item.status in ("done", "verified")
            and target in (None, "done", "verified")):
        # the work was done against the deadline then in force: moving it afterwards would
        # turn late work into work on time (criterion 1.5's figures)
        raise BadTransition(N_("this item is already done: its deadline no longer changes "
                               "(send it back or reopen it first to give it a new one)"),
                            current=as_dict(item))
    action = "progress" if note or photos else "updated"
    if "status" in differs:
        action = _move(item, target, powers)
        if action in ("sent_back", "reopened") and not comment:
            raise BadChange(N_("say why the item is sent back (comment)") if action == "sent_back"
                            else N_("say why the item is reopened (comment)"), field="comment")
        if target == "done" and not (note or photos or any(p.note or p.photos
                                                            for p in item.progress)):
            raise NeedsEvidence(N_("marking an item done needs evidence: a progress note or a "
                                   "photo"), needs="evidence")
        if target in REASON_STATUSES and not change.get("reason"):
            raise BadChange(N_("give the reason why the item is “%(target)s”",
                               target=STATUS_LABELS[target]), field="reason")
    elif comment:
        raise BadChange(N_("a comment goes with verifying or sending back; use progress_note"),
                        field="comment")

    changes = [{"field": k, "old": getattr(item, k), "new": change[k]} for k in differs]
    for key in differs:
        setattr(item, key, change[key])
    if "status" in differs:
        _after_move(item, target, changes, by, at)
    if note or photos:
        item.progress.append(ProgressNote(at=at, by=by, note=note, photos=list(photos),
                                          status=target if "status" in differs else None))
    detail: dict[str, Any] = {"changes": changes}
    if note:
        detail["note"] = note
    if photos:
        detail["photos"] = list(photos)
    if comment:
        detail["comment"] = comment
    item.history.append(Event(at=at, by=by, action=action, detail=detail))
    item.rev += 1
    return True


def _after_move(item: RemediationItem, target: str, changes: list[dict], by: str, at: str) -> None:
    """Dates that follow a status move; a reason that no longer applies is cleared."""
    if target == "done":
        item.done_at = at
    elif target != "verified":
        item.done_at = None
    if target == "verified":
        item.verified_at, item.verified_by = at, by
    else:
        item.verified_at = item.verified_by = None
    if target not in REASON_STATUSES and item.reason:
        changes.append({"field": "reason", "old": item.reason, "new": ""})
        item.reason = ""


# ---------------------------------------------------------------- new items

def new_item(item_ref: str, inspection_id: str, unit: str, change: dict[str, Any], *,
             criterion: str | None, by: str, at: str) -> RemediationItem:
    """An item added by hand: a free finding (``criterion`` None) or a finding of a
    criterion written before finalizing; "no action needed" needs a reason."""
    if not change.get("finding"):
        raise BadChange(N_("describe the shortcoming (finding)"), field="finding")
    status = change.get("status", "open")
    if status not in ("open", "no_action"):
        raise BadChange(N_("a new item is open, or no_action with a reason"), field="status")
    if status == "no_action" and not change.get("reason"):
        raise BadChange(N_("give the reason why no action is needed"), field="reason")
    item = RemediationItem(id=item_ref, inspection=inspection_id, unit=unit, criterion=criterion,
                           status=status, reason=change.get("reason", ""), created_at=at,
                           source="free" if criterion is None else "finding",
                           **{k: change[k] for k in ITEM_FIELDS if k in change})
    item.history.append(Event(at=at, by=by, action="created", detail={
        "source": item.source, "criterion": criterion,
        "changes": [{"field": k, "old": None, "new": getattr(item, k)}
                    for k in ITEM_FIELDS + ("status", "reason") if getattr(item, k)]}))
    return item
