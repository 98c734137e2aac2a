"""``ratio``: 100 × Σ numerator / Σ denominator of number inputs, scored by bands or
proportionally; ``on_zero`` says what a zero denominator means."""
from __future__ import annotations

from fractions import Fraction

from ..messages import N_
from ..numbers import round_half_up
from .answers import AnsweredWithInputs, band_points, sum_inputs
from .base import Outcome, Shown
from .fields import describe, flag_of, input_refs, join, score_bands
from .inputs import (
    BANDS_SCHEMA,
    DECIMAL_SCHEMA,
    INPUTS_SCHEMA,
    REFS_SCHEMA,
    band_rules,
    bands_description,
    describe_inputs,
    parse_inputs,
)

ON_ZERO = ("na", "full", "zero")


def ratio_percent(criterion, inputs) -> Fraction | None:
    """100 × Σnumerator / Σdenominator, exactly; None when the denominator is 0."""
    denominator = sum_inputs(inputs, criterion.denominator)
    if denominator == 0:
        return None
    return 100 * sum_inputs(inputs, criterion.numerator) / denominator


class Ratio(AnsweredWithInputs):
    name = "ratio"
    role = "scored"
    keys = ("inputs", "numerator", "denominator", "bands", "proportional", "on_zero", "decimal",
            "may_exceed", "at_most_denominator")
    takes_inputs = True
    sign = ""

    def parse(self, p, raw, path, points):
        out = parse_inputs(p, raw, path, "ratio", required=True)
        out["numerator"] = input_refs(p, raw, "numerator", path, out["inputs"])
        out["denominator"] = input_refs(p, raw, "denominator", path, out["inputs"])
        proportional = flag_of(p, raw, "proportional", path)
        out["proportional"] = proportional
        has_bands = raw.get("bands") is not None
        if proportional and has_bands:
            p.add(path, N_("give either bands or proportional: true, not both"))
        elif not proportional and not has_bands:
            p.add(path, N_("a ratio criterion needs bands or proportional: true"))
        if has_bands:
            out["bands"] = score_bands(p, raw.get("bands"), join(path, "bands"), points)
        on_zero = raw.get("on_zero", "na")
        if on_zero not in ON_ZERO:
            p.add(join(path, "on_zero"), N_("must be one of %(allowed)s, got %(value)s",
                                            allowed=", ".join(ON_ZERO), value=describe(on_zero)))
            on_zero = "na"
        out["on_zero"] = on_zero
        out["may_exceed"] = flag_of(p, raw, "may_exceed", path)
        out["at_most_denominator"] = flag_of(p, raw, "at_most_denominator", path)
        if out["may_exceed"] and out["at_most_denominator"]:
            p.add(path, N_("may_exceed and at_most_denominator contradict each other: give one"))
        return out

    def score(self, criterion, answer):
        cmax = criterion.points
        percent = ratio_percent(criterion, answer["inputs"])
        if percent is None:
            # something counted out of nothing (5 apology slips, 0 late files): the two
            # figures may be swapped — flagged as a ratio above 100 % is
            check = ("over_100" if sum_inputs(answer["inputs"], criterion.numerator) > 0
                     and not criterion.may_exceed else None)
            if criterion.on_zero == "na":
                return Outcome(None, check=check, status="na")
            return Outcome(Fraction(cmax) if criterion.on_zero == "full" else Fraction(0),
                           check=check)
        if criterion.proportional:
            exact = min(Fraction(cmax), Fraction(cmax) * percent / 100)
        else:
            exact = band_points(criterion, percent)
        check = "over_100" if percent > 100 and not criterion.may_exceed else None
        return Outcome(exact, round_half_up(percent), check)

    def canonical(self, criterion, value):
        return value

    def words(self, criterion, value, computed):
        return () if computed is None else (Shown(computed, "percent"),)

    def rules(self, criterion):
        proportional = ((N_("Points proportional to the ratio, at most %(max)s.",
                            max=criterion.points),),) if criterion.proportional else ()
        return proportional + band_rules(criterion, "%")

    def describe(self, criterion):
        return {**describe_inputs(criterion), "preview": "ratio",
                "numerator": list(criterion.numerator),
                "denominator": list(criterion.denominator),
                "bands": bands_description(criterion), "proportional": criterion.proportional,
                "on_zero": criterion.on_zero}

    def schema(self):
        return {
            "properties": {
                "inputs": INPUTS_SCHEMA, "numerator": REFS_SCHEMA, "denominator": REFS_SCHEMA,
                "bands": BANDS_SCHEMA,
                "proportional": {"description": "points × ratio, capped at points (instead of "
                                                "bands).", "$ref": "#/$defs/optionalFlag"},
                "on_zero": {"description": "When the denominator sums to 0: na (default), full "
                                           "or zero.", "enum": list(ON_ZERO)},
                "decimal": DECIMAL_SCHEMA,
                "may_exceed": {"description": "ratio: a result above 100% is plausible (e.g. "
                                              "revenue against estimate) and is not flagged for "
                                              "a second look.", "$ref": "#/$defs/optionalFlag"},
                "at_most_denominator": {"description": "ratio: the numerator cannot exceed the "
                                                       "denominator by definition; such answers "
                                                       "are refused.",
                                        "$ref": "#/$defs/optionalFlag"},
            },
            "required": ["inputs", "numerator", "denominator"],
            "then": {
                "properties": {"inputs": {"$ref": "#/$defs/numberInputs"}},
                "if": {"properties": {"proportional": {"const": True}},
                       "required": ["proportional"]},
                "then": {"not": {"properties": {"bands": {"type": "array"}},
                                 "required": ["bands"]}},
                "else": {"required": ["bands"], "properties": {"bands": {"type": "array"}}},
            },
        }
