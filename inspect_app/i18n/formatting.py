"""Locale-aware formatting for templates and documents (Babel).

Vietnamese by default: 61.475 · 88,95% · 07/04/2023; English: 61,475 · 88.95% ·
07/04/2023. Every function takes the locale explicitly so that it can be used
outside a request (exports, printed documents).
"""
from __future__ import annotations

import datetime as _dt
import functools
from decimal import Decimal
from typing import Any

from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.numbers import format_decimal, format_scientific, get_decimal_symbol, get_group_symbol

from ..domain.dates import local_date
from ..domain.numbers import round_half_up

#: From here on numbers are shown as 1,5E18: they are far beyond what answers accept
#: (10^12) and only old data can hold them.
HUGE = Decimal(10) ** 18

ROMAN = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


#: ``places`` for every decimal a number has, up to the six an answer may have.
ALL_DECIMALS = -1


def number(value: Any, locale: str = "vi", places: int | None = None) -> str:
    """A number with grouped thousands: 61.475; 1,5 (vi) — empty for None. Two decimals
    at most by default; ``places`` fixes them (0: none), ``ALL_DECIMALS`` keeps all."""
    if value is None or value == "":
        return ""
    return _number(str(value), locale, places)


@functools.lru_cache(maxsize=8192)
def _number(text: str, locale: str, places: int | None) -> str:
    # Pages show the same few hundred numbers over and over; Babel is slow per call.
    if places == ALL_DECIMALS:  # every decimal an answer may have (typed back into a box)
        pattern = "#,##0.######"
    else:
        pattern = "#,##0" if places == 0 else ("#,##0." + "0" * places if places else "#,##0.##")
    number = Decimal(text)
    if not number.is_finite():
        return text
    if abs(number) >= HUGE:  # old data beyond the limits: shown, never an error
        return format_scientific(number, "0.###E0", locale=locale)
    # rounded half-up here (3,125 → 3,13), Babel would round a half to even
    shown = round_half_up(number, Decimal(1).scaleb(-(6 if places == ALL_DECIMALS else
                                                      2 if places is None else places)))
    return format_decimal(shown, format=pattern, locale=locale)


def typed(value: Any, locale: str = "vi") -> str:
    """A stored number as it goes back into a number box: every decimal kept (up to the
    six that answers may have), grouped the locale's way so that the box reads it back
    the same (3.200 and 3,25 in vi; 3,200 and 3.25 in en). Huge old values that no longer
    fit the limits are shown plainly, never as an error."""
    if value is None or value == "" or isinstance(value, bool):
        return "" if value is None or value == "" else str(value)
    number = _shown_decimal(value)
    return str(value) if number is None else _number(str(number), locale, ALL_DECIMALS)


def _shown_decimal(value: Any) -> Decimal | None:
    """``value`` as a Decimal to format, None when it is shown as it is (not a number,
    not finite, beyond any limit)."""
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() and abs(number) < HUGE else None


def exact(value: Any, locale: str = "vi") -> str:
    """A number with every decimal it has, grouped the locale's way: what a message says
    a user typed (0,0000001 refused for its seventh decimal is not "0")."""
    number = _shown_decimal(value)
    if number is None:
        return str(value)
    places = max(0, -number.normalize().as_tuple().exponent)
    if places <= 6:
        return _number(str(number), locale, ALL_DECIMALS)
    return format_decimal(number, format="#,##0." + "0" * places, locale=locale)


@functools.lru_cache(maxsize=4)
def number_symbols(locale: str = "vi") -> dict[str, str]:
    """The decimal mark and thousands separator people type in this locale (Babel):
    {"decimal": ",", "group": "."} in vi; the browser's number reader gets the same."""
    return {"decimal": get_decimal_symbol(locale), "group": get_group_symbol(locale)}


def percent(value: Any, locale: str = "vi") -> str:
    """A percent value (88.95 means 88,95%) with two decimals and no space before %."""
    if value is None or value == "":
        return ""
    return _number(str(value), locale, 2) + "%"


def date(value: Any, locale: str = "vi", tz: str | None = None) -> str:
    """A date as dd/mm/yyyy (ISO strings accepted); empty for None. A moment (a stored
    UTC timestamp) is the calendar day it was in time zone ``tz`` (01:30 on 7 April in
    Vietnam is 18:30 UTC on the 6th: its day is the 7th); without ``tz``, its UTC day."""
    if not value:
        return ""
    if tz and (isinstance(value, _dt.datetime) or (isinstance(value, str) and len(value) > 10)):
        day = local_date(value.isoformat() if isinstance(value, _dt.datetime) else value, tz)
        if day is not None:
            return _format_date(day, "dd/MM/yyyy", locale=locale)
    if isinstance(value, str):
        try:
            value = _dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, _dt.datetime):
        value = value.date()
    return _format_date(value, "dd/MM/yyyy", locale=locale)


def datetime(value: Any, locale: str = "vi", tzinfo: Any = None) -> str:
    """A moment as ``dd/mm/yyyy HH:mm`` in the given time zone (ISO strings accepted)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return _format_datetime(value, "dd/MM/yyyy HH:mm", tzinfo=tzinfo, locale=locale)


def long_date_vi(value: _dt.date) -> str:
    """The long Vietnamese form of official documents: "ngày 07 tháng 4 năm 2023"."""
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def roman(n: int) -> str:
    """Roman numerals for section numbers (1 → I) up to XII; plain digits beyond."""
    return ROMAN[n] if 0 < n < len(ROMAN) else str(n)
