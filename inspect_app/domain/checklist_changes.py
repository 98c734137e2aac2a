"""What changed between two versions of a checklist: criteria added, removed, points
changed, other rules changed (the versions page of the checklist admin). Standard library
only."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .checklist import Checklist, Criterion

#: Criterion fields that are not "rules" (they do not change a score).
_WORDING = {"text", "help", "evidence", "remedy", "remedy_owner", "remedy_days", "section"}


@dataclass(frozen=True)
class PointsChange:
    criterion: Criterion
    before: Decimal | None
    after: Decimal | None


@dataclass(frozen=True)
class Changes:
    added: tuple[Criterion, ...]
    removed: tuple[Criterion, ...]
    points: tuple[PointsChange, ...]
    rules: tuple[Criterion, ...]  # same points, other scoring rules (type, bands, options…)
    wording: tuple[Criterion, ...]  # only texts, guidance or remedy defaults
    max_before: Decimal
    max_after: Decimal
    #: what changed of the checklist itself: "bands" (the rating of every unit), "kind",
    #: "cadence", "title", "description", "sections" (their titles, order or survey mark)
    general: tuple[str, ...] = ()

    @property
    def none(self) -> bool:
        return not (self.added or self.removed or self.points or self.rules or self.wording
                    or self.general)


def _rules(criterion: Criterion) -> dict:
    return {k: v for k, v in criterion.__dict__.items() if k not in _WORDING | {"points", "id"}}


def _sections(checklist: Checklist) -> list[tuple]:
    return [(s.id, s.title, s.description, s.survey) for s in checklist.sections]


def changes(before: Checklist, after: Checklist) -> Changes:
    """The differences from ``before`` to ``after``, criteria matched by id, and those of
    the checklist's own keys (a lower band threshold rates every unit anew)."""
    general = tuple(k for k in ("bands", "kind", "cadence", "title", "description")
                    if getattr(before, k) != getattr(after, k))
    if _sections(before) != _sections(after):
        general += ("sections",)
    old = {c.id: c for c in before.criteria}
    new = {c.id: c for c in after.criteria}
    points, rules, wording = [], [], []
    for cid, criterion in new.items():
        previous = old.get(cid)
        if previous is None:
            continue
        if previous.points != criterion.points:
            points.append(PointsChange(criterion, previous.points, criterion.points))
        elif _rules(previous) != _rules(criterion):
            rules.append(criterion)
        elif any(getattr(previous, k) != getattr(criterion, k) for k in _WORDING):
            wording.append(criterion)
    return Changes(
        added=tuple(c for cid, c in new.items() if cid not in old),
        removed=tuple(c for cid, c in old.items() if cid not in new),
        points=tuple(points), rules=tuple(rules), wording=tuple(wording),
        max_before=before.max_points, max_after=after.max_points, general=general,
    )
