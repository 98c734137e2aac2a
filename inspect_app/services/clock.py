"""Time in one place, so tests can pin it and deadlines use the configured zone."""
from __future__ import annotations

import datetime as _dt
import time
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


def today(tz: str = DEFAULT_TZ) -> _dt.date:
    """Today's date in ``tz`` (Vietnam by default): deadlines and overdue use local dates.

    Derived from :func:`now_utc`, so a test that pins the moment pins the date too."""
    return now_utc().astimezone(ZoneInfo(tz)).date()
