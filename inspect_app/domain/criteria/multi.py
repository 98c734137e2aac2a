"""``multi``: several options may apply, each with its points (issue 10).

Answered ``{"value": [option values]}``: distinct, known values; ``[]`` is an answer
(none applies) worth 0. The points are the sum of the chosen options' points, capped
at the criterion's ``points``; bands are not used.
"""
from __future__ import annotations

from decimal import Decimal

from ..messages import N_
from ..numbers import shown
from .base import Outcome
from .choice import OPTIONS_SCHEMA, option_rules, options_description, unknown_option
from .fields import join, options_of


class Multi:
    name = "multi"
    role = "scored"
    keys = ("options",)
    takes_inputs = False
    sign = ""

    def parse(self, p, raw, path, points):
        return {"options": options_of(p, raw.get("options"), join(path, "options"), points)}

    def value_problems(self, criterion, value):
        if not isinstance(value, list):
            return [N_("value must be a list of the options that apply, got %(value)s",
                       value=shown(value))]
        problems, seen = [], set()
        for item in value:
            option = None if isinstance(item, (list, dict)) else criterion.option(item)
            if option is None:
                problems.append(unknown_option(criterion, item))
            elif option.value in seen:
                problems.append(N_("option %(value)s is listed twice", value=shown(item)))
            else:
                seen.add(option.value)
        return problems

    def is_answered(self, criterion, answer):
        return answer.get("value") is not None

    def _chosen(self, criterion, value):
        chosen = {criterion.option(item) for item in value or ()}
        return [o for o in criterion.options if o in chosen]

    def score(self, criterion, answer):
        chosen = self._chosen(criterion, answer.get("value"))
        total = sum((o.points for o in chosen), Decimal(0))
        return Outcome(min(total, criterion.points), [o.value for o in chosen])

    def canonical(self, criterion, value):
        return [o.value for o in self._chosen(criterion, value)]

    def words(self, criterion, value, computed):
        chosen = self._chosen(criterion, value if isinstance(value, list) else ())
        if not chosen:
            return (N_("None of them"),)
        return tuple(o.label for o in chosen)

    def rules(self, criterion):
        return option_rules(criterion) + (
            (N_("The points of every option that applies add up, at most %(max)s.",
                max=criterion.points),),)

    def describe(self, criterion):
        return {"value": "options", "options": options_description(criterion),
                "preview": "options"}

    def schema(self):
        return {"properties": {"options": OPTIONS_SCHEMA}, "required": ["options"]}
