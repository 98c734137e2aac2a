"""What the types answered with ``inputs`` (ratio, count, info) share: parsing the
``inputs`` and ``decimal`` keys, the inputs' schema and their description for the browser."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from ..messages import N_
from .base import Shown, Word
from .fields import flag_of, input_fields, join

INPUTS_SCHEMA = {"$ref": "#/$defs/inputs"}
DECIMAL_SCHEMA = {"description": "Inputs may be decimal numbers (default: whole numbers).",
                  "$ref": "#/$defs/optionalFlag"}
BANDS_SCHEMA = {"anyOf": [{"$ref": "#/$defs/scoreBands"}, {"type": "null"}]}
REFS_SCHEMA = {"$ref": "#/$defs/inputRefs"}


def parse_inputs(p, raw, path, ctype: str, required: bool) -> dict:
    """``inputs`` and ``decimal`` of a criterion answered with inputs."""
    fields = input_fields(p, raw.get("inputs"), join(path, "inputs"), ctype)
    decimal = flag_of(p, raw, "decimal", path)
    if required and "inputs" not in raw:
        p.add(join(path, "inputs"), N_("is required for type %(type)s", type=ctype))
    return {"inputs": fields, "decimal": decimal}


def describe_inputs(criterion) -> dict:
    return {"inputs": [{"id": i.id, "label": i.label, "kind": i.kind} for i in criterion.inputs],
            "decimal": criterion.decimal}


def _exact(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def band_rules(criterion, unit: str = "") -> tuple[tuple[Word, ...], ...]:
    """One line per band: "80 – 89,99% → 1", "≥ 90% → 2", "otherwise → 0"."""
    out = []
    for band in criterion.bands:
        low = None if band.min is None else Shown(_exact(band.min))
        high = None if band.max is None else Shown(_exact(band.max))
        if low is not None and high is not None:
            reach: tuple[Word, ...] = (low, " – ", high, unit)
        elif low is not None:
            reach = ("≥ ", low, unit)
        elif high is not None:
            reach = ("≤ ", high, unit)
        else:
            reach = (OTHERWISE,)
        out.append(reach + (" → ", Shown(band.points)))
    return tuple(out)


OTHERWISE = N_("otherwise")


def bands_description(criterion) -> list[dict]:
    def num(value):
        return None if value is None else float(value)
    return [{"min": num(b.min), "max": num(b.max), "points": num(b.points)}
            for b in criterion.bands]
