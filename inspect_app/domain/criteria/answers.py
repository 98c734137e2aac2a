"""What the answer rules of several criterion types share: numbers, inputs, sums, bands.

Standard library only.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..messages import N_, Message
from ..numbers import (
    MAX_DECIMALS,
    MAX_DIGITS,
    MAX_NUMBER,
    decimals_of,
    digits_of,
    is_number,
    shown,
    to_decimal,
    to_fraction,
    within_limits,
)

if TYPE_CHECKING:
    from ..checklist import Criterion


def is_iso_date(value: Any) -> bool:
    """True for a ``YYYY-MM-DD`` text that is a real date."""
    if not isinstance(value, str):
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def given(value: Any) -> Any:
    """A value as a message shows it: numbers as numbers (formatted the user's way when
    short), anything else as written (``'có'``, ``True``)."""
    if is_number(value) and within_limits(value):
        return to_decimal(value)
    return shown(value)


def number_problem(value: Any, name: str, *, whole: bool = False, low: Decimal | None = None,
                   high: Decimal | None = None) -> Message | None:
    """Why ``value`` is not an acceptable number for ``name`` (None when it is).

    Every number in an answer is finite, not negative, at most 10^12 with at most six
    decimals (and 15 significant digits); ``whole`` refuses decimals; ``low``/``high``
    are a checklist's narrower bounds.
    """
    if not is_number(value):
        if isinstance(value, float):  # NaN, infinity: JSON writers send these for overflow
            return N_("%(name)s must be a finite number, got %(value)s", name=name,
                      value=shown(value))
        return N_("%(name)s must be a number, got %(value)s", name=name, value=shown(value))
    number = to_decimal(value)
    if number < 0:
        return N_("%(name)s must not be negative, got %(value)s", name=name, value=given(value))
    # a number as typed, every digit (formatted the user's way), unless absurdly large
    spelled = number if number <= MAX_NUMBER * 1000 else shown(value)
    if number > MAX_NUMBER:
        return N_("%(name)s is too large: %(value)s (at most %(max)s)", name=name,
                  value=spelled, max=MAX_NUMBER)
    if decimals_of(number) > MAX_DECIMALS or digits_of(number) > MAX_DIGITS:
        return N_("%(name)s has too many digits: %(value)s (at most %(places)s decimals and "
                  "%(digits)s digits in all)", name=name, value=spelled,
                  places=MAX_DECIMALS, digits=MAX_DIGITS)
    if whole and number != number.to_integral_value():
        return N_("%(name)s must be a whole number, got %(value)s", name=name,
                  value=given(value))
    if low is not None and number < low:
        return N_("%(name)s must be at least %(min)s, got %(value)s", name=name, min=low,
                  value=given(value))
    if high is not None and number > high:
        return N_("%(name)s must be at most %(max)s, got %(value)s", name=name, max=high,
                  value=given(value))
    return None


def _input_name(spec: Any) -> Message:
    return N_("input “%(label)s”", label=spec.label)


def input_problems(criterion: Criterion, inputs: Any) -> list[Message]:
    """Why the ``inputs`` of an answer do not fit the criterion's inputs."""
    if inputs is None:
        return []
    if not isinstance(inputs, Mapping):
        return [N_("inputs must be an object {input_id: number}")]
    problems = []
    for key, value in inputs.items():
        spec = criterion.input(str(key))
        if spec is None:
            known = ", ".join(i.id for i in criterion.inputs) or "none"
            problems.append(N_("unknown input %(key)s (inputs: %(known)s)", key=repr(key),
                               known=known))
            continue
        if value is None:
            continue
        if spec.kind == "text":
            if not isinstance(value, str):
                problems.append(N_("%(name)s must be text", name=_input_name(spec)))
            continue
        if spec.kind == "date":
            if not is_iso_date(value):
                problems.append(N_("%(name)s must be a date YYYY-MM-DD, got %(value)s",
                                   name=_input_name(spec), value=repr(value)))
            continue
        problem = number_problem(value, _input_name(spec), whole=not criterion.decimal,
                                 low=spec.min, high=spec.max)
        if problem:
            problems.append(problem)
    if not problems and criterion.at_most_denominator:
        problems.extend(_beyond_denominator(criterion, inputs))
    return problems


def _beyond_denominator(criterion: Criterion, inputs: Mapping[str, Any]) -> list[Message]:
    """A numerator that by definition cannot exceed the denominator (``at_most_denominator``)."""
    if not all(inputs.get(i) is not None for i in criterion.required_inputs):
        return []
    numerator = sum_inputs(inputs, criterion.numerator)
    denominator = sum_inputs(inputs, criterion.denominator)
    if numerator <= denominator:
        return []
    labels = {spec.id: spec.label for spec in criterion.inputs}
    return [N_("“%(numerator)s” (%(num)s) cannot be more than “%(denominator)s” (%(den)s)",
               numerator=" + ".join(labels[i] for i in criterion.numerator),
               denominator=" + ".join(labels[i] for i in criterion.denominator),
               num=to_decimal(numerator.numerator) / to_decimal(numerator.denominator),
               den=to_decimal(denominator.numerator) / to_decimal(denominator.denominator))]


def sum_inputs(inputs: Mapping[str, Any], ids: tuple[str, ...]) -> Fraction:
    """The exact sum of the named inputs (all must be given)."""
    return sum((to_fraction(inputs[i]) for i in ids), Fraction(0))


def band_points(criterion: Criterion, value: Fraction) -> Fraction:
    """The points of the first band that ``value`` falls in (0 when none)."""
    for band in criterion.bands:
        if band.matches(value):
            return Fraction(band.points)
    return Fraction(0)


def has_required_inputs(criterion: Criterion, answer: Mapping[str, Any] | None) -> bool:
    """True when every input that the criterion's formula uses is given."""
    inputs = (answer or {}).get("inputs") or {}
    return all(inputs.get(i) is not None for i in criterion.required_inputs)


class AnsweredWithInputs:
    """The answer hooks of a type answered with figures only (ratio, count): a value is
    refused, and it is answered once every required input is given."""

    name: str

    def value_problems(self, criterion: Criterion, value: Any) -> list[Message]:
        return [N_("a %(type)s criterion is answered with inputs, not a value", type=self.name)]

    def is_answered(self, criterion: Criterion, answer: Mapping[str, Any]) -> bool:
        return has_required_inputs(criterion, answer)
