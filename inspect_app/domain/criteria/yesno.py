"""``yesno``: met or not; yes earns the criterion's points, no earns 0."""
from __future__ import annotations

from decimal import Decimal

from ..messages import N_
from ..numbers import shown
from .base import Outcome


class YesNo:
    name = "yesno"
    role = "scored"
    keys: tuple[str, ...] = ()
    takes_inputs = False
    sign = ""

    def parse(self, p, raw, path, points):
        return {}

    def value_problems(self, criterion, value):
        if not isinstance(value, bool):
            return [N_("value must be true or false, got %(value)s", value=shown(value))]
        return []

    def is_answered(self, criterion, answer):
        return answer.get("value") is not None

    def score(self, criterion, answer):
        value = answer.get("value")
        return Outcome(criterion.points if value else Decimal(0), value)

    def canonical(self, criterion, value):
        return value

    def words(self, criterion, value, computed):
        return (N_("Yes") if value else N_("No"),)

    def rules(self, criterion):
        return ()

    def describe(self, criterion):
        return {"value": "bool"}

    def schema(self):
        return {"properties": {}}
