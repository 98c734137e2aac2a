"""From shortcomings to remediation items (DESIGN §8, DOMAIN §5). Pure rules.

Finalizing turns every ``partial`` and ``fail`` line (``unanswered`` ones too when
finalized with ``allow_unanswered``, and an answered penalty) into an item pre-filled
from the checklist: ``remedy`` → action, ``remedy_owner`` → owner, ``remedy_days`` →
due date; the inspector's note becomes the finding. Every non-empty line of an
``actions`` text input (the weekly self-check's W16) becomes an item too.

How items change afterwards (status, progress, verification) is in
:mod:`.item_changes`; this module builds items and reads plans.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .checklist import Checklist, Criterion
from .dates import local_date
from .models import ITEM_CLOSED_STATUSES, Event, Inspection, RemediationItem, done_moment
from .scoring import ScoreCard
from .units import carrier

#: Order of the status groups of a plan, after the overdue items that always come first.
GROUP_ORDER = ("in_progress", "open", "cannot_do", "done", "verified", "no_action")


def item_id(inspection_id: str, number: int) -> str:
    """Items are numbered within their inspection: ``<inspection>-<n>``."""
    return f"{inspection_id}-{number}"


def inspection_of(item_ref: str) -> str:
    """The inspection id inside an item id (inspection ids never contain "-")."""
    return item_ref.rsplit("-", 1)[0]


def next_item_number(inspection: Inspection) -> int:
    numbers = [int(i.id.rsplit("-", 1)[1]) for i in inspection.items
               if i.id.rsplit("-", 1)[-1].isdigit()]
    return max(numbers, default=0) + 1


#: How a number reads in a finding text: the app's one formatter in Vietnamese
#: (``i18n.formatting.number``, Babel), given by the caller since the domain has no locale
#: library of its own; ``places=2`` fixes two decimals (a percent: 97,20).
NumberText = Callable[..., str]


def default_finding(criterion: Criterion, status: str, value: Any, number_text: NumberText) -> str:
    """A finding text (Vietnamese, it is stored in the plan) when the inspector wrote no
    note; a ratio's percent is quoted with two decimals, as every percent is written
    (97,20%, as the answer's words beside it in the minutes)."""
    if status == "unanswered":
        return f"Chưa đánh giá: {criterion.text}"
    if criterion.type == "penalty":
        return f"Bị trừ {number_text(value)} điểm: {criterion.text}"
    detail = f" (đạt {number_text(value, places=2)}%)" if criterion.type == "ratio" and value is not None else ""
    if status == "partial":
        return f"Chưa đạt đầy đủ: {criterion.text}{detail}"
    return f"Chưa đạt: {criterion.text}{detail}"


def due_date(criterion: Criterion, finalized_on: _dt.date) -> str | None:
    """``remedy_days`` after finalizing, as an ISO date (None when the checklist gives none)."""
    if criterion.remedy_days is None:
        return None
    return (finalized_on + _dt.timedelta(days=criterion.remedy_days)).isoformat()


def _is_shortcoming(line, include_unanswered: bool) -> bool:
    if line.type == "penalty":
        return line.status == "adjustment" and bool(line.value)
    if line.type in ("bonus", "info"):
        return False
    return line.status in ("partial", "fail") or (include_unanswered and line.status == "unanswered")


#: Said on a finding item closed at a re-finalize because its criterion was corrected (the
#: plan's text is Vietnamese, like the findings).
CORRECTED_REASON = "Kết quả tiêu chí đã được sửa khi chốt lại; không còn là tồn tại cần khắc phục"
#: History lines no person wrote: an item with only these was not worked on (a merge
#: carrying it to another unit is not work on it either).
_AUTOMATIC = frozenset({"created", "withdrawn", "restored", "corrected", "unit_merged"})


def is_withdrawn(item: RemediationItem | dict[str, Any]) -> bool:
    """Withdrawn by :func:`apply_corrections`: its criterion was corrected, it is no
    shortcoming any more (documents, the Excel plan and findings leave it out). ``item``:
    the item, or its stored form (an export record's says ``withdrawn``)."""
    if isinstance(item, dict):
        if "history" not in item:
            return bool(item.get("withdrawn"))
        history = item.get("history") or ()
        last = history[-1].get("action") if history and isinstance(history[-1], dict) else None
        return item.get("status") == "no_action" and last == "withdrawn"
    return item.status == "no_action" and bool(item.history) and item.history[-1].action == "withdrawn"


@dataclass
class Corrections:
    """What a re-finalize (after a reopen) changes in the items of the earlier finalize,
    each an untouched item (open, no progress, no change but this module's): the ids to
    withdraw, to restore, and new fields by id (``owner``/``due`` of action lines, the
    ``finding`` of a corrected shortcoming)."""

    withdraw: list[str] = field(default_factory=list)
    restore: list[str] = field(default_factory=list)
    update: dict[str, dict[str, Any]] = field(default_factory=dict)


def typed_by_hand(item: RemediationItem) -> bool:
    """An item a person wrote into the plan (a free finding, or one on a criterion), not
    one finalizing made: its "created" line lists the fields they typed."""
    return bool(item.history) and item.history[0].action == "created" and (
        "changes" in (item.history[0].detail or {}))


def _finding_text(criterion: Criterion, line: Any, answers: Mapping[str, Any],
                  number_text: NumberText) -> str:
    """The finding finalizing writes for a shortcoming: the note, else the default."""
    answer = answers.get(line.id)
    note = answer.note if answer else ""
    return note or default_finding(criterion, line.status, line.value, number_text)


def corrected_items(inspection: Inspection, card: ScoreCard, *, include_unanswered: bool,
                    checklist: Checklist | None = None,
                    answers: dict[str, Any] | None = None,
                    number_text: NumberText | None = None) -> Corrections:
    """At a re-finalize: the items whose ground was corrected after the reopen.

    A finding item whose criterion is no longer a shortcoming (a wrong "No" corrected) is
    withdrawn, and restored when it is one again. A self-check action item (an ``actions``
    line, with ``checklist`` and the ``answers`` scored) whose line was corrected or
    deleted is withdrawn (the corrected line becomes a new item), restored when the line
    comes back, and takes the line's corrected owner and deadline. A finding item still a
    shortcoming takes the finding its corrected answer gives (with ``checklist`` and
    ``number_text``: "not assessed" answered "No" with a note since). Left as they were,
    they would stay in the commune's plan, with deadline and reminders, for what the
    record no longer says. An item anyone has worked on, or typed into the plan by hand,
    stays as it is."""
    now_short = {line.id: line for line in card.criteria
                 if _is_shortcoming(line, include_unanswered)}
    lines = _action_lines_of(inspection, checklist, answers) if checklist is not None else None
    scored_from = inspection.answers if answers is None else answers
    out = Corrections()
    for item in inspection.items:
        if not item.criterion or item.progress or typed_by_hand(item):
            continue
        if any(event.action not in _AUTOMATIC for event in item.history):
            continue
        if item.source == "finding":
            still = item.criterion in now_short
            criterion = checklist.criterion(item.criterion) if checklist is not None else None
            if still and criterion is not None and number_text is not None:
                wanted = _finding_text(criterion, now_short[item.criterion], scored_from,
                                       number_text)
                if wanted != item.finding:
                    out.update[item.id] = {"finding": wanted}
        elif item.source == "self_check_action" and lines is not None:
            planned = lines.get((item.criterion, item.action))
            still = planned is not None
            if still and (planned["owner"], planned["due"]) != (item.owner, item.due):
                out.update[item.id] = planned
        else:
            continue
        if item.status == "open" and not still:
            out.withdraw.append(item.id)
        elif is_withdrawn(item) and still:
            out.restore.append(item.id)
    return out


def _action_lines_of(inspection: Inspection, checklist: Checklist,
                     answers: dict[str, Any] | None) -> dict[tuple[str, str], dict[str, Any]]:
    """``{(criterion, action line): {owner, due}}`` of every ``actions`` input answered."""
    answers = inspection.answers if answers is None else answers
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for criterion in checklist.criteria:
        spec = criterion.actions
        answer = answers.get(criterion.id) if spec is not None else None
        inputs = (answer.inputs if answer else None) or {}
        for text in action_lines(inputs.get(spec.action)) if spec is not None else ():
            out.setdefault((criterion.id, text), _planned(spec, inputs))
    return out


def _planned(spec: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """The owner and deadline an action line's inputs give its item."""
    return {"owner": str(inputs.get(spec.owner) or "").strip() if spec.owner else "",
            "due": _valid_date(inputs.get(spec.due)) if spec.due else None}


def apply_corrections(inspection: Inspection, corrections: Corrections, *,
                      at: str, by: str, merges: Mapping[str, str] | None = None) -> None:
    """Withdraw, restore and update the items :func:`corrected_items` named (each a new
    revision of the item, with a history line); a restored item of a unit merged away
    since goes to the unit carrying it (:func:`carry_open_item`)."""
    for item in inspection.items:
        if item.id in corrections.update:
            changed = {k: v for k, v in corrections.update[item.id].items()
                       if getattr(item, k) != v}
            for key, value in corrections.update[item.id].items():
                setattr(item, key, value)
            item.rev += 1
            item.history.append(Event(at=at, by=by, action="corrected",
                                      detail={"criterion": item.criterion, **changed}))
        if item.id in corrections.withdraw:
            item.status, item.reason, action = "no_action", CORRECTED_REASON, "withdrawn"
        elif item.id in corrections.restore:
            item.status, item.reason, action = "open", "", "restored"
        else:
            continue
        item.rev += 1
        item.history.append(Event(at=at, by=by, action=action,
                                  detail={"criterion": item.criterion, "status": item.status}))
        carry_open_item(item, merges or {}, at=at, by=by)


def carry_open_item(item: RemediationItem, merges: Mapping[str, str], *, at: str, by: str,
                    into: str | None = None, on: str | None = None) -> bool:
    """An open item whose unit was merged away is the carrying unit's to carry out (closed
    items stay the old unit's): its ``unit`` changes, with a ``unit_merged`` line in its
    history. The one rule of a merge (``into``/``on``: the merge being made) and of an
    item opened again after one (sent back, reopened, restored: ``merges``,
    ``Store.unit_merges``). True when it moved."""
    if item.status in ITEM_CLOSED_STATUSES:
        return False
    to = into or carrier(item.unit, merges)
    if to == item.unit:
        return False
    detail = {"from": item.unit, "to": to}
    if on:
        detail["on"] = on
    item.history.append(Event(at=at, by=by, action="unit_merged", detail=detail))
    item.unit = to
    item.rev += 1
    return True


def action_lines(text: Any) -> list[str]:
    """The actions of an ``actions`` text input: its non-empty lines, bullets removed."""
    if not isinstance(text, str):
        return []
    lines = (line.strip().lstrip("-•*+").strip() for line in text.splitlines())
    return [line for line in lines if line]


def _valid_date(value: Any) -> str | None:
    try:
        return _dt.date.fromisoformat(value).isoformat() if isinstance(value, str) else None
    except ValueError:
        return None


def action_line_of(item: RemediationItem) -> str:
    """The action line a self-check action item was made from: its action as first
    written (the commune may reword the item in its plan since; the line stays planned)."""
    for event in item.history:
        for change in (event.detail or {}).get("changes") or ():
            if isinstance(change, dict) and change.get("field") == "action":
                return str(change.get("old") or item.action)
    return item.action


def generate_items(inspection: Inspection, checklist: Checklist, card: ScoreCard, *,
                   include_unanswered: bool, finalized_on: _dt.date, at: str, by: str,
                   number_text: NumberText,
                   answers: dict[str, Any] | None = None,
                   unit: str | None = None) -> list[RemediationItem]:
    """New items for shortcomings and listed actions that have none yet, in checklist
    order. Re-finalizing after a reopen never duplicates: a criterion that already has a
    finding item (or was marked "no action needed") is skipped, and so is an action line
    that is already an item of this record (reworded in the plan since or not). ``answers``: the answers the card was scored
    from (default: the record's own; an assessment's final round). ``unit``: the unit
    that carries them (default: the record's; the unit it was merged into, if it was)."""
    if answers is None:
        answers = inspection.answers
    covered = {i.criterion for i in inspection.items if i.criterion and i.source != "self_check_action"}
    listed = {(i.criterion, action_line_of(i)) for i in inspection.items
              if i.source == "self_check_action"}
    number = next_item_number(inspection)
    items: list[RemediationItem] = []

    def add(**fields: Any) -> None:
        nonlocal number
        items.append(RemediationItem(id=item_id(inspection.id, number), inspection=inspection.id,
                                     unit=unit or inspection.unit, status="open",
                                     created_at=at, **fields))
        number += 1

    for line in card.criteria:
        criterion = checklist.criterion(line.id)
        if criterion.actions is not None:
            answer = answers.get(line.id)
            inputs = (answer.inputs if answer else None) or {}
            spec = criterion.actions
            for text in action_lines(inputs.get(spec.action)):
                if (line.id, text) in listed:
                    continue
                listed.add((line.id, text))
                add(criterion=line.id, source="self_check_action", action=text,
                    finding=f"{criterion.text} ({inspection.period})",
                    **_planned(spec, inputs))
            continue
        if line.id in covered or not _is_shortcoming(line, include_unanswered):
            continue
        add(criterion=line.id, source="finding",
            finding=_finding_text(criterion, line, answers, number_text),
            action=criterion.remedy, owner=criterion.remedy_owner,
            due=due_date(criterion, finalized_on))
    for item in items:
        item.history.append(Event(at=at, by=by, action="created",
                                  detail={"source": item.source, "criterion": item.criterion}))
    return items


# ---------------------------------------------------------------- reading a plan

def is_overdue(item: RemediationItem, today: _dt.date) -> bool:
    """Past due and not done, verified or closed without action. ``today`` is the local
    date (Asia/Ho_Chi_Minh by default), so an item due today is overdue from local midnight."""
    if not item.due or item.status in ITEM_CLOSED_STATUSES:
        return False
    return _dt.date.fromisoformat(item.due) < today


def is_due_soon(item: RemediationItem, today: _dt.date, days: int = 7) -> bool:
    """Due within ``days`` days and still open."""
    if not item.due or item.status in ITEM_CLOSED_STATUSES:
        return False
    due = _dt.date.fromisoformat(item.due)
    return today <= due <= today + _dt.timedelta(days=days)


def plan_progress(items: Iterable[RemediationItem]) -> dict[str, int]:
    """Counts for a plan's progress bar: total, closed (done/verified/no action), verified,
    done (awaiting verification)."""
    items = list(items)
    return {
        "total": len(items),
        "closed": sum(1 for i in items if i.status in ITEM_CLOSED_STATUSES),
        "verified": sum(1 for i in items if i.status == "verified"),
        "done": sum(1 for i in items if i.status == "done"),
    }


def item_number(item_id: str | None) -> int:
    """The number of an item in its plan (``<inspection>-12`` → 12): items of one plan are
    in this order, never in the text order of their ids (1, 10, 11, 2…)."""
    number = str(item_id or "").rsplit("-", 1)[-1]
    return int(number) if number.isdigit() else 0


def _due_key(item: RemediationItem) -> tuple:
    return (item.due or "9999-12-31", item.inspection, item_number(item.id))


def plan_groups(items: Iterable[RemediationItem], today: _dt.date
                ) -> list[tuple[str, list[RemediationItem]]]:
    """Items grouped for a phone: ``overdue`` first, then by status (:data:`GROUP_ORDER`),
    each group by due date. Empty groups are left out."""
    groups: dict[str, list[RemediationItem]] = {key: [] for key in ("overdue",) + GROUP_ORDER}
    for item in items:
        groups["overdue" if is_overdue(item, today) else item.status].append(item)
    return [(key, sorted(group, key=_due_key)) for key, group in groups.items() if group]


def as_dict(item: RemediationItem) -> dict[str, Any]:
    """The API form of an item (DESIGN §8, plus reason, source, dates and progress)."""
    return {
        "id": item.id, "inspection": item.inspection, "unit": item.unit,
        "criterion": item.criterion, "finding": item.finding, "cause": item.cause,
        "action": item.action, "owner": item.owner, "cooperating": item.cooperating,
        "due": item.due, "output": item.output, "status": item.status, "reason": item.reason,
        "rev": item.rev, "source": item.source, "created_at": item.created_at,
        "done_at": item.done_at, "verified_at": item.verified_at, "verified_by": item.verified_by,
        "progress": [{"at": p.at, "by": p.by, "note": p.note, "photos": list(p.photos),
                      "status": p.status} for p in item.progress],
        "history": [{"at": e.at, "by": e.by, "action": e.action, "detail": e.detail}
                    for e in item.history],
    }


# ---------------------------------------------------------------- the previous cycle (criterion 1.5)

@dataclass(frozen=True)
class PlanFigures:
    """How much of a plan was carried out: what criterion 1.5 of the next cycle asks for.

    ``total`` leaves out items closed as "no action needed"; an item counts as remediated
    once done with evidence (``done``, awaiting the inspectors, or ``verified``), on time
    when its local done date is not after its due date (or it has none).
    """

    total: int
    on_time: int
    late: int
    open: int
    verified: int


def plan_figures(items: Iterable[RemediationItem], tz: str) -> PlanFigures:
    """Count a plan's items as :class:`PlanFigures` (dates in ``tz``)."""
    total = on_time = late = verified = 0
    for item in items:
        if item.status == "no_action":
            continue
        total += 1
        if item.status not in ("done", "verified"):
            continue
        verified += item.status == "verified"
        moment = done_moment(item)
        if item.due and moment and local_date(moment, tz).isoformat() > item.due:
            late += 1
        else:
            on_time += 1
    return PlanFigures(total=total, on_time=on_time, late=late, open=total - on_time - late,
                       verified=verified)
