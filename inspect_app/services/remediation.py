"""Remediation plans: change items under the write protocol, read plans across records.

Items live inside their inspection record, so every item change goes through
:func:`.inspections.run_op`: one atomic read-modify-write with op_id replay (a retried
change answers the remembered result and never adds a second progress note), and
``base_rev`` conflicts that carry the current item (DESIGN §7). The rules themselves
(who may set what, evidence for done, history lines) are in ``domain/item_changes``.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass
from typing import Any

from ..domain import inspection as rules
from ..domain import item_changes as changes
from ..domain.access import Scope
from ..domain.messages import N_
from ..domain.models import (
    ITEM_CLOSED_STATUSES,
    ITEM_STATUSES,
    Inspection,
    InspectionSummary,
    ItemSummary,
    PhotoRef,
    RemediationItem,
)
from ..domain.remediation import (
    GROUP_ORDER,
    PlanFigures,
    as_dict,
    carry_open_item,
    inspection_of,
    item_id,
    next_item_number,
    plan_figures,
)
from ..storage import Store
from ..storage.base import ItemQuery, Page
from . import Conflict, Forbidden, Invalid, Missing
from .commands import ItemChange, ItemReview, NewItem, quoted
from .inspections import (
    PAGE_SIZE,
    checklist_of,
    clamped,
    load,
    run_op,
    visible,
    visible_page,
    visible_units,
)
from .photos import MAX_PIXELS, process, store_photo

#: The criterion of the next cycle that asks how much of the previous plan was carried
#: out (cchc-xa 1.5, "Khắc phục tồn tại"): its denominator takes the total, its
#: numerator the items remediated on time.
PREVIOUS_PLAN_CRITERION = "1.5"


def powers_of(scope: Scope, record: Inspection | InspectionSummary) -> changes.Powers:
    """The acting user's powers over the items of one record."""
    return changes.Powers(update=scope.can_update_item(record), plan=scope.can_plan(record),
                          verify=scope.can_verify_item(record), admin=scope.role == "admin")


def locate(store: Store, scope: Scope, item_ref: str) -> tuple[Inspection, RemediationItem]:
    """An item the user may see, with its record; :class:`Missing` otherwise."""
    if not isinstance(item_ref, str) or "-" not in item_ref:
        raise Missing(N_("no such item"))
    record_id = inspection_of(item_ref)
    inspection = (store.get_inspection(record_id)
                  if record_id.isalnum() and len(record_id) <= 40 else None)
    # the unit keeps its plan while an inspection finalized before is reopened
    if inspection is None or not scope.can_view_items(inspection):
        raise Missing(N_("no such item"))
    item = inspection.item(item_ref)
    if item is None:
        raise Missing(N_("no such item"))
    return inspection, item


@dataclass(frozen=True)
class ItemResult:
    """A remediation item after a change (a replay: as it is now)."""

    item: RemediationItem
    replayed: bool = False


def _rebuild(inspection: Inspection, memo) -> ItemResult:
    """The answer to a retried item op: the item as it is now."""
    item = inspection.item(memo.target)
    if item is None:
        raise Missing(N_("no such item"))
    return ItemResult(item, replayed=True)


# ---------------------------------------------------------------- changing items

def update_item(store: Store, scope: Scope, command: ItemChange, *,
                photo: bytes | None = None, max_side: int = 1600,
                max_bytes: int = 8 * 1024 * 1024, max_pixels: int = MAX_PIXELS,
                reviewable: tuple[str, ...] | None = None) -> ItemResult:
    """Change an item (DESIGN §5 PATCH), with an optional photo added to the progress note.

    ``base_rev`` may be left out only by a change that sets no field (a note, a photo).
    ``reviewable``: the statuses a review may start from (see :func:`review_item`).
    """
    item_ref, op_id, change = command.item, command.op_id, command.change
    inspection, _ = locate(store, scope, item_ref)
    if not powers_of(scope, inspection).any:
        raise Forbidden(N_("you may look at this plan but not change it"))
    content = dict(change)
    if photo is not None:
        content["photo"] = hashlib.sha256(photo).hexdigest()
    digest = rules.fingerprint("item", item_ref, content)
    photo_ref = None
    if photo is not None and not rules.is_remembered(inspection, op_id):  # a retry stores no second copy
        processed = process(photo, max_side=max_side, max_bytes=max_bytes, max_pixels=max_pixels)
        photo_ref = PhotoRef(id=store_photo(store, processed), by=scope.user.username, at="",
                             item=item_ref, width=processed.width, height=processed.height,
                             bytes=len(processed.full))
    by = scope.user.username

    def apply(record: Inspection, at: str):
        item = record.item(item_ref)
        if item is None:
            raise Missing(N_("no such item"))
        if photo is not None and photo_ref is None:
            raise Conflict(N_("this op_id was already used; send the photo again with a "
                              "new op_id"), op_id=op_id)
        if reviewable and item.status not in reviewable + (change["status"],):
            raise changes.BadTransition(N_("only a done item can be reviewed; this one is "
                                           "“%(status)s”",
                                           status=changes.STATUS_LABELS[item.status]),
                                        current=as_dict(item))
        photos = (photo_ref.id,) if photo_ref else ()
        was_closed = item.status in ITEM_CLOSED_STATUSES
        if changes.apply_change(item, change, base_rev=command.base_rev,
                                powers=powers_of(scope, record), by=by, at=at, photos=photos):
            record.updated_at = at
            # open again (sent back, reopened) after its unit merged away: the new unit's
            # (the merges are read only then, not on every change)
            if was_closed and item.status not in ITEM_CLOSED_STATUSES:
                carry_open_item(item, store.unit_merges(), at=at, by=by)
        if photo_ref:
            photo_ref.at = at
            record.photos[photo_ref.id] = photo_ref
        return ItemResult(item), ("j" if photo is not None else "i", item.id, item.rev)

    return run_op(store, inspection.id, op_id, digest, apply, _rebuild)


def review_item(store: Store, scope: Scope, review: ItemReview) -> ItemResult:
    """The inspecting side's decision on a done item: verify, or send back (a comment is
    required to send back). An administrator may also send back a verified item."""
    inspection, _ = locate(store, scope, review.item)
    if not scope.can_verify_item(inspection):
        raise Forbidden(N_("only the inspecting side verifies remediation items"))
    reviewable = ("done", "verified") if scope.role == "admin" else ("done",)
    change = {"status": review.status, **({"comment": review.comment} if review.comment else {})}
    return update_item(store, scope, ItemChange(review.op_id, review.item, review.base_rev, change),
                       reviewable=reviewable)


def add_item(store: Store, scope: Scope, inspection_id: str, command: NewItem) -> ItemResult:
    """Add an item by hand (before or after finalizing): a free finding, or a finding of a
    criterion; ``status: no_action`` with a ``reason`` records that none is needed."""
    inspection = load(store, scope, inspection_id)
    if not scope.can_plan(inspection):
        raise Forbidden(N_("you may look at this plan but not add to it"))
    criterion, change = command.criterion, command.change
    if criterion is not None and checklist_of(inspection).criterion(criterion) is None:
        raise Invalid(N_("unknown criterion %(criterion)s", criterion=quoted(criterion)),
                      field="criterion")
    digest = rules.fingerprint("new_item", inspection_id, {**change, "criterion": criterion})
    by = scope.user.username

    def apply(record: Inspection, at: str):
        ref = item_id(record.id, next_item_number(record))
        item = changes.new_item(ref, record.id, record.unit, change, criterion=criterion,
                                by=by, at=at)
        record.items.append(item)
        record.updated_at = at
        return ItemResult(item), ("n", item.id, item.rev)

    return run_op(store, inspection_id, command.op_id, digest, apply, _rebuild)


# ---------------------------------------------------------------- reading plans

@dataclass(frozen=True)
class Entry:
    """An item as lists across records show it: its card from the index, with the
    record it belongs to."""

    item: ItemSummary
    record: InspectionSummary


#: Statuses of items still to be carried out (an overdue item is one of them).
OPEN_STATUSES = tuple(s for s in ITEM_STATUSES if s not in ITEM_CLOSED_STATUSES)


def _item_query(scope: Scope, **fields: Any) -> ItemQuery:
    """The index query of items the user may see (the access rules of their records)."""
    return ItemQuery(units=visible_units(scope), hide_draft_inspections=scope.role == "unit",
                     **fields)


def _item_page(store: Store, query: ItemQuery, page: int, per_page: int) -> Page[Entry]:
    found = clamped(lambda offset, limit: store.query_items(query, offset=offset, limit=limit),
                    page, per_page)
    return Page([Entry(item, record) for item, record in found.rows], found.total,
                found.offset, found.limit)


def overdue(store: Store, scope: Scope, today: _dt.date, page: int = 1,
            per_page: int = PAGE_SIZE) -> Page[Entry]:
    """Overdue items across every unit the user may see, the longest overdue first
    (from the index: no inspection is opened)."""
    query = _item_query(scope, statuses=OPEN_STATUSES, due_before=today.isoformat())
    return _item_page(store, query, page, per_page)


def awaiting_verification(store: Store, scope: Scope, page: int = 1,
                          per_page: int = PAGE_SIZE) -> Page[Entry]:
    """Done items waiting for the inspecting side, oldest first."""
    return _item_page(store, _item_query(scope, statuses=("done",), order="done"), page, per_page)


def plans(store: Store, scope: Scope, page: int = 1,
          per_page: int = PAGE_SIZE) -> Page[InspectionSummary]:
    """Records with a plan, for per-inspection progress (read from the index alone)."""
    return visible_page(store, scope, page, per_page, has_items=True)


@dataclass(frozen=True)
class GroupedPage:
    """One page of a plan shown in groups (overdue first, then by status): the groups
    of the page's items, each group's size over the whole plan, progress counts."""

    groups: list[tuple[str, list[Entry]]]
    counts: dict[str, int]
    progress: dict[str, int]
    total: int
    page: int
    per_page: int


def grouped_plan(store: Store, scope: Scope, today: _dt.date, page: int = 1,
                 per_page: int = PAGE_SIZE) -> GroupedPage:
    """Every item the user may see (for a unit user: its own plan) in the groups of
    :func:`~inspect_app.domain.remediation.plan_groups`, one page at a time."""
    day = today.isoformat()
    parts = [("overdue", _item_query(scope, statuses=OPEN_STATUSES, due_before=day))]
    for status in GROUP_ORDER:
        parts.append((status, _item_query(scope, statuses=(status,), due_from=day)
                      if status in OPEN_STATUSES else _item_query(scope, statuses=(status,))))
    counts = {key: store.query_items(query, limit=0).total for key, query in parts}
    total = sum(counts.values())
    last = max(1, -(-total // per_page))
    page = min(max(1, page), last)
    start, stop = (page - 1) * per_page, page * per_page
    groups, seen = [], 0
    for key, query in parts:
        size = counts[key]
        lo, hi = max(start, seen), min(stop, seen + size)
        if hi > lo:
            found = store.query_items(query, offset=lo - seen, limit=hi - lo)
            groups.append((key, [Entry(item, record) for item, record in found.rows]))
        seen += size
    progress = {"total": total,
                "closed": sum(counts[s] for s in ITEM_CLOSED_STATUSES),
                "verified": counts["verified"], "done": counts["done"]}
    return GroupedPage(groups, counts, progress, total, page, per_page)


# ---------------------------------------------------------------- the previous cycle

@dataclass(frozen=True)
class PreviousPlan:
    """The plan of a unit's previous finalized inspection, and what it means for 1.5."""

    record: InspectionSummary
    figures: PlanFigures
    criterion: str | None  # the criterion these figures are typed into, if the checklist has it
    section: str | None
    inputs: tuple[tuple[str, int], ...]  # (input label, figure to type)


def previous_plan(store: Store, scope: Scope, inspection: Inspection, tz: str) -> PreviousPlan | None:
    """For an inspection (or a self-score) of a unit: how the plan of the unit's previous
    finalized inspection was carried out — None when there is none with a plan."""
    earlier = [s for s in visible(store, scope, unit=inspection.unit, kind="inspection",
                                  status="finalized")
               if s.id != inspection.id and s.created_at < inspection.created_at]
    if not earlier:
        return None
    summary = max(earlier, key=lambda s: s.created_at)
    record = store.get_inspection(summary.id)
    if record is None or not record.items:
        return None
    criterion = checklist_of(inspection).criterion(PREVIOUS_PLAN_CRITERION)
    if criterion is None or criterion.type != "ratio":
        if inspection.kind != "inspection":
            return None  # a self-check of another kind (the weekly one) does not score it
        return PreviousPlan(summary, plan_figures(record.items, tz), None, None, ())
    figures = plan_figures(record.items, tz)
    inputs = []
    for ids, figure in ((criterion.denominator, figures.total),
                        (criterion.numerator, figures.on_time)):
        spec = criterion.input(ids[0])
        inputs.append((spec.label if spec else ids[0], figure))
    return PreviousPlan(summary, figures, criterion.id, criterion.section, tuple(inputs))
