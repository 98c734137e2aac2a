"""Time in one place, so tests can pin it and deadlines use the configured zone."""
from __future__ import annotations

import datetime as _dt
import time
from contextvars import ContextVar, Token
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


def now_utc() -> _dt.datetime:
    """The current moment, timezone-aware UTC."""
    return _dt.datetime.now(_dt.UTC)


def now_iso() -> str:
    """The current moment as an ISO 8601 UTC string (seconds precision)."""
    return now_utc().replace(microsecond=0).isoformat()


def epoch() -> float:
    """Seconds since the epoch (for throttling windows)."""
    return time.time()


#: The zone of the request being served (the app's ``TIMEZONE``, set by the web layer for
#: each request and reset after it): the one default of :func:`today`, so that every
#: deadline a service checks is counted in the zone the pages show.
_ZONE: ContextVar[str | None] = ContextVar("inspect_zone", default=None)


def use_zone(tz: str | None) -> Token:
    """Count local days in ``tz`` (the request's zone) until :func:`end_zone` is given
    the returned token."""
    return _ZONE.set(tz)


def end_zone(token: Token) -> None:
    _ZONE.reset(token)


def today(tz: str | None = None) -> _dt.date:
    """Today's date in ``tz`` (default: the zone of the request being served, else
    Vietnam): deadlines and overdue use local dates.

    Derived from :func:`now_utc`, so a test that pins the moment pins the date too."""
    return now_utc().astimezone(ZoneInfo(tz or _ZONE.get() or DEFAULT_TZ)).date()
