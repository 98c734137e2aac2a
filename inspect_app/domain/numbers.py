"""Exact number handling shared by checklist parsing and scoring.

Scores are computed with :class:`fractions.Fraction` (exact, so a ratio of
89.996 % never rounds up into a 90 % band) and reported as
:class:`decimal.Decimal` rounded half-up to two places.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from fractions import Fraction

TWO_PLACES = Decimal("0.01")
#: Points are scored and shown to this many decimals: a checklist gives none finer.
POINT_DECIMALS = 2
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
        return Decimal(repr(float(value)))  # float(): numpy's repr is np.float64(…)
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
        wide = _context_for(whole.bit_length())
        result = wide.divide(Decimal(whole), Decimal(int(scale)))
        result = result.quantize(places, context=wide)
        return -result if value < 0 else result
    value = Decimal(value)
    context = _WIDE if value.adjusted() < 50 else _context_for(int(value.adjusted() * 3.33))
    return value.quantize(places, rounding=ROUND_HALF_UP, context=context)


def figure(value: object) -> float | None:
    """A figure as pages and charts show it: rounded half-up to two decimals from its
    decimal spelling (a float 88.945 is 88.945, not the binary 88.94499…; 3.125 → 3.13),
    as a float for JSON and pandas; None for anything that is not a finite number."""
    if isinstance(value, Fraction):
        return float(round_half_up(value))
    if not is_number(value):
        return None
    return float(round_half_up(to_decimal(value)))


def exact_mean(values: Iterable[object]) -> Fraction | None:
    """The exact mean of numbers taken by their decimal spelling (the mean of 88.94 and
    88.95 is 88.945 exactly, not a float sum's 88.94499…); None for no numbers."""
    numbers = [to_fraction(v) for v in values if is_number(v)]
    return sum(numbers, Fraction(0)) / len(numbers) if numbers else None


def _context_for(bits: int) -> Context:
    """A context wide enough for an integer of ``bits`` bits plus the two decimals: huge
    old values (10^309) round without InvalidOperation."""
    return _WIDE if bits < 180 else Context(prec=int(bits * 0.302) + 10)


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


# --------------------------------------------------------------------------- sane ranges

#: The largest magnitude any number in an answer may have (docs/checklists.md, "Numbers").
MAX_NUMBER = Decimal(10) ** 12
#: At most this many digits after the decimal mark.
MAX_DECIMALS = 6
#: At most this many significant digits: every such number survives JSON (a binary float).
MAX_DIGITS = 15


def decimals_of(number: Decimal) -> int:
    """How many digits follow the decimal mark (3.50 → 1; 1200 → 0)."""
    exponent = number.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def digits_of(number: Decimal) -> int:
    """Significant digits of a finite number (1200 → 2; 0.0012 → 2; 1.25 → 3)."""
    return len(number.normalize().as_tuple().digits)


def within_limits(value: object) -> bool:
    """True for a finite number inside the bounds above."""
    if not is_number(value):
        return False
    number = to_decimal(value)
    return (abs(number) <= MAX_NUMBER and decimals_of(number) <= MAX_DECIMALS
            and digits_of(number) <= MAX_DIGITS)


def shown(value: object) -> str:
    """A value as a message names it: a number as its plain decimal spelling
    (1e+12 → 1000000000000); true, false, null, NaN and Infinity as a JSON client wrote
    them (not Python's True, None, nan), also inside a list or an object (cut after
    120 characters); anything else as written ('có')."""
    if is_number(value):
        number = to_decimal(value)
        if abs(number) > MAX_NUMBER * 1000:
            sign = "-" if number < 0 else ""
            return f"{sign}{abs(number):.3E}"
        return format(number.normalize(), "f")
    if value is None or isinstance(value, bool | float):
        return json.dumps(value)
    if isinstance(value, list | dict):
        written = json.dumps(value, ensure_ascii=False, default=str)
        return written if len(written) <= 120 else written[:119] + "…"
    return repr(value)


# --------------------------------------------------------------------------- typed numbers
#
# What a person typed in a number box, read by the rules of their language: the locale's
# decimal mark and its thousands separator (Vietnamese "," and ".", English "." and ",").
# The marks come from Babel at the edge (inspect_app.formatting.number_symbols); the same
# rules run in the browser (static/numbers.js) and a test checks that both agree.

_SPACES = "\u0020\u00a0\u202f\u2009"
_MINUS = "-\u2212"


class NumberUnclear(ValueError):
    """A typed number that cannot be read for sure; ``kind`` says why and ``readings``
    lists what it could mean (exact Decimals): ``not_a_number`` (no reading),
    ``two_readings`` (two readings), ``other_way`` (one reading, in the other
    convention), ``not_whole`` (a decimal in a whole-number box)."""

    def __init__(self, kind: str, text: str, readings: tuple[Decimal, ...] = ()):
        super().__init__(f"{kind}: {text!r}")
        self.kind, self.text, self.readings = kind, text, readings


def _read_with(body: str, decimal: str, group: str) -> Decimal | None:
    """``body`` (digits and marks, no sign) read with these marks, or None if it breaks
    the rules: one decimal mark at most, digits after it; groups of three digits after a
    first group of one to three."""
    if body.count(decimal) > 1:
        return None
    whole, _, fraction = body.partition(decimal)
    if group in fraction or (decimal in body and not fraction):
        return None
    if group in whole:
        parts = whole.split(group)
        if not (1 <= len(parts[0]) <= 3) or any(len(part) != 3 for part in parts[1:]):
            return None
        whole = "".join(parts)
    if not (whole or fraction) or not (whole + fraction).isdigit():
        return None
    return Decimal(f"{whole or '0'}.{fraction}" if fraction else whole)


def read_number(text: str, decimal: str = ",", group: str = ".", *,
                whole: bool = False) -> Decimal:
    """The number a person typed, by their locale's ``decimal`` mark and ``group``
    separator: with "," and "." (Vietnamese) 3.200 = 3200, 3,5 = 3.5, 3.350,5 = 3350.5.

    Spaces group thousands too (37 284). Raises :class:`NumberUnclear` for what cannot be
    read for sure: "3.20" in Vietnamese (3,2 or 320?), "3,350.5" (written the English
    way), or a decimal in a ``whole``-number box ("1,234" there: 1,234 or 1.234?).
    """
    raw = str(text).strip()
    body = raw
    sign = 1
    if body[:1] in _MINUS:
        sign, body = -1, body[1:].lstrip()
    elif body[:1] == "+":
        body = body[1:].lstrip()
    for space in _SPACES:
        body = body.replace(space, group)
    if not body or any(ch not in "0123456789" + decimal + group for ch in body):
        raise NumberUnclear("not_a_number", raw)
    mine = _read_with(body, decimal, group)
    theirs = _read_with(body, group, decimal)  # the other convention, marks swapped
    if mine is not None:
        if whole and mine != mine.to_integral_value():
            if theirs is not None and theirs == theirs.to_integral_value():
                raise NumberUnclear("two_readings", raw, (sign * mine, sign * theirs))
            raise NumberUnclear("not_whole", raw, (sign * mine,))
        return sign * mine if mine else Decimal(0)  # "-0" is 0, never shown "-0"
    if theirs is not None:
        marks = {ch for ch in body if not ch.isdigit()}
        joined = Decimal("".join(ch for ch in body if ch.isdigit()))
        if len(marks) == 1 and body.count(group) == 1 and joined != theirs:
            # one mark only, in the wrong place for a thousands separator: "3.20"
            raise NumberUnclear("two_readings", raw, (sign * theirs, sign * joined))
        raise NumberUnclear("other_way", raw, (sign * theirs,))
    raise NumberUnclear("not_a_number", raw)
