"""From shortcomings to remediation items (DESIGN §8, DOMAIN §5). Pure rules.

Finalizing turns every ``partial`` and ``fail`` line (and ``unanswered`` ones
when finalized with ``allow_unanswered``) into an item pre-filled from the
checklist: ``remedy`` → action, ``remedy_owner`` → owner, ``remedy_days`` →
due date; the inspector's note becomes the finding.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from .checklist import Checklist, Criterion
from .models import ITEM_CLOSED_STATUSES, Event, Inspection, RemediationItem
from .scoring import ScoreCard

STATUS_FLOW = {
    # status → statuses it may move to, and who moves it there
    "open": ("in_progress", "done", "cannot_do"),
    "in_progress": ("done", "cannot_do", "open"),
    "done": ("verified", "in_progress"),      # verified / sent back: inspecting side only
    "cannot_do": ("in_progress", "open"),
    "verified": (),                          # final unless an admin reopens
    "no_action": ("open",),
}
VERIFY_STATUSES = ("verified",)  # only the inspecting side sets these
SEND_BACK = ("done", "in_progress")


def item_id(inspection_id: str, number: int) -> str:
    """Items are numbered within their inspection: ``<inspection>-<n>``."""
    return f"{inspection_id}-{number}"


def next_item_number(inspection: Inspection) -> int:
    numbers = [int(i.id.rsplit("-", 1)[1]) for i in inspection.items
               if i.id.rsplit("-", 1)[-1].isdigit()]
    return max(numbers, default=0) + 1


def default_finding(criterion: Criterion, status: str, value: Any) -> str:
    """A finding text when the inspector wrote no note."""
    if status == "unanswered":
        return f"Chưa đánh giá: {criterion.text}"
    if status == "partial":
        return f"Chưa đạt đầy đủ: {criterion.text}"
    return f"Chưa đạt: {criterion.text}"


def due_date(criterion: Criterion, finalized_on: _dt.date) -> str | None:
    """``remedy_days`` after finalizing, as an ISO date (None when the checklist gives none)."""
    if criterion.remedy_days is None:
        return None
    return (finalized_on + _dt.timedelta(days=criterion.remedy_days)).isoformat()


def generate_items(inspection: Inspection, checklist: Checklist, card: ScoreCard, *,
                   include_unanswered: bool, finalized_on: _dt.date, at: str, by: str
                   ) -> list[RemediationItem]:
    """New items for shortcomings that have none yet (re-finalizing never duplicates)."""
    covered = {i.criterion for i in inspection.items if i.criterion}
    statuses = ("partial", "fail", "unanswered") if include_unanswered else ("partial", "fail")
    number = next_item_number(inspection)
    items = []
    for line in card.criteria:
        if line.status not in statuses or line.id in covered:
            continue
        if line.type in ("bonus", "penalty", "info"):
            continue
        criterion = checklist.criterion(line.id)
        answer = inspection.answers.get(line.id)
        note = answer.note if answer else ""
        items.append(RemediationItem(
            id=item_id(inspection.id, number), inspection=inspection.id, unit=inspection.unit,
            criterion=line.id, finding=note or default_finding(criterion, line.status, line.value),
            action=criterion.remedy, owner=criterion.remedy_owner,
            due=due_date(criterion, finalized_on), status="open", created_at=at, source="finding",
        ))
        number += 1
    for item in items:
        item.history.append(Event(at=at, by=by, action="created", detail={}))
    return items


def is_overdue(item: RemediationItem, today: _dt.date) -> bool:
    """Past due and not done, verified or closed without action."""
    if not item.due or item.status in ITEM_CLOSED_STATUSES:
        return False
    return _dt.date.fromisoformat(item.due) < today


def is_due_soon(item: RemediationItem, today: _dt.date, days: int = 7) -> bool:
    """Due within ``days`` days and still open."""
    if not item.due or item.status in ITEM_CLOSED_STATUSES:
        return False
    due = _dt.date.fromisoformat(item.due)
    return today <= due <= today + _dt.timedelta(days=days)


def plan_progress(items: list[RemediationItem]) -> dict[str, int]:
    """Counts for a plan's progress bar: total, closed (done/verified/no action), verified."""
    return {
        "total": len(items),
        "closed": sum(1 for i in items if i.status in ITEM_CLOSED_STATUSES),
        "verified": sum(1 for i in items if i.status == "verified"),
        "done": sum(1 for i in items if i.status == "done"),
    }
