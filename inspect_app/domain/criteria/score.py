"""``score``, ``bonus`` and ``penalty``: a number 0..points on a step grid.

A score counts towards the maximum; a bonus is added and a penalty taken off outside it.
"""
from __future__ import annotations

from decimal import Decimal

from ..messages import N_
from ..numbers import is_multiple, is_number, to_decimal, to_fraction, within_limits
from .answers import given, number_problem
from .base import Outcome, Shown
from .fields import number_of

DEFAULT_SCORE_STEP = Decimal("0.25")
STEP_SCHEMA = {"description": "Answers must be multiples of step (score: default 0.25).",
               "type": ["number", "null"], "exclusiveMinimum": 0}


def check_step(value, step) -> bool:
    """True if ``value`` lies on the criterion's step grid (or there is no step)."""
    return step is None or is_multiple(value, to_fraction(step))


class Stepped:
    keys = ("step",)
    takes_inputs = False

    def __init__(self, name: str, role: str, default_step: Decimal | None, sign: str = ""):
        self.name, self.role, self.default_step, self.sign = name, role, default_step, sign

    def parse(self, p, raw, path, points):
        step = number_of(p, raw, "step", path, positive=True)
        return {"step": self.default_step if step is None else step}

    def value_problems(self, criterion, value):
        if not is_number(value) or not within_limits(value):
            problem = number_problem(value, N_("value"))
            if problem is not None:
                return [problem]
        number = to_fraction(value)
        if number < 0 or number > to_fraction(criterion.points):
            return [N_("value %(value)s is out of range 0..%(max)s", value=given(value),
                       max=criterion.points)]
        if not check_step(number, criterion.step):
            return [N_("value %(value)s is not a multiple of the step %(step)s",
                       value=given(value), step=criterion.step)]
        return []

    def is_answered(self, criterion, answer):
        return answer.get("value") is not None

    def score(self, criterion, answer):
        value = to_decimal(answer.get("value"))
        # never more than the criterion's points, whatever old data holds (answers are
        # checked against the range when stored; this keeps totals sane regardless)
        return Outcome(min(max(value, Decimal(0)), criterion.points), value)

    def canonical(self, criterion, value):
        return value

    def words(self, criterion, value, computed):
        return (Shown(value),) if is_number(value) else (str(value),)

    def rules(self, criterion):
        if criterion.step is None:
            return ()
        return ((N_("0 to %(max)s in steps of %(step)s", max=criterion.points,
                    step=criterion.step),),)

    def describe(self, criterion):
        return {"value": "number"}

    def schema(self):
        return {"properties": {"step": STEP_SCHEMA}}


SCORE = Stepped("score", "scored", DEFAULT_SCORE_STEP)
BONUS = Stepped("bonus", "adjustment", None, "+")
PENALTY = Stepped("penalty", "adjustment", None, "−")
