"""Self-check versus inspection: each criterion's self-score beside the team's score."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .checklist import Checklist
from .scoring import ScoreCard


@dataclass(frozen=True)
class Gap:
    """One criterion of the comparison. ``gap`` = self − inspection (None if either is missing)."""

    criterion: str
    text: str
    max: Decimal | None
    self_points: Decimal | None
    self_status: str
    inspection_points: Decimal | None
    inspection_status: str

    @property
    def gap(self) -> Decimal | None:
        if self.self_points is None or self.inspection_points is None:
            return None
        return self.self_points - self.inspection_points

    @property
    def overrated(self) -> bool:
        """The unit scored itself higher than the inspection team did."""
        return self.gap is not None and self.gap > 0


def compare(checklist: Checklist, self_card: ScoreCard, inspection_card: ScoreCard) -> list[Gap]:
    """One :class:`Gap` per scored criterion of ``checklist``, in checklist order.

    Both cards must come from the same checklist id; criteria missing from one
    side (a different version) show as None there.
    """
    rows = []
    for criterion in checklist.criteria:
        if criterion.points is None:  # info: recorded only
            continue
        own, team = self_card.line(criterion.id), inspection_card.line(criterion.id)
        rows.append(Gap(
            criterion=criterion.id, text=criterion.text, max=criterion.points,
            self_points=own.points if own else None, self_status=own.status if own else "missing",
            inspection_points=team.points if team else None,
            inspection_status=team.status if team else "missing"))
    return rows
