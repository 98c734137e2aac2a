"""``info``: facts recorded only (a value, or text/number/date inputs), no points; its
``actions`` inputs feed the remediation plan."""
from __future__ import annotations

from ..messages import N_
from ..numbers import is_number, to_decimal, within_limits
from .answers import number_problem
from .base import Outcome, Shown
from .fields import action_inputs, join
from .inputs import DECIMAL_SCHEMA, INPUTS_SCHEMA, describe_inputs, parse_inputs


class Info:
    name = "info"
    role = "info"
    keys = ("inputs", "decimal", "actions")
    takes_inputs = True
    sign = ""

    def parse(self, p, raw, path, points):
        out = parse_inputs(p, raw, path, "info", required=False)
        out["actions"] = action_inputs(p, raw.get("actions"), join(path, "actions"),
                                       out["inputs"])
        return out

    def value_problems(self, criterion, value):
        if isinstance(value, (list, dict)):
            return [N_("value must be text, a number or true/false")]
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and not within_limits(abs(to_decimal(value))):
            return [number_problem(abs(to_decimal(value)) if is_number(value) else value,
                                   N_("value"))]
        return []

    def is_answered(self, criterion, answer):
        return answer.get("value") is not None or any(
            v is not None for v in (answer.get("inputs") or {}).values())

    def score(self, criterion, answer):
        return Outcome(None, answer.get("value"), status="info")

    def canonical(self, criterion, value):
        return value

    def words(self, criterion, value, computed):
        if value is None:
            return ()
        if isinstance(value, bool):
            return (N_("Yes") if value else N_("No"),)
        return (Shown(value),) if is_number(value) else (str(value),)

    def rules(self, criterion):
        return ()

    def describe(self, criterion):
        return {**describe_inputs(criterion), "value": "text"}

    def schema(self):
        return {"properties": {"inputs": INPUTS_SCHEMA, "decimal": DECIMAL_SCHEMA,
                               "actions": {"$ref": "#/$defs/actions"}}}
