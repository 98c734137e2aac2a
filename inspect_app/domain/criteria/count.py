"""``count``: Σ of number inputs, scored by bands."""
from __future__ import annotations

from ..numbers import to_decimal
from .answers import AnsweredWithInputs, band_points, sum_inputs
from .base import Outcome, Shown
from .fields import input_refs, join, score_bands
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


class Count(AnsweredWithInputs):
    name = "count"
    role = "scored"
    keys = ("inputs", "count", "bands", "decimal")
    takes_inputs = True
    sign = ""

    def parse(self, p, raw, path, points):
        out = parse_inputs(p, raw, path, "count", required=True)
        out["count"] = input_refs(p, raw, "count", path, out["inputs"])
        out["bands"] = score_bands(p, raw.get("bands"), join(path, "bands"), points)
        return out

    def score(self, criterion, answer):
        total = sum_inputs(answer["inputs"], criterion.count)
        return Outcome(band_points(criterion, total),
                       to_decimal(total.numerator) / to_decimal(total.denominator))

    def canonical(self, criterion, value):
        return value

    def words(self, criterion, value, computed):
        return () if computed is None else (Shown(computed, "sum"),)

    def rules(self, criterion):
        return band_rules(criterion)

    def describe(self, criterion):
        return {**describe_inputs(criterion), "preview": "count", "count": list(criterion.count),
                "bands": bands_description(criterion)}

    def schema(self):
        return {
            "properties": {"inputs": INPUTS_SCHEMA, "count": REFS_SCHEMA, "bands": BANDS_SCHEMA,
                           "decimal": DECIMAL_SCHEMA},
            "required": ["inputs", "count", "bands"],
            "then": {"properties": {"inputs": {"$ref": "#/$defs/numberInputs"},
                                    "bands": {"type": "array"}}},
        }
