"""An in-memory :class:`~inspect_app.storage.base.Store` for fast tests.

Everything lives in dicts behind one lock; records are deep-copied on the way in
and out, so a caller can never change stored state by mutating an object — except an
inspection's checklist content named by its hash, shared read-only as the other stores
share it (``storage/records.py``: one snapshot per checklist version; nothing mutates it). Photos
are real files (``photo_path`` must return a path) in a temporary folder unless
one is given. Not shared between processes, of course.

Set ``store.cannot_store = errno.ENOSPC`` (or EROFS, EIO…) to simulate a disk that
takes no more writes: every write then raises
:class:`~inspect_app.storage.base.CannotStore` before changing anything, and reads
keep working. ``None`` (the default) writes again.
"""
from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import errno
import itertools
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from ..domain.models import (
    SCHEMA,
    AuditEntry,
    Inspection,
    InspectionSummary,
    ItemSummary,
    Unit,
    User,
    summarize,
)
from . import index
from .base import (
    EXCLUSIVE_SHARDS,
    AlreadyExists,
    AuditQuery,
    CannotStore,
    InspectionQuery,
    ItemQuery,
    NotFound,
    Page,
    PublishedVersion,
    exclusive_shard,
    export_record,
)
from .files import valid_id
from .index import IndexView, RecordView
from .logins import LOGIN_MAX_KEYS_PER_SHARD, LOGIN_SHARDS, bounded_failures
from .photos import PhotoFolder
from .records import snapshot_digest

T = TypeVar("T")


def _private(inspection: Inspection) -> Inspection:
    """A deep copy of ``inspection`` sharing only its checklist content when the other
    stores share it too (a snapshot named by its hash: ``records.split_snapshot``):
    copying a 57-criterion snapshot on every read and write was most of the time of the
    tests on this store."""
    snapshot = inspection.checklist if isinstance(inspection.checklist, dict) else {}
    content = snapshot.get("data")
    if content is None or snapshot_digest(snapshot.get("hash")) is None:
        return copy.deepcopy(inspection)
    return copy.deepcopy(inspection, {id(content): content})


class MemoryStore:
    """The whole store in dicts; see the module docstring."""

    def __init__(self, photo_dir: str | Path | None = None) -> None:
        self._lock = threading.RLock()
        self._exclusive = [threading.Lock() for _ in range(EXCLUSIVE_SHARDS)]
        self._units: dict[str, Unit] = {}
        self._users: dict[str, User] = {}
        self._inspections: dict[str, Inspection] = {}
        self._failures: dict[str, list[float]] = {}
        self._settings: dict = {}
        self._user_states: dict[str, dict] = {}
        self._checklists: dict[str, list[PublishedVersion]] = {}
        self._retired: set[str] = set()
        self._drafts: dict[str, tuple[float, str]] = {}
        self._stamps = itertools.count(1)
        self._stamp = ""
        self._audit: list[AuditEntry] = []
        self._photo_tmp: tempfile.TemporaryDirectory[str] | None = None
        self._photo_dir = Path(photo_dir) if photo_dir is not None else None
        # Derived, rebuilt when stale: one index view per unit, the sorted units and users.
        self._by_unit: dict[str, set[str]] = {}
        self._views: dict[str, IndexView] = {}
        self._record_views: dict[str, RecordView] = {}
        #: An errno to simulate a disk that refuses writes (see the module docstring).
        self.cannot_store: int | None = None

    def _room(self) -> None:
        """Refuse a write the way a full (or failing) disk would."""
        if self.cannot_store is not None:
            raise CannotStore(f"simulated: {errno.errorcode.get(self.cannot_store, '?')}",
                              self.cannot_store)

    # -- units ---------------------------------------------------------------
    def list_units(self) -> list[Unit]:
        """Every unit (any order)."""
        with self._lock:
            return copy.deepcopy(list(self._units.values()))

    def get_unit(self, code: str) -> Unit | None:
        """The unit with this code, or None."""
        with self._lock:
            return copy.deepcopy(self._units.get(code))

    def unit_merges(self) -> dict[str, str]:
        """``{code: merged_into}`` of every merged unit."""
        with self._lock:
            return {c: u.merged_into for c, u in self._units.items() if u.merged_into}

    def save_units(self, units: Iterable[Unit]) -> None:
        """Insert or replace units by code, all or nothing."""
        self._room()
        new = {u.code: copy.deepcopy(u) for u in units}  # fails before anything changes
        with self._lock:
            self._units.update(new)
            self._record_views.pop("units", None)

    # -- the settings document ---------------------------------------------------
    def get_settings(self) -> dict:
        """The settings document as last put (a copy), or ``{}``."""
        with self._lock:
            return copy.deepcopy(self._settings)

    def put_settings(self, doc: dict) -> None:
        """Replace the settings document whole."""
        self._room()
        new = copy.deepcopy(dict(doc))
        with self._lock:
            self._settings = new

    # -- the per-user documents --------------------------------------------------
    def get_user_state(self, username: str) -> dict:
        """The user's document (a copy), or ``{}``."""
        with self._lock:
            return copy.deepcopy(self._user_states.get(username, {}))

    def update_user_state(self, username: str, change: Callable[[dict], T]) -> T:
        """Apply ``change`` to a private copy; keep a copy of it only if it returns."""
        with self._lock:
            doc = copy.deepcopy(self._user_states.get(username, {}))
            result = change(doc)
            self._room()
            self._user_states[username] = copy.deepcopy(dict(doc))
            return result

    # -- the audit log -------------------------------------------------------------
    def add_audit(self, entry: AuditEntry) -> None:
        """Append one entry (a private copy)."""
        self._room()
        new = copy.deepcopy(entry)
        with self._lock:
            self._audit.append(new)

    def page_audit(self, query: AuditQuery | None = None, *, offset: int = 0,
                   limit: int | None = None) -> Page[AuditEntry]:
        """Entries matching ``query``, newest first."""
        query = query or AuditQuery()
        with self._lock:
            found = [e for e in reversed(self._audit) if query.matches(e)]
        found.sort(key=lambda e: e.at, reverse=True)  # stable: ties newest written first
        start = max(0, int(offset))
        end = None if limit is None else start + max(0, int(limit))
        return Page(copy.deepcopy(found[start:end]), len(found), start, limit)

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """The block's writes in order, each atomic (see the Protocol)."""
        yield

    @contextlib.contextmanager
    def exclusive(self, key: str) -> Iterator[None]:
        """The thread lock of ``key``'s shard, held for the block (see the Protocol)."""
        with self._exclusive[exclusive_shard(key)]:
            yield

    # -- users ---------------------------------------------------------------
    # -- checklists published in the app -------------------------------------------
    def _changed(self) -> None:
        self._stamp = str(next(self._stamps))

    def checklists_stamp(self) -> str:
        """A counter, raised on every publish and retire."""
        return self._stamp

    def latest_checklist_versions(self) -> list[PublishedVersion]:
        """The newest version of every id (versions are immutable: no copy needed)."""
        with self._lock:
            return [versions[-1] for versions in self._checklists.values() if versions]

    def checklist_versions(self, checklist_id: str) -> list[PublishedVersion]:
        """Every version of an id, oldest first."""
        with self._lock:
            return list(self._checklists.get(checklist_id, ()))

    def publish_checklist(self, checklist_id: str, text: str) -> PublishedVersion:
        """The next version of an id (brought back if retired)."""
        from .published import CHECKLIST_ID_RE, checked_text

        if not isinstance(checklist_id, str) or not CHECKLIST_ID_RE.fullmatch(checklist_id):
            raise NotFound(f"not a checklist id: {checklist_id!r}")
        checked_text(text)
        with self._lock:
            self._room()
            versions = self._checklists.setdefault(checklist_id, [])
            version = PublishedVersion(checklist_id, len(versions) + 1, text,
                                       _dt.datetime.now(_dt.UTC))
            versions.append(version)
            self._retired.discard(checklist_id)
            self._changed()
            return version

    def retired_checklists(self) -> set[str]:
        """The retired ids."""
        with self._lock:
            return set(self._retired)

    def set_checklist_retired(self, checklist_id: str, retired: bool) -> None:
        """Retire an id, or bring it back."""
        with self._lock:
            self._room()
            (self._retired.add if retired else self._retired.discard)(checklist_id)
            self._changed()

    def put_checklist_draft(self, token: str, text: str) -> None:
        """Keep a draft (those older than a day are dropped)."""
        import time

        from .published import DRAFT_KEEP_SECONDS, checked_text

        checked_text(text)
        with self._lock:
            self._room()
            now = time.time()
            self._drafts = {k: v for k, v in self._drafts.items()
                            if now - v[0] <= DRAFT_KEEP_SECONDS}
            self._drafts[token] = (now, text)

    def get_checklist_draft(self, token: str) -> str | None:
        """The text of a draft, or None."""
        with self._lock:
            found = self._drafts.get(token)
        return None if found is None else found[1]

    def delete_checklist_draft(self, token: str) -> None:
        """Forget a draft."""
        with self._lock:
            self._drafts.pop(token, None)

    def list_users(self) -> list[User]:
        """Every user."""
        with self._lock:
            return copy.deepcopy(list(self._users.values()))

    def get_user(self, username: str) -> User | None:
        """The user with this username, or None."""
        with self._lock:
            return copy.deepcopy(self._users.get(username))

    def find_user_by_token(self, token_hash: str) -> User | None:
        """The user holding an API token with this SHA-256 hash, or None."""
        with self._lock:
            for user in self._users.values():
                if any(t.hash == token_hash for t in user.tokens):
                    return copy.deepcopy(user)
        return None

    def add_user(self, user: User) -> None:
        """Create a user; :class:`AlreadyExists` if the username is taken."""
        self._room()
        with self._lock:
            if user.username in self._users:
                raise AlreadyExists(f"user {user.username!r}")
            self._users[user.username] = copy.deepcopy(user)
            self._record_views.pop("users", None)

    def update_user(self, username: str, change: Callable[[User], T]) -> T:
        """Apply ``change`` to a private copy; store a copy of the result only if it returns."""
        with self._lock:
            if username not in self._users:
                raise NotFound(f"user {username!r}")
            user = copy.deepcopy(self._users[username])
            result = change(user)
            self._room()
            if user.username != username:
                if user.username in self._users:
                    raise AlreadyExists(f"user {user.username!r}")
                del self._users[username]
            # Copy again: ``result`` may reference parts of ``user``.
            self._users[user.username] = copy.deepcopy(user)
            self._record_views.pop("users", None)
            return result

    # -- login throttling ------------------------------------------------------
    def record_login_failure(self, key: str, at: float, window_seconds: float) -> int:
        """Remember a failure of ``key`` at ``at``; the count within the window."""
        self._room()
        with self._lock:
            self._failures = bounded_failures(self._failures, key, at, window_seconds,
                                              LOGIN_SHARDS * LOGIN_MAX_KEYS_PER_SHARD)
            return sum(1 for t in self._failures[key] if at - t < window_seconds)

    def login_failures(self, key: str, now: float, window_seconds: float) -> int:
        """How many failures ``key`` has within the last ``window_seconds``."""
        with self._lock:
            return sum(1 for t in self._failures.get(key, []) if now - t < window_seconds)

    def clear_login_failures(self, key: str) -> None:
        """Forget the failures of ``key``."""
        with self._lock:
            if key in self._failures:
                self._room()
            self._failures.pop(key, None)

    # -- inspections -------------------------------------------------------------
    def add_inspection(self, inspection: Inspection) -> None:
        """Store a new inspection; AlreadyExists if taken, ValueError for a bad id."""
        self._room()
        if not valid_id(inspection.id):
            raise ValueError(f"invalid inspection id: {inspection.id!r}")
        with self._lock:
            if inspection.id in self._inspections:
                raise AlreadyExists(f"inspection {inspection.id!r}")
            self._inspections[inspection.id] = _private(inspection)
            self._indexed(inspection.id, None, inspection.unit)

    def _indexed(self, inspection_id: str, old_unit: str | None, new_unit: str) -> None:
        """Keep the units' membership and drop their stale views (lock held)."""
        if old_unit is not None:
            self._by_unit.get(old_unit, set()).discard(inspection_id)
            self._views.pop(old_unit, None)
        self._by_unit.setdefault(new_unit, set()).add(inspection_id)
        self._views.pop(new_unit, None)

    def get_inspection(self, inspection_id: str) -> Inspection | None:
        """A private copy of the inspection, or None."""
        with self._lock:
            found = self._inspections.get(inspection_id)
            return None if found is None else _private(found)

    def update_inspection(self, inspection_id: str, change: Callable[[Inspection], T]) -> T:
        """Apply ``change`` to a private copy; on return store it with ``rev`` + 1."""
        with self._lock:
            stored = self._inspections.get(inspection_id)
            if stored is None:
                raise NotFound(f"inspection {inspection_id!r}")
            inspection = _private(stored)
            result = change(inspection)
            if inspection.id != inspection_id:
                raise ValueError("an update cannot change an inspection's id")
            self._room()  # like a disk: the change ran, its write is refused
            inspection.rev = stored.rev + 1
            self._inspections[inspection_id] = _private(inspection)
            self._indexed(inspection_id, stored.unit, inspection.unit)
            return result

    def list_inspections(self, *, unit: str | None = None, units: Iterable[str] | None = None,
                         period: str | None = None, checklist: str | None = None,
                         kind: str | None = None, status: str | None = None
                         ) -> list[InspectionSummary]:
        """Summaries matching every filter given (newest first)."""
        wanted_units = set(units) if units is not None else None
        with self._lock:
            # summarize() builds new objects holding only scalars and a new list: no copy needed.
            summaries = [summarize(i) for i in self._inspections.values()]
        out = [s for s in summaries
               if (unit is None or s.unit == unit)
               and (wanted_units is None or s.unit in wanted_units)
               and (period is None or s.period == period)
               and (checklist is None or s.checklist_id == checklist)
               and (kind is None or s.kind == kind)
               and (status is None or s.status == status)]
        out.sort(key=lambda s: (s.created_at, s.id), reverse=True)
        return out

    # -- bounded queries (see storage/index.py) ----------------------------------------
    def _unit_views(self, units: Iterable[str] | None) -> list[IndexView]:
        with self._lock:
            codes = list(self._by_unit) if units is None else [u for u in set(units)
                                                                if u in self._by_unit]
            out = []
            for code in sorted(codes):
                view = self._views.get(code)
                if view is None:
                    view = self._views[code] = IndexView(
                        summarize(self._inspections[i]).to_dict() for i in self._by_unit[code])
                out.append(view)
            return out

    def query_inspections(self, query: InspectionQuery, *, offset: int = 0,
                          limit: int | None = None) -> Page[InspectionSummary]:
        """A page of the summaries matching ``query``; see the Protocol."""
        return index.query_inspections(self._unit_views(query.units), query, offset, limit)

    def query_items(self, query: ItemQuery, *, offset: int = 0, limit: int | None = None
                    ) -> Page[tuple[ItemSummary, InspectionSummary]]:
        """A page of remediation items matching ``query``; see the Protocol."""
        return index.query_items(self._unit_views(query.units), query, offset, limit)

    def units_with_member(self, username: str) -> set[str]:
        """The units of every inspection or assessment whose team includes ``username``."""
        return index.units_with_member(self._unit_views(None), username)

    def iter_summaries(self, query: InspectionQuery) -> Iterator[InspectionSummary]:
        """Summaries matching ``query`` (see the Protocol)."""
        yield from self.query_inspections(query).rows

    def iter_export_records(self, inspection_ids: Iterable[str]) -> Iterator[dict]:
        """Export records (see the Protocol): private copies in the stored form."""
        for inspection_id in inspection_ids:
            with self._lock:
                found = self._inspections.get(inspection_id)
                doc = None if found is None else copy.deepcopy(found.to_dict())
            if doc is not None:
                doc["schema"] = SCHEMA
                yield export_record(doc)

    def _record_view(self, kind: str) -> RecordView:
        with self._lock:
            view = self._record_views.get(kind)
            if view is None:
                records = self._units if kind == "units" else self._users
                view = self._record_views[kind] = RecordView(
                    (r.to_dict() for r in records.values()), kind)
            return view

    def page_units(self, *, search: str = "", codes: Iterable[str] | None = None,
                   offset: int = 0, limit: int | None = None) -> Page[Unit]:
        """Units by folded name, filtered; see the Protocol."""
        return self._record_view("units").page(search, codes, offset, limit,
                                               lambda d: Unit.from_dict(dict(d)))

    def page_users(self, *, search: str = "", offset: int = 0,
                   limit: int | None = None) -> Page[User]:
        """Users by role then username, filtered; see the Protocol."""
        return self._record_view("users").page(search, None, offset, limit,
                                               lambda d: User.from_dict(copy.deepcopy(d)))

    # -- photos -----------------------------------------------------------------
    def _photos(self) -> PhotoFolder:
        with self._lock:
            if self._photo_dir is None:
                self._photo_tmp = tempfile.TemporaryDirectory(prefix="inspect-photos-")
                self._photo_dir = Path(self._photo_tmp.name)
            return PhotoFolder(self._photo_dir)

    def save_photo(self, photo_id: str, data: bytes, variant: str = "full") -> None:
        """Store the bytes of a photo; ValueError for a bad id or variant."""
        self._room()
        self._photos().save(photo_id, data, variant)

    def photo_path(self, photo_id: str, variant: str = "full") -> Path | None:
        """The file of a stored photo, or None."""
        return self._photos().path(photo_id, variant)

    def delete_photo(self, photo_id: str) -> None:
        """Remove every variant of a photo that no record refers to."""
        self._photos().delete(photo_id)
