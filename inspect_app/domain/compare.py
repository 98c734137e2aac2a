"""Self-check versus inspection: each criterion's self-score beside the team's score.

The two records may have been scored on different versions of the checklist (a version
published between the self-check and the inspection): a criterion worth 2 points in one
and 1 in the other is compared as a share of each side's own maximum, put in the points
of the inspection's version — 2/2 against 1/1 is no gap, 2/2 against 0/1 a gap of 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import criteria
from .checklist import Checklist
from .numbers import round_half_up, to_fraction
from .scoring import ScoreCard


def higher_by(own: Decimal | None, other: Decimal | None, deducts: bool) -> Decimal | None:
    """How much more ``own`` adds to a total than ``other`` (None if either is missing):
    own − other, or other − own for points that are taken off (a penalty)."""
    if own is None or other is None:
        return None
    return other - own if deducts else own - other


def deducts(criterion) -> bool:
    """Whether a criterion's points are taken off the total (its type's sign is "−")."""
    return criteria.get(criterion.type).sign == "−"


@dataclass(frozen=True)
class Gap:
    """One criterion of the comparison. ``gap``: what the unit's own score adds to its
    total over the team's — self − inspection, or inspection − self for points that are
    taken off (``deducts``: a penalty the unit left out is a higher self-score). None if
    either is missing. ``max`` is the inspection's maximum; ``self_max`` the self-check's
    (another when it was scored on another version): the self-score then counts on the
    inspection's scale (:attr:`self_on_scale`)."""

    criterion: str
    text: str
    max: Decimal | None
    self_points: Decimal | None
    self_status: str
    inspection_points: Decimal | None
    inspection_status: str
    deducts: bool = False
    self_max: Decimal | None = None  # None: the same as ``max``

    @property
    def other_scale(self) -> bool:
        """The self-check's version gives this criterion another maximum."""
        return self.self_max is not None and self.self_max != self.max

    @property
    def self_on_scale(self) -> Decimal | None:
        """The self-score in points of the inspection's version: the same share of its
        maximum (None when either maximum is 0 or missing: no share to carry over)."""
        if not self.other_scale or self.self_points is None:
            return self.self_points
        if not self.max or not self.self_max:
            return None
        share = to_fraction(self.self_points) / to_fraction(self.self_max)
        return round_half_up(share * to_fraction(self.max))

    @property
    def gap(self) -> Decimal | None:
        return higher_by(self.self_on_scale, self.inspection_points, self.deducts)

    @property
    def overrated(self) -> bool:
        """The unit scored itself higher than the inspection team did, or called "not
        applicable" (out of its maximum) a criterion the team found short."""
        if self.self_status == "na" and self.inspection_status in ("partial", "fail"):
            return True
        return self.gap is not None and self.gap > 0


def _judged(line: Any) -> Decimal | None:
    """A line's points, None when it has none to compare (missing or unanswered: a 0
    there is no score anybody gave)."""
    if line is None or line.status == "unanswered":
        return None
    return line.points


def compare(checklist: Checklist, self_card: ScoreCard, inspection_card: ScoreCard) -> list[Gap]:
    """One :class:`Gap` per scored criterion of ``checklist``, in checklist order.

    Both cards must come from the same checklist id, not always the same version:
    criteria missing from one side show as None there, and a criterion with another
    maximum in the self-check's version is compared as a share of each side's maximum
    (:attr:`Gap.self_on_scale`).
    """
    rows = []
    for criterion in checklist.criteria:
        if criterion.points is None:  # info: recorded only
            continue
        own, team = self_card.line(criterion.id), inspection_card.line(criterion.id)
        rows.append(Gap(  # an unanswered side judged nothing: no points to compare
            criterion=criterion.id, text=criterion.text, max=criterion.points,
            self_points=_judged(own), self_status=own.status if own else "missing",
            inspection_points=_judged(team),
            inspection_status=team.status if team else "missing",
            deducts=deducts(criterion), self_max=own.max if own else None))
    return rows
