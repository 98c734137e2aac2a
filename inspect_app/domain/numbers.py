"""Exact number handling shared by checklist parsing and scoring.

Scores are computed with :class:`fractions.Fraction` (exact, so a ratio of
89.996 % never rounds up into a 90 % band) and reported as
:class:`decimal.Decimal` rounded half-up to two places.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from fractions import Fraction

TWO_PLACES = Decimal("0.01")
_WIDE = Context(prec=60)  # quantize never runs out of digits, whatever the magnitude


def is_number(value: object) -> bool:
    """True for int, float or Decimal values, but not for booleans or NaN/inf."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, Decimal)):
        return value.is_finite() if isinstance(value, Decimal) else True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    return False


def to_decimal(value: object) -> Decimal:
    """Convert a JSON/YAML number to Decimal without binary float noise (0.1 → 0.1)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:  # pragma: no cover - guarded by is_number
        raise ValueError(f"not a number: {value!r}") from exc


def to_fraction(value: object) -> Fraction:
    """Exact fraction of a JSON/YAML number (via its decimal spelling)."""
    return Fraction(to_decimal(value))


def round_half_up(value: Fraction | Decimal | int, places: Decimal = TWO_PLACES) -> Decimal:
    """Round an exact value half-up (away from zero on .5) to ``places``."""
    if isinstance(value, Fraction):
        scale = 1 / Fraction(places)  # e.g. 100 for two places
        scaled = abs(value) * scale
        whole, remainder = divmod(scaled.numerator, scaled.denominator)
        if 2 * remainder >= scaled.denominator:
            whole += 1
        result = Decimal(whole) / Decimal(int(scale))
        result = result.quantize(places)
        return -result if value < 0 else result
    return Decimal(value).quantize(places, rounding=ROUND_HALF_UP, context=_WIDE)


def json_number(value: Decimal | int | None) -> int | float | None:
    """A Decimal as the plainest JSON number: 5 not 5.00, 78.5 not 78.50."""
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    return float(value.normalize())


def is_multiple(value: Fraction, step: Fraction) -> bool:
    """True if ``value`` is an exact multiple of ``step`` (step > 0)."""
    return (value / step).denominator == 1
