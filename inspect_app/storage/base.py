"""The storage interface. The web app and services only ever talk to a :class:`Store`.

Small on purpose, so that a PostgreSQL implementation can follow the TinyDB one.
Every implementation must pass ``tests/test_storage_contract.py``.

Guarantees every implementation gives:

* no write is lost or half-written, even if the process is killed mid-write;
* ``update_*`` calls are atomic read-modify-write transactions, serialised
  across threads *and* processes sharing one data folder;
* a read never returns data older than the last write acknowledged by any
  process (no stale caches);
* saving one answer costs the same whether 10 or 10,000 inspections are stored;
* a write the disk cannot take (full, read-only, failing) raises :class:`CannotStore`
  and leaves nothing half-made; reads keep working.
"""
from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import (
    Any,
    Generic,
    Protocol,
    TypeVar,
    runtime_checkable,
)

from ..domain.messages import N_
from ..domain.models import AuditEntry, Inspection, InspectionSummary, ItemSummary, Unit, User
from ..domain.remediation import is_withdrawn

log = logging.getLogger("inspect_app.storage")

T = TypeVar("T")


# -- bounded queries: what list pages ask for ----------------------------------------

@dataclass(frozen=True)
class InspectionQuery:
    """Which index entries a list wants. Every field given must match.

    ``units``: only these units (None: every unit). ``member``: only records whose team
    includes this username. ``has_items``: only records with a remediation plan.
    ``hide_draft_inspections``: leave out inspections that are not finalized (what a
    unit's own users may not see; their self-checks stay). ``order``: ``created``
    (newest first) or ``finalized`` (latest finalized first; records never finalized
    are left out).
    """

    units: frozenset[str] | None = None
    period: str | None = None
    checklist: str | None = None
    kind: str | None = None
    status: str | None = None
    member: str | None = None
    has_items: bool = False
    hide_draft_inspections: bool = False
    order: str = "created"


@dataclass(frozen=True)
class ItemQuery:
    """Which remediation items (from the index) a list wants.

    ``statuses``: only items in one of these statuses (None: any). ``due_before``: only
    items with a deadline before this ISO date; ``due_from``: only items without a
    deadline or due on or after it. ``order``: ``due`` (earliest deadline first, none
    last) or ``done`` (earliest marked done first).
    """

    units: frozenset[str] | None = None
    statuses: tuple[str, ...] | None = None
    due_before: str | None = None
    due_from: str | None = None
    hide_draft_inspections: bool = False
    order: str = "due"


@dataclass(frozen=True)
class AuditQuery:
    """Which audit entries a page wants: ``by`` (a username), ``action`` (exact, or a
    prefix ending in ``.``: ``user.`` is every user action), ``at_from`` / ``at_before``
    (ISO UTC moments: ``at_from <= at < at_before``). Every field given must match."""

    by: str | None = None
    action: str | None = None
    at_from: str | None = None
    at_before: str | None = None

    def matches(self, entry: AuditEntry) -> bool:
        """Whether ``entry`` is one of the entries asked for."""
        if self.by is not None and entry.by != self.by:
            return False
        if self.action is not None:
            if self.action.endswith("."):
                if not entry.action.startswith(self.action):
                    return False
            elif entry.action != self.action:
                return False
        if self.at_from is not None and entry.at < self.at_from:
            return False
        return self.at_before is None or entry.at < self.at_before


@dataclass
class Page(Generic[T]):
    """One page of a query: the rows from ``offset`` (at most ``limit``; None: all the
    rest) and how many rows the whole query has."""

    rows: list[T] = field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int | None = None


@dataclass(frozen=True)
class PublishedVersion:
    """One version of a checklist published in the app (DESIGN §12): the text of its
    format-1 YAML file as published, its number (1, 2, … per checklist id) and when it was
    published (an aware UTC datetime)."""

    checklist_id: str
    number: int
    text: str
    published_at: _dt.datetime


#: At most this many characters in a published checklist's (or a draft's) text.
MAX_CHECKLIST_TEXT = 1024 * 1024


class StoreError(Exception):
    """Base class of storage errors."""


class NotFound(StoreError):
    """The record does not exist."""


class AlreadyExists(StoreError):
    """A record with that key already exists."""


#: Errors of a write that say "the disk cannot take this now", not "the program is wrong".
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
CANNOT_STORE_ERRNOS = FULL_ERRNOS | {errno.EROFS, errno.EIO}


class CannotStore(StoreError):
    """A write could not be stored: the disk is full (ENOSPC, EDQUOT), read-only (EROFS)
    or failing (EIO). Nothing of that write was kept. ``message`` is for the user (the
    web layer answers 503 with it); ``str()`` names the file and the OS error for logs."""

    def __init__(self, detail: str = "", errno_: int = errno.ENOSPC) -> None:
        super().__init__(detail or "cannot store")
        self.errno = errno_
        self.message = (N_("The server is out of disk space: this was not saved. Try again "
                           "later, and tell the administrator.")
                        if errno_ in FULL_ERRNOS else
                        N_("The server cannot write its data (disk error): this was not saved. "
                           "Try again later, and tell the administrator."))


class StoreUnavailable(CannotStore):
    """The database cannot be reached (down, restarting, the network between): nothing
    of the request was stored. ``message`` is for the user (503, like :class:`CannotStore`);
    ``str()`` names the database (without its password) and the reason, for logs."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or "the database cannot be reached", errno.ECONNREFUSED)
        self.message = N_("The database cannot be reached just now: nothing was saved. Try "
                          "again in a moment; if it goes on, tell the administrator.")


def _refusal(exc: BaseException) -> OSError | None:
    """The OS error of the kind :class:`CannotStore` stands for in ``exc``: itself, or
    the one it wraps (a library's own exception made from it, e.g. XlsxWriter's
    ``FileCreateError``)."""
    for candidate in (exc, exc.__cause__, exc.__context__, *getattr(exc, "args", ())[:1]):
        if isinstance(candidate, OSError) and candidate.errno in CANNOT_STORE_ERRNOS:
            return candidate
    return None


def cannot_store(exc: BaseException) -> bool:
    """Whether ``exc`` is (or wraps) an OS error of the kind :class:`CannotStore` stands for."""
    return _refusal(exc) is not None


@contextmanager
def storing(what: object = "") -> Iterator[None]:
    """Turn an OS error that means "the disk cannot take this" (or an exception wrapping
    one) into :class:`CannotStore`; other errors pass unchanged."""
    try:
        yield
    except CannotStore:
        raise
    except Exception as exc:
        refusal = _refusal(exc)
        if refusal is None:
            raise
        log.warning("the disk refused a write of %s: %s", what, refusal)
        raise CannotStore(f"cannot write {what}: {refusal.strerror or refusal}",
                          refusal.errno) from exc


@runtime_checkable
class Store(Protocol):
    """Where units, users, inspections, photos and login throttling live."""

    # -- units -------------------------------------------------------------
    def list_units(self) -> list[Unit]:
        """Every unit (any order)."""

    def get_unit(self, code: str) -> Unit | None:
        """The unit with this code, or None."""

    def save_units(self, units: Iterable[Unit]) -> None:
        """Insert or replace units by code, all or nothing."""

    def unit_merges(self) -> dict[str, str]:
        """``{code: merged_into}`` of every merged unit (``domain/units.py``): what each
        request of a unit's user asks to know whose history it sees, without reading every
        unit."""

    def page_units(self, *, search: str = "", codes: Iterable[str] | None = None,
                   offset: int = 0, limit: int | None = None) -> Page[Unit]:
        """Units sorted by name (diacritics folded), only those whose code or name
        matches ``search`` (folded) and, if given, whose code is in ``codes``."""

    # -- users -------------------------------------------------------------
    def list_users(self) -> list[User]:
        """Every user."""

    def page_users(self, *, search: str = "", offset: int = 0,
                   limit: int | None = None) -> Page[User]:
        """Users by role (as in ``ROLES``) then username, only those whose username or
        full name matches ``search`` (diacritics folded)."""

    def get_user(self, username: str) -> User | None:
        """The user with this username, or None."""

    def find_user_by_token(self, token_hash: str) -> User | None:
        """The user holding an API token with this SHA-256 hash, or None."""

    def add_user(self, user: User) -> None:
        """Create a user; :class:`AlreadyExists` if the username is taken."""

    def update_user(self, username: str, change: Callable[[User], T]) -> T:
        """Atomically apply ``change`` to the user (mutate it in place; its return
        value is returned). :class:`NotFound` if missing. If ``change`` raises,
        nothing is written."""

    # -- the settings document (the names that differ by province) ----------
    def get_settings(self) -> dict[str, Any]:
        """The one settings document as last put (a copy), or ``{}`` if never put."""

    def put_settings(self, doc: dict[str, Any]) -> None:
        """Replace the settings document whole (JSON values only), atomically."""

    # -- a small document per user (reminders: what was read, which days were mailed)
    def get_user_state(self, username: str) -> dict[str, Any]:
        """The user's own small document (JSON values) as last written (a copy), or ``{}``."""

    def update_user_state(self, username: str, change: Callable[[dict[str, Any]], T]) -> T:
        """Atomically apply ``change`` to (a private copy of) the user's document, created
        empty when missing; ``change`` mutates it and its return value is returned. If
        ``change`` raises, nothing is written. Serialised across threads and processes, so
        two callers never both see the document without the other's change."""

    # -- checklists published in the app (INSPECT_CHECKLISTS_DIR is only the seed) ---
    def checklists_stamp(self) -> str:
        """A short value that changes whenever a checklist is published or retired (by
        any process or server): cheap, read once per use of the checklist library to know
        whether its cache is still good."""

    def latest_checklist_versions(self) -> list[PublishedVersion]:
        """The newest published version of every checklist id (any order)."""

    def checklist_versions(self, checklist_id: str) -> list[PublishedVersion]:
        """Every published version of a checklist id, oldest first (``[]``: none)."""

    def publish_checklist(self, checklist_id: str, text: str) -> PublishedVersion:
        """Keep ``text`` (a valid checklist file's text) as the next version of
        ``checklist_id``, atomically, and bring the id back if it was retired. Two
        publishers at once get two different numbers."""

    def retired_checklists(self) -> set[str]:
        """The checklist ids retired from new records."""

    def set_checklist_retired(self, checklist_id: str, retired: bool) -> None:
        """Retire a checklist id from new records (a seed-only id too), or bring it back."""

    def put_checklist_draft(self, token: str, text: str) -> None:
        """Keep a checked upload's text under ``token`` until it is published (drafts older
        than a day may be forgotten)."""

    def get_checklist_draft(self, token: str) -> str | None:
        """The text of a draft, or None."""

    def delete_checklist_draft(self, token: str) -> None:
        """Forget a draft (published, or given up)."""

    # -- the audit log (append only) -------------------------------------------
    def add_audit(self, entry: AuditEntry) -> None:
        """Append one entry to the audit log (never changed nor removed afterwards). Inside
        :meth:`atomic`, it is written with the block's other writes where the store can
        (PostgreSQL: the same transaction)."""

    def page_audit(self, query: AuditQuery | None = None, *, offset: int = 0,
                   limit: int | None = None) -> Page[AuditEntry]:
        """A page of the entries matching ``query``, newest first (by ``at``; entries of
        the same moment: the last written first), with the total."""

    def atomic(self) -> AbstractContextManager[None]:
        """A block whose writes go together as far as the store allows: on PostgreSQL one
        transaction (all or nothing); on the file and memory stores each write is atomic
        on its own and they happen in the block's order (a change, then its audit entry:
        a process killed between the two keeps the change without its entry)."""

    def exclusive(self, key: str) -> AbstractContextManager[None]:
        """A block that one holder of ``key`` runs at a time, across threads and
        processes, for a check and the write it allows (two users starting the same
        self-check at one moment: the second sees the first one's draft). Keys share
        :data:`EXCLUSIVE_SHARDS` locks; the block's writes go together as in
        :meth:`atomic`. Not reentrant for the same key."""

    # -- login throttling (shared by all worker processes) ------------------
    def record_login_failure(self, key: str, at: float, window_seconds: float) -> int:
        """Remember a failed login for ``key`` at time ``at`` (epoch seconds) and
        return how many failures ``key`` has within the last ``window_seconds``."""

    def login_failures(self, key: str, now: float, window_seconds: float) -> int:
        """How many failures ``key`` has within the last ``window_seconds``."""

    def clear_login_failures(self, key: str) -> None:
        """Forget the failures of ``key`` (after a successful login)."""

    # -- inspections --------------------------------------------------------
    def add_inspection(self, inspection: Inspection) -> None:
        """Store a new inspection; :class:`AlreadyExists` if the id is taken."""

    def get_inspection(self, inspection_id: str) -> Inspection | None:
        """The full inspection, or None."""

    def update_inspection(self, inspection_id: str, change: Callable[[Inspection], T]) -> T:
        """Atomic read-modify-write of one inspection across threads and processes.

        ``change`` gets a private copy and mutates it; when it returns, the copy
        is written (with ``rev`` incremented) and ``change``'s return value is
        returned. If ``change`` raises, nothing is written and the exception
        propagates. :class:`NotFound` if the inspection does not exist. The
        index is rewritten only if the inspection's summary changed.
        """

    def list_inspections(self, *, unit: str | None = None, units: Iterable[str] | None = None,
                         period: str | None = None, checklist: str | None = None,
                         kind: str | None = None, status: str | None = None
                         ) -> list[InspectionSummary]:
        """Summaries matching every filter given (newest first)."""

    def query_inspections(self, query: InspectionQuery, *, offset: int = 0,
                          limit: int | None = None) -> Page[InspectionSummary]:
        """A page of the summaries matching ``query`` in its order, with the total.
        Its cost depends on the page and the number of units, not on how many
        inspections are stored (``limit=0`` just counts)."""

    def query_items(self, query: ItemQuery, *, offset: int = 0, limit: int | None = None
                    ) -> Page[tuple[ItemSummary, InspectionSummary]]:
        """A page of remediation items (each with its record's summary) matching
        ``query``, with the total; bounded like :meth:`query_inspections`."""

    def units_with_member(self, username: str) -> set[str]:
        """The units of every inspection or assessment (not self-check) whose team
        includes ``username``: the units an inspector inspects."""

    def iter_summaries(self, query: InspectionQuery) -> Iterator[InspectionSummary]:
        """Every summary matching ``query`` (any order), read one index group at a time
        and not kept by the store: for one pass over everything (the export), where
        :meth:`query_inspections` would keep the whole index in memory for later pages."""

    def iter_export_records(self, inspection_ids: Iterable[str]) -> Iterator[dict]:
        """The inspections of ``inspection_ids``, in that order, as plain export records
        (ids that do not exist are skipped): the stored JSON form of the current schema
        (see :func:`export_record`) with the checklist snapshot's content attached, and
        without what an export never reads (the history, remembered operations). Read
        one at a time and not kept: the lean read path of the Excel export."""

    # -- photos -------------------------------------------------------------
    def save_photo(self, photo_id: str, data: bytes, variant: str = "full") -> None:
        """Store the bytes of a (re-encoded) photo under a generated id."""

    def photo_path(self, photo_id: str, variant: str = "full") -> Path | None:
        """The file of a stored photo, or None."""

    def delete_photo(self, photo_id: str) -> None:
        """Remove the files of a photo that no record refers to (a refused upload)."""


#: Keys of a stored inspection that an export never reads (left out of export records).
NOT_EXPORTED = ("history", "ops", "team", "photos")


#: How many locks the keys of :meth:`Store.exclusive` share: unrelated keys of one
#: shard wait for each other (a start takes milliseconds), and the lock files stay few.
EXCLUSIVE_SHARDS = 64


def exclusive_shard(key: str) -> int:
    """The shard of ``key`` (0 … EXCLUSIVE_SHARDS - 1), the same in every process."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % EXCLUSIVE_SHARDS


def export_record(doc: dict) -> dict:
    """An inspection document (current schema, checklist content attached) as an export
    record: a shallow copy without :data:`NOT_EXPORTED`, its items without their history
    (``withdrawn: true`` instead on an item withdrawn at a re-finalize,
    ``domain/remediation.is_withdrawn``). Answers keep their stored (lean) form: absent
    fields are their defaults."""
    record = {k: v for k, v in doc.items() if k not in NOT_EXPORTED}
    record["items"] = [{**{k: v for k, v in item.items() if k != "history"},
                        **({"withdrawn": True} if is_withdrawn(item) else {})}
                       for item in doc.get("items") or ()]
    return record


def new_id() -> str:
    """A short random id that is safe in URLs and file names."""
    import secrets

    return secrets.token_urlsafe(9).replace("-", "x").replace("_", "y")
