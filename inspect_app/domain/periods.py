"""Reporting periods: ``2025`` (year), ``2025-H1`` (half), ``2025-Q1`` (quarter),
``2025-03`` (month) and ``2025-W14`` (ISO week)."""
from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata
from dataclasses import dataclass

from .messages import N_

_PATTERNS = (
    ("year", re.compile(r"(\d{4})")),
    ("half", re.compile(r"(\d{4})-H([12])")),
    ("quarter", re.compile(r"(\d{4})-Q([1-4])")),
    ("month", re.compile(r"(\d{4})-(0[1-9]|1[0-2])")),
    ("week", re.compile(r"(\d{4})-W(\d{2})")),
)
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_ROMAN_NUMBER = {v.lower(): k for k, v in _ROMAN.items()}
#: The languages :meth:`Period.label` writes; what it writes in each is read back.
LABEL_LOCALES = ("vi", "en")
#: Other ways people write periods in Vietnamese (without "năm", "Q1/2025", "03/2025",
#: "Tuần 14/2025"), lower case and NFC, each with how to write its code.
_WRITTEN = (
    (re.compile(r"(?:năm\s*)?(\d{4})"), lambda m: m.group(1)),
    (re.compile(r"6\s*tháng\s*(đầu|cuối)\s*(?:năm\s*)?(\d{4})"),
     lambda m: f"{m.group(2)}-H{1 if m.group(1) == 'đầu' else 2}"),
    (re.compile(r"(?:quý|q)\s*(i{1,3}|iv|[1-4])\s*(?:năm|/|-|\s)\s*(\d{4})"),
     lambda m: f"{m.group(2)}-Q{_ROMAN_NUMBER.get(m.group(1)) or int(m.group(1))}"),
    (re.compile(r"(?:tháng\s*)?(0?[1-9]|1[0-2])\s*(?:năm|/|-)\s*(\d{4})"),
     lambda m: f"{m.group(2)}-{int(m.group(1)):02d}"),
    (re.compile(r"tuần\s*(\d{1,2})\s*(?:năm|/|-)\s*(\d{4})"),
     lambda m: f"{m.group(2)}-W{int(m.group(1)):02d}"),
)


def _folded(text: str) -> str:
    """``text`` as periods are compared: NFC, lower case, commas and runs of spaces as
    one space ("Week 14, 2025" → "week 14 2025")."""
    return " ".join(unicodedata.normalize("NFC", text).replace(",", " ").lower().split())


def _as_code(text: str) -> str:
    """A period as the pages write it (:meth:`Period.label`, in every language of
    :data:`LABEL_LOCALES`: "Quý I năm 2025", "Q1 2025", "March 2025", "Week 14, 2025") or
    as people write it in Vietnamese ("Q1/2025", "03/2025", "Tuần 14/2025") as its code;
    else as it was."""
    written = _folded(text)
    for pattern, code in _WRITTEN:
        match = pattern.fullmatch(written)
        if match:
            return code(match)
    years = re.findall(r"\d{4}", written)
    if len(years) == 1:
        return _labels_of(int(years[0])).get(written, text)
    return text


@functools.lru_cache(maxsize=32)
def _labels_of(year: int) -> dict[str, str]:
    """Every period of ``year`` by its label in each language (folded) → its code."""
    if not 2000 <= year <= 2100:
        return {}
    kinds = [("year", 0)] + [("half", n) for n in (1, 2)] + [("quarter", n) for n in range(1, 5)]
    kinds += [("month", n) for n in range(1, 13)] + [("week", n) for n in range(1, 54)]
    labels = {}
    for kind, number in kinds:
        period = _period(kind, year, number)
        if period is not None:
            labels.update({_folded(period.label(locale)): period.code
                           for locale in LABEL_LOCALES})
    return labels


class PeriodError(ValueError):
    """A period string is not one of the accepted forms."""


@dataclass(frozen=True)
class Period:
    """A parsed period with its first and last day."""

    code: str
    kind: str
    year: int
    number: int  # half, quarter, month or week number; 0 for a year
    start: _dt.date
    end: _dt.date

    def label(self, locale: str = "vi") -> str:
        """Human name: "Quý I năm 2025" / "Q1 2025"."""
        vi = locale.startswith("vi")
        if self.kind == "year":
            return f"Năm {self.year}" if vi else str(self.year)
        if self.kind == "half":
            if vi:
                return f"6 tháng {'đầu' if self.number == 1 else 'cuối'} năm {self.year}"
            return f"H{self.number} {self.year}"
        if self.kind == "quarter":
            return f"Quý {_ROMAN[self.number]} năm {self.year}" if vi else f"Q{self.number} {self.year}"
        if self.kind == "month":
            return f"Tháng {self.number} năm {self.year}" if vi else f"{self.start:%B} {self.year}"
        return f"Tuần {self.number} năm {self.year}" if vi else f"Week {self.number}, {self.year}"


def parse_period(code: str) -> Period:
    """Parse a period code (or a period written as :func:`_as_code` reads it); raise
    :class:`PeriodError` naming the accepted forms."""
    text = _as_code((code or "").strip()).upper()
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(text)
        if not match:
            continue
        number = int(match.group(2)) if match.lastindex and match.lastindex > 1 else 0
        period = _period(kind, int(match.group(1)), number)
        if period is not None:
            return period
        break
    raise PeriodError(N_("%(code)s is not a period: write it like 2025, 2025-H1, 2025-Q1, "
                         "2025-03 or 2025-W14 (or Năm 2025, Quý I năm 2025, 03/2025)",
                         code=repr(code)))


_CODES = {"year": "{y}", "half": "{y}-H{n}", "quarter": "{y}-Q{n}", "month": "{y}-{n:02d}",
          "week": "{y}-W{n:02d}"}


def _period(kind: str, year: int, number: int) -> Period | None:
    """The period of ``kind`` numbered ``number`` in ``year``; None when there is none
    (a year outside 2000–2100, week 53 of a year of 52)."""
    if not 2000 <= year <= 2100:
        return None
    if kind == "year":
        start, end = _dt.date(year, 1, 1), _dt.date(year, 12, 31)
    elif kind == "half":
        start = _dt.date(year, 1 if number == 1 else 7, 1)
        end = _dt.date(year, 6, 30) if number == 1 else _dt.date(year, 12, 31)
    elif kind == "quarter":
        start = _dt.date(year, 3 * number - 2, 1)
        end = _month_end(year, 3 * number)
    elif kind == "month":
        start, end = _dt.date(year, number, 1), _month_end(year, number)
    else:
        try:
            start = _dt.date.fromisocalendar(year, number, 1)
        except ValueError:
            return None
        end = start + _dt.timedelta(days=6)
    return Period(_CODES[kind].format(y=year, n=number), kind, year, number, start, end)


def period_end(code: str) -> str:
    """The ISO day a period ends (``9999-12-31`` for a code that is not one: old data)."""
    try:
        return parse_period(code).end.isoformat()
    except PeriodError:
        return "9999-12-31"


def _month_end(year: int, month: int) -> _dt.date:
    nxt = _dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - _dt.timedelta(days=1)


def period_of(kind: str, day: _dt.date) -> str:
    """The period code of ``kind`` that contains ``day`` (for defaults in forms)."""
    if kind == "week":
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if kind == "half":
        return f"{day.year}-H{1 if day.month <= 6 else 2}"
    if kind == "month":
        return f"{day.year}-{day.month:02d}"
    return str(day.year)


def default_period(period_kind: str | None, record_kind: str, day: _dt.date) -> str:
    """The period a record started on ``day`` most likely covers: the current period of
    the checklist's cadence (``period_kind``, e.g. "week"); for a checklist without one,
    the current week for a self-check and the current year otherwise."""
    if period_kind is None:
        period_kind = "week" if record_kind == "self_check" else "year"
    return period_of(period_kind, day)


def fits_cadence(period: Period, period_kind: str | None) -> bool:
    """True if ``period`` is of the kind the checklist's cadence asks (any without one)."""
    return period_kind is None or period.kind == period_kind
