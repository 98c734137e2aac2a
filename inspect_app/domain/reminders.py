"""The daily follow-up of remediation (issue 15 point 2): what each person should look
at today. Pure rules over item cards (``ItemSummary``) and a local date.

* A commune officer (role ``unit``): their unit's items that are overdue, and those
  due within :data:`SOON_DAYS` days (today included).
* An inspector: items waiting for verification (status ``done``) and overdue items of
  the units they inspect.

An entry's :attr:`DigestEntry.key` names the entry, not only the item: an item that was
"due soon" and becomes "overdue" is a new, unread entry. An item overdue by more than a
number of days is *escalated* (:func:`is_escalated`): the province sees it in a list of
its own.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import ITEM_CLOSED_STATUSES, ItemSummary
from .remediation import is_due_soon, is_overdue

#: An item is "due soon" when its deadline is within this many days from today.
SOON_DAYS = 7
#: The kinds of entries, in the order a digest lists them.
KINDS = ("overdue", "due_soon", "awaiting")
#: Which kinds each role gets (other roles get no digest).
KINDS_OF_ROLE = {"unit": ("overdue", "due_soon"), "inspector": ("overdue", "awaiting")}


@dataclass(frozen=True)
class DigestEntry:
    """One line of a digest: an item, why it is there and by how many days."""

    kind: str  # one of KINDS
    item: ItemSummary
    days: int = 0  # overdue: days late; due_soon: days left; awaiting: 0

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.item.id}"


@dataclass(frozen=True)
class Digest:
    """What one user should look at on ``day``; ``more`` counts the entries of each kind
    that a bounded read left out (the figures stay right, the list is capped)."""

    username: str
    day: _dt.date
    entries: tuple[DigestEntry, ...] = ()
    more: dict[str, int] = field(default_factory=dict)

    def of(self, kind: str) -> list[DigestEntry]:
        return [e for e in self.entries if e.kind == kind]

    def counts(self) -> dict[str, int]:
        """Entries of each kind (those left out included)."""
        return {kind: len(self.of(kind)) + self.more.get(kind, 0) for kind in KINDS}

    @property
    def total(self) -> int:
        return sum(self.counts().values())

    def unread(self, read: Iterable[str]) -> list[DigestEntry]:
        """The entries whose key is not in ``read``."""
        seen = set(read)
        return [e for e in self.entries if e.key not in seen]

    def unread_count(self, read: Iterable[str], read_more: dict[str, int] | None = None) -> int:
        """Unread entries; entries left out of the list count as unread, except as many
        of each kind as the user had in view ("and 14 more") when they marked all read
        (``read_more``, :func:`read_more_counts`)."""
        read_more = read_more or {}
        return len(self.unread(read)) + sum(max(0, n - read_more.get(kind, 0))
                                            for kind, n in self.more.items())


def _due(item: ItemSummary) -> _dt.date:
    return _dt.date.fromisoformat(item.due) if item.due else _dt.date.max


def classify(item: ItemSummary, today: _dt.date, kinds: Iterable[str],
             soon_days: int = SOON_DAYS) -> DigestEntry | None:
    """The entry of an item among ``kinds`` (overdue wins over the others), or None."""
    kinds = tuple(kinds)
    if "overdue" in kinds and is_overdue(item, today):  # type: ignore[arg-type]
        return DigestEntry("overdue", item, (today - _due(item)).days)
    if "due_soon" in kinds and is_due_soon(item, today, soon_days):  # type: ignore[arg-type]
        return DigestEntry("due_soon", item, (_due(item) - today).days)
    if "awaiting" in kinds and item.status == "done":
        return DigestEntry("awaiting", item)
    return None


def _order(entry: DigestEntry) -> tuple:
    number = entry.item.id.rsplit("-", 1)[-1]
    when = (entry.item.done_at or "") if entry.kind == "awaiting" else (entry.item.due or "")
    return (KINDS.index(entry.kind), when, entry.item.inspection,
            int(number) if number.isdigit() else 0)


def build_digest(username: str, role: str, items: Iterable[ItemSummary], today: _dt.date, *,
                 units: Iterable[str] | None, soon_days: int = SOON_DAYS,
                 more: dict[str, int] | None = None) -> Digest:
    """The digest of one user from item cards: only the items of ``units`` (the user's
    unit, the units an inspector inspects; None: every unit), each once, the overdue ones
    first (longest overdue first), then due soon (nearest first), then awaiting
    verification (marked done earliest first). Roles without a digest get an empty one."""
    kinds = KINDS_OF_ROLE.get(role, ())
    allowed = None if units is None else frozenset(units)
    entries: dict[str, DigestEntry] = {}
    for item in items:
        if item.id in entries or (allowed is not None and item.unit not in allowed):
            continue
        entry = classify(item, today, kinds, soon_days)
        if entry is not None:
            entries[item.id] = entry
    return Digest(username, today, tuple(sorted(entries.values(), key=_order)),
                  {k: v for k, v in (more or {}).items() if v > 0 and k in kinds})


def days_overdue(item: ItemSummary, today: _dt.date) -> int:
    """Days past the deadline (0 when not overdue)."""
    if not is_overdue(item, today):  # type: ignore[arg-type]
        return 0
    return (today - _due(item)).days


def is_escalated(item: ItemSummary, today: _dt.date, after_days: int) -> bool:
    """Overdue by more than ``after_days`` days: the province follows it up itself."""
    return item.status not in ITEM_CLOSED_STATUSES and days_overdue(item, today) > after_days


def escalation_cutoff(today: _dt.date, after_days: int) -> _dt.date:
    """Items due before this date (and still open) are escalated."""
    return today - _dt.timedelta(days=after_days)


#: What a user's reminder document keeps at most (it stays small).
MAX_READ_KEYS = 2000
#: The days a reminder may be sent for (``reminders send --date``): within this many days
#: of today. The document remembers the days mailed within that window, and only those,
#: so a day sent again while it is in the window is never mailed twice.
MAILED_WINDOW_DAYS = 120


def marked_read(state: dict, keys: Iterable[str], day: _dt.date,
                more: dict[str, int] | None = None) -> dict:
    """The reminder document after "mark all read": ``keys`` (the digest's current entries
    the user saw) become the read set — entries no longer in the digest are forgotten —
    and ``more`` the count of each kind's entries left out of the list that they had in
    view."""
    new = dict(state)
    new["read"] = sorted(set(keys))[:MAX_READ_KEYS]
    new["read_on"] = day.isoformat()
    new["read_more"] = {k: int(n) for k, n in (more or {}).items() if k in KINDS and n > 0}
    return new


def read_keys(state: dict) -> frozenset[str]:
    read = state.get("read")
    return frozenset(k for k in read if isinstance(k, str)) if isinstance(read, list) else frozenset()


def read_more_counts(state: dict) -> dict[str, int]:
    """Of each kind, how many left-out entries the user had in view when marking read."""
    more = state.get("read_more")
    if not isinstance(more, dict):
        return {}
    return {k: n for k, n in more.items()
            if k in KINDS and isinstance(n, int) and not isinstance(n, bool) and n > 0}


def was_mailed(state: dict, day: _dt.date) -> bool:
    mailed = state.get("mailed")
    return isinstance(mailed, list) and day.isoformat() in mailed


def in_mailing_window(day: _dt.date, today: _dt.date) -> bool:
    """Whether reminders may be sent for ``day`` (:data:`MAILED_WINDOW_DAYS`)."""
    return abs((day - today).days) < MAILED_WINDOW_DAYS


def with_mailed(state: dict, day: _dt.date, today: _dt.date, sent: bool = True) -> dict:
    """The document with ``day`` remembered as mailed (or forgotten again: ``sent=False``);
    the mailed days out of the window around ``today`` are forgotten (none can be sent
    again, :func:`in_mailing_window`)."""
    span = _dt.timedelta(days=MAILED_WINDOW_DAYS - 1)
    first, last = (today - span).isoformat(), (today + span).isoformat()
    mailed = {d for d in (state.get("mailed") or []) if isinstance(d, str)}
    if sent:
        mailed.add(day.isoformat())
    else:
        mailed.discard(day.isoformat())
    new = dict(state)
    new["mailed"] = sorted(d for d in mailed if first <= d <= last)
    return new
