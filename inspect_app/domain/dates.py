"""Dates as people in the province read them: the one place that turns a stored moment
(an ISO timestamp in UTC) into a local calendar date."""
from __future__ import annotations

import datetime as _dt
from zoneinfo import ZoneInfo


def local_date(moment: str | None, tz: str) -> _dt.date | None:
    """The calendar date of an ISO timestamp in time zone ``tz`` (naive timestamps are
    taken as UTC); ``None`` for no moment or one that is not a timestamp."""
    local = local_moment(moment, tz)
    return None if local is None else local.date()


def local_moment(moment: str | None, tz: str) -> _dt.datetime | None:
    """An ISO timestamp (naive: UTC) as an aware moment in time zone ``tz``; ``None`` for
    no moment or one that is not a timestamp."""
    if not moment:
        return None
    try:
        parsed = _dt.datetime.fromisoformat(moment)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.UTC)
    return parsed.astimezone(ZoneInfo(tz))


def day_start_utc(day: _dt.date, tz: str) -> str:
    """The moment local day ``day`` of ``tz`` starts, as a stored ISO UTC timestamp."""
    start = _dt.datetime.combine(day, _dt.time(), tzinfo=ZoneInfo(tz))
    return start.astimezone(_dt.UTC).isoformat()


def day_month_year(iso: str | None) -> str:
    """An ISO date as the province writes it, DD/MM/YYYY ("?" for none; an unreadable
    text as it is)."""
    try:
        return _dt.date.fromisoformat(iso or "").strftime("%d/%m/%Y")
    except ValueError:
        return iso or "?"
