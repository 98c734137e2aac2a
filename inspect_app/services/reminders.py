"""The daily follow-up of remediation: each user's digest (``domain/reminders``) read
from the item index, its read state, the e-mails of ``reminders send`` and the items the
province escalates.

Every read is a bounded :meth:`Store.query_items` (at most :data:`DIGEST_LIMIT` cards per
kind, the rest only counted): no inspection is opened, nothing is scanned whole.

E-mails are sent at most once per user and day: the day is written into the user's
document (:meth:`Store.update_user_state`, atomic) *before* the message goes out, so two
runs at the same time never both send; a message the server refuses un-marks the day, so
the next run tries again. (A run killed between the two steps sends nothing that day.)
A mail server that cannot be reached (:class:`MailServerDown`) stops the run: the users
not tried yet stay unmarked for the next run, nobody waits for the server again.
"""
from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..domain import reminders as rules
from ..domain.access import Scope
from ..domain.models import User
from ..storage import Store
from ..storage.base import ItemQuery, Page
from .inspections import PAGE_SIZE, clamped, scope_for, visible_units
from .remediation import OPEN_STATUSES, Entry

log = logging.getLogger("inspect_app.reminders")

#: The most item cards a digest lists of each kind (the others are counted).
DIGEST_LIMIT = 100


def _query(scope: Scope, **fields) -> ItemQuery:
    return ItemQuery(units=visible_units(scope), hide_draft_inspections=scope.role == "unit",
                     **fields)


def digest(store: Store, scope: Scope, today: _dt.date, *, limit: int = DIGEST_LIMIT,
           soon_days: int = rules.SOON_DAYS) -> rules.Digest:
    """The user's digest for ``today`` (empty for admins and viewers)."""
    user = scope.user
    kinds = rules.KINDS_OF_ROLE.get(scope.role, ())
    if not kinds:
        return rules.Digest(user.username, today)
    queries: dict[str, ItemQuery] = {}
    if "overdue" in kinds:
        queries["overdue"] = _query(scope, statuses=OPEN_STATUSES, due_before=today.isoformat())
    if "due_soon" in kinds:
        until = (today + _dt.timedelta(days=soon_days + 1)).isoformat()
        queries["due_soon"] = _query(scope, statuses=OPEN_STATUSES, due_from=today.isoformat(),
                                     due_before=until)
    if "awaiting" in kinds:
        queries["awaiting"] = _query(scope, statuses=("done",), order="done")
    cards, more = [], {}
    for kind, query in queries.items():
        page = store.query_items(query, limit=limit)
        cards.extend(card for card, _record in page.rows)
        more[kind] = page.total - len(page.rows)
    units = None if scope.sees_all_units() else visible_units(scope)
    return rules.build_digest(user.username, scope.role, cards, today, units=units,
                              soon_days=soon_days, more=more)


@dataclass(frozen=True)
class Notifications:
    """A digest with what the user has read of it."""

    digest: rules.Digest
    read: frozenset[str]
    read_more: dict[str, int] = field(default_factory=dict)

    @property
    def unread(self) -> int:
        return self.digest.unread_count(self.read, self.read_more)

    def is_read(self, entry: rules.DigestEntry) -> bool:
        return entry.key in self.read


def notifications(store: Store, scope: Scope, today: _dt.date) -> Notifications:
    """The user's digest and read state (one bounded read of each)."""
    found = digest(store, scope, today)
    state = store.get_user_state(scope.user.username)
    return Notifications(found, rules.read_keys(state), rules.read_more_counts(state))


def mark_all_read(store: Store, scope: Scope, today: _dt.date,
                  seen: Iterable[str] | None = None,
                  seen_more: dict[str, int] | None = None) -> int:
    """Mark read the entries of today's digest the user saw (``seen``: the keys the page
    listed; None: every current entry) — an entry that came in after the page was shown
    stays new — and, of the entries the list left out, as many of each kind as the page
    counted (``seen_more``; None: today's counts). The number of entries marked."""
    found = digest(store, scope, today)
    current = [e.key for e in found.entries]
    wanted = set(current) if seen is None else set(seen)
    more = found.more if seen_more is None else {
        kind: min(n, max(0, seen_more.get(kind, 0))) for kind, n in found.more.items()}

    def change(doc: dict) -> int:
        before = rules.read_keys(doc)
        keys = [k for k in current if k in wanted or k in before]
        new = rules.marked_read(doc, keys, today, more)
        doc.clear()
        doc.update(new)
        return len([k for k in keys if k not in before])

    return store.update_user_state(scope.user.username, change)


def escalated(store: Store, scope: Scope, today: _dt.date, after_days: int, page: int = 1,
              per_page: int = PAGE_SIZE) -> Page[Entry]:
    """Open items overdue by more than ``after_days`` days in the units the user sees,
    the longest overdue first."""
    cutoff = rules.escalation_cutoff(today, after_days).isoformat()
    query = _query(scope, statuses=OPEN_STATUSES, due_before=cutoff)
    found = clamped(lambda offset, limit: store.query_items(query, offset=offset, limit=limit),
                    page, per_page)
    return Page([Entry(item, record) for item, record in found.rows], found.total,
                found.offset, found.limit)


# ---------------------------------------------------------------- e-mail

@dataclass(frozen=True)
class Mail:
    """One message to send: to whom, subject and plain-text body."""

    to: str
    subject: str
    body: str


class MailServerDown(Exception):
    """Raised by a ``send`` when the mail server cannot be reached or does not answer
    (every later message would wait for it too): :func:`send_reminders` stops."""


@dataclass
class SendReport:
    """What ``reminders send`` did, user by user."""

    day: _dt.date
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # mailed earlier that day
    nothing: list[str] = field(default_factory=list)  # an empty digest
    no_email: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    stopped: str = ""  # why the run stopped (the mail server is down), "" when it did not
    not_tried: list[str] = field(default_factory=list)  # left unsent for the next run

    @property
    def unsent(self) -> list[tuple[str, str]]:
        """Every user the run should have mailed and did not, with why."""
        return self.failed + [(name, f"not tried: {self.stopped}") for name in self.not_tried]


def _claim(store: Store, username: str, day: _dt.date, today: _dt.date) -> bool:
    """Mark ``day`` as mailed for the user; False when it already was (atomic)."""
    def change(doc: dict) -> bool:
        if rules.was_mailed(doc, day):
            return False
        new = rules.with_mailed(doc, day, today)
        doc.clear()
        doc.update(new)
        return True
    return store.update_user_state(username, change)


def _release(store: Store, username: str, day: _dt.date, today: _dt.date) -> None:
    def change(doc: dict) -> None:
        new = rules.with_mailed(doc, day, today, sent=False)
        doc.clear()
        doc.update(new)
    store.update_user_state(username, change)


def send_reminders(store: Store, day: _dt.date, compose: Callable[[User, rules.Digest], Mail],
                   send: Callable[[Mail], None], users: Iterable[User] | None = None, *,
                   today: _dt.date) -> SendReport:
    """E-mail each active commune officer and inspector with an address their digest of
    ``day``, once per user and day (``day`` within the window of ``today``,
    :func:`rules.in_mailing_window`: the callers refuse another). ``compose`` makes the
    message, ``send`` hands it to the mail server (an exception there is reported, and the
    day stays unsent; :class:`MailServerDown` also stops the run)."""
    report = SendReport(day)
    for user in sorted(users if users is not None else store.list_users(),
                       key=lambda u: u.username):
        if not user.active or user.role not in rules.KINDS_OF_ROLE:
            continue
        if not user.email:
            report.no_email.append(user.username)
            continue
        if rules.was_mailed(store.get_user_state(user.username), day):
            report.already.append(user.username)
            continue
        found = digest(store, scope_for(store, user), day)
        if not found.total:
            report.nothing.append(user.username)
            continue
        if report.stopped:  # something to send, and the server is down: the next run
            report.not_tried.append(user.username)
            continue
        if not _claim(store, user.username, day, today):
            report.already.append(user.username)
            continue
        try:
            send(compose(user, found))
        except Exception as exc:  # the server refused or is unreachable: try again next run
            _release(store, user.username, day, today)
            log.warning("reminder to %s not sent: %s", user.username, exc)
            report.failed.append((user.username, str(exc) or type(exc).__name__))
            if isinstance(exc, MailServerDown):
                report.stopped = str(exc)
            continue
        report.sent.append(user.username)
    return report
