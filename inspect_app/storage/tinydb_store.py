"""The TinyDB store: many small JSON files, each written atomically under a file lock.

Layout of ``<data_dir>`` (``LAYOUT`` = 3, recorded in ``store/meta.json``)::

    store/meta.json                        {"layout": 2, "schema": 2}
    store/units.json                       TinyDB, table "units"     (one doc per unit)
    store/users.json                       TinyDB, table "users"     (one doc per user, with tokens)
    store/logins/<nn>.json                 TinyDB, table "failures": login failures, one doc per
                                           throttled key, spread over LOGIN_SHARDS files by a
                                           salted hash of the key (see record_login_failure)
    store/logins/salt                      the random salt of that hash (made once)
    store/inspections/<id[:2]>/<id>.json   TinyDB, table "inspection", doc 1: the whole inspection,
                                           its checklist content replaced by a reference
    store/checklists/<hash>.json           the content of a checklist snapshot, by content
                                           hash: written once, never changed, shared
    store/index/<shard>.json               TinyDB, table "summaries": InspectionSummary of each
                                           inspection of one unit (see :func:`shard_name`),
                                           with the cards of its remediation items
    store/index-pending/<id>.json          intent markers for index updates (see below)
    photos/<id[:2]>/<id>.<variant>.jpg     photo bytes
    every data file X has a lock file X.lock beside it

Why so many files: TinyDB rewrites a whole file on every write, so one file per
inspection keeps the cost of saving an answer independent of how many inspections
exist, and the per-unit index shards are rewritten only when an inspection's
summary changes (create, finalize, team or remediation changes), never on an answer.

Writes. Every file is replaced whole: a temporary file in the same folder, flush,
fsync, ``os.replace``, fsync of the folder (:func:`write_atomic`), so a reader or a
killed process never sees half a file. Every read-modify-write holds a
:class:`filelock.FileLock` on the file's ``.lock`` (and a thread lock in front of
it, so threads of one process queue without polling). Lock order: the inspection
file, then index shards in sorted path order. Nothing that holds a shard lock
takes an inspection lock, so there is no deadlock.

The index is derived data. An inspection write that changes its summary first
writes an intent marker ``index-pending/<id>.json``, then the inspection, then
the shard(s), then deletes the marker, all under the inspection lock. A marker
left by a killed process is replayed (the shard entry is recomputed from the
inspection file) by the next :meth:`TinyDBStore.list_inspections` or store opening.

Caching. Only files that are read often and change rarely (index shards, units,
users) go through :class:`FileCache`, which re-stats on every read and keys the
parsed content by the file's identity (device, inode, size, mtime, ctime).
Inspections are always read from disk: they are small, and a deep copy of a cached
one would cost as much as parsing it.

Schema. Every document carries ``"schema"``; :func:`upgrade` applies
:data:`UPGRADES` on read, and the upgraded form is written back the next time that
record is written.
"""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

from filelock import FileLock, Timeout
from tinydb import Query, TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage
from tinydb.table import Document

from ..domain.replay import compact_ops
from ..domain.models import (SCHEMA, Inspection, InspectionSummary, ItemSummary, Unit, User,
                             summarize)
from . import index
from .base import (AlreadyExists, CannotStore, InspectionQuery, ItemQuery, NotFound, Page,
                   StoreError, storing)
from .index import IndexView, RecordView
from .temporaries import TMP_SUFFIX, clean_at_start, hold_temporary

T = TypeVar("T")

SNAPSHOT_HASH = re.compile(r"[0-9a-f]{64}")
#: Version of the file layout described in the module docstring.
LAYOUT = 3  # 2: checklist content in store/checklists/<hash>.json; 3: item cards in the index
#: How long to wait for another process's lock before giving up (a holder that
#: dies releases its lock at once, so only a hung process can make us wait this long).
LOCK_TIMEOUT = 60.0
#: Keep login failures this long at least, whatever window a caller asks for (older ones
#: are dropped from a shard whenever it is written).
LOGIN_KEEP_SECONDS = 3600
#: At most this many remembered failures per key (enough to stay over any threshold).
LOGIN_MAX_PER_KEY = 1000
#: Login failures are spread over this many files, so a failure rewrites a small one.
LOGIN_SHARDS = 64
#: At most this many keys per shard file (so at most LOGIN_SHARDS × this in all): beyond
#: it, the keys with the fewest failures in the window (then the oldest) are forgotten.
LOGIN_MAX_KEYS_PER_SHARD = 256
LOGINS_DIR = "logins"

_SAFE_ID = re.compile(r"[A-Za-z0-9]+")
_SAFE_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")

INSPECTION_TABLE = "inspection"
INSPECTION_DOC_ID = 1


# -- schema upgrades -------------------------------------------------------------

def _upgrade_0_to_1(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 0 (the prototype, documents without ``"schema"``) named a record's unit
    ``unit_code`` (inspections, users, index entries) and a unit's parent
    ``parent_code``; version 1 calls them ``unit`` and ``parent``."""
    for old, new in (("unit_code", "unit"), ("parent_code", "parent")):
        if old in doc:
            doc.setdefault(new, doc.pop(old))
    return doc


def _upgrade_1_to_2(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 1 remembered the last 150 ops of an inspection with their whole responses
    (``{op_id: {fingerprint, status, result, at}}``); version 2 keeps every op for the
    life of the record as one short string (``domain/replay.py``). Answers of version 1
    stored their empty fields; version 2 leaves them out (both read the same)."""
    if isinstance(doc.get("ops"), dict):
        doc["ops"] = compact_ops(doc["ops"])
    return doc


#: ``{from_version: function(doc) -> doc}``; each step gets a private copy.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _upgrade_0_to_1,
                                                                   1: _upgrade_1_to_2}


def upgrade(doc: dict[str, Any]) -> dict[str, Any]:
    """The document in the current ``SCHEMA``. A current document is returned as is
    (not copied); an older one is copied before the :data:`UPGRADES` steps run."""
    version = doc.get("schema", 0)
    if version == SCHEMA:
        return doc
    if not isinstance(version, int) or version > SCHEMA:
        raise StoreError(f"document schema {version!r} is newer than this program ({SCHEMA})")
    doc = copy.deepcopy(doc)
    while version < SCHEMA:
        doc = UPGRADES[version](doc)
        version += 1
    doc["schema"] = SCHEMA
    return doc


def _doc(record: Any) -> dict[str, Any]:
    """The stored form of a domain record: its dict plus the schema version."""
    data = record.to_dict()
    data["schema"] = SCHEMA
    return data


# -- files -------------------------------------------------------------------------

def valid_id(value: object) -> bool:
    """Whether ``value`` is an id we accept in a file name (letters and digits only)."""
    return isinstance(value, str) and _SAFE_ID.fullmatch(value) is not None


def shard_name(unit_code: str) -> str:
    """The index shard file name of a unit. Codes made of ASCII letters, digits, ``-``
    and ``_`` are used as they are; any other text (Vietnamese names, ``../x``, very
    long codes) becomes ``~<sha256>``, so a code is never trusted as a path. Two codes
    sharing a shard (e.g. on a case-insensitive disk) would still be correct: entries
    are always filtered by their ``unit`` field."""
    if _SAFE_CODE.fullmatch(unit_code):
        return unit_code + ".json"
    return "~" + hashlib.sha256(unit_code.encode("utf-8")).hexdigest() + ".json"


def _fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(folder: Path) -> None:
    """Create ``folder`` (and parents) so that the new entries survive a power cut."""
    if folder.is_dir():
        return
    ensure_dir(folder.parent)
    with suppress(FileExistsError), storing(folder):
        folder.mkdir()
        _fsync_dir(folder.parent)


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` by ``data`` so that readers see the old or the new file, never a
    mix, even if the process dies: temporary file in the same folder, flush, fsync,
    ``os.replace``, fsync of the folder. ``durable=False`` skips both fsyncs (bulk
    loads that call :func:`os.sync` once at the end).

    A disk that cannot take the file (full, read-only, failing) raises
    :class:`CannotStore`, and the temporary file is removed. While it is written the
    temporary file is ``flock``-ed, so :func:`clean_temporaries` never takes a live
    writer's file for a leftover."""
    # Temporary names start with "." and end with ".tmp": nothing ever reads them as data.
    with storing(path):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                hold_temporary(f.fileno())
                f.write(data)
                f.flush()
                if durable:
                    os.fsync(f.fileno())
                os.replace(tmp, path)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        if durable:
            _fsync_dir(path.parent)


def _dumps(data: Any) -> bytes:
    # ensure_ascii=False keeps Vietnamese text readable in the files and ~2x smaller.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class AtomicJSONStorage(Storage):
    """A TinyDB storage that writes with :func:`write_atomic`.

    Reading a file that does not exist gives an empty database. Unlike TinyDB's
    ``JSONStorage`` it keeps no file open: each read opens the current file, so a
    replacement by another process is seen at once.
    """

    def __init__(self, path: str | os.PathLike[str], durable: bool = True) -> None:
        super().__init__()
        self.path = Path(path)
        self.durable = durable

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        return json.loads(raw) if raw else None

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        ensure_dir(self.path.parent)
        write_atomic(self.path, _dumps(data), durable=self.durable)


class _Buffered(CachingMiddleware):
    """Holds every write of one transaction in memory until :meth:`flush`, so a
    transaction of several table operations is one atomic file replacement (and none
    at all if it is abandoned)."""

    WRITE_CACHE_SIZE = sys.maxsize


# -- locks -------------------------------------------------------------------------

class _PathLock:
    """A thread lock (threads of this process queue on it without polling) in front of
    a file lock (other processes)."""

    def __init__(self, lock_file: str) -> None:
        self.thread_lock = threading.Lock()
        # thread_local=False: the thread lock already admits one thread at a time.
        self.file_lock = FileLock(lock_file, timeout=LOCK_TIMEOUT, thread_local=False,
                                  poll_interval=0.002)


_locks: dict[str, _PathLock] = {}
_locks_guard = threading.Lock()


def _forget_locks_after_fork() -> None:
    # A forked child must not reuse the parent's lock objects (filelock refuses them
    # and a thread lock may have been held by a thread that does not exist here).
    global _locks_guard
    _locks.clear()
    _locks_guard = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_after_fork)


@contextmanager
def locked(path: Path, *, blocking: bool = True) -> Iterator[bool]:
    """Hold the lock of data file ``path`` (its ``.lock`` file) across threads and
    processes. With ``blocking=False`` yields False at once if it is held elsewhere."""
    key = os.fspath(path) + ".lock"
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = _PathLock(key)
    # A timeout rather than waiting forever: a ``change`` callback that writes the same
    # record again would otherwise hang its thread silently.
    if not (lock.thread_lock.acquire(timeout=LOCK_TIMEOUT) if blocking
            else lock.thread_lock.acquire(blocking=False)):
        if not blocking:
            yield False
            return
        raise StoreError(f"timed out waiting for the lock of {path}")
    try:
        ensure_dir(path.parent)
        try:
            with storing(key):  # a new lock file needs room too
                lock.file_lock.acquire(blocking=blocking)
        except Timeout:
            if not blocking:
                yield False
                return
            raise StoreError(f"timed out waiting for the lock of {path}") from None
        try:
            yield True
        finally:
            lock.file_lock.release()
    finally:
        lock.thread_lock.release()


@contextmanager
def transaction(path: Path, *, durable: bool = True) -> Iterator[TinyDB]:
    """Lock ``path`` and give a TinyDB on it whose writes are buffered and written once,
    atomically, when the block ends without an exception (never if it raises)."""
    with locked(path):
        db = TinyDB(path, storage=_Buffered(AtomicJSONStorage), durable=durable)
        yield db
        db.storage.flush()


# -- a cache that cannot go stale ------------------------------------------------------

class FileCache:
    """Parsed JSON files, reused only while the file on disk is provably the same.

    Every read opens the file and ``fstat``s the open descriptor, so the key and the
    content come from the same inode. Files are only ever replaced (new inode), never
    changed in place, but inode numbers are reused after a file is deleted, so the key
    also holds size, mtime and ctime; and a file modified less than
    ``RACY_SECONDS`` ago is not cached at all, because a later replacement within the
    same timestamp tick could reuse the inode with the same size and times (git's
    "racy clean" problem). Cached values are shared: callers must not mutate them.
    """

    RACY_SECONDS = 2.0
    MAX_ENTRIES = 4096

    def __init__(self) -> None:
        self._entries: dict[str, tuple[tuple[int, ...], Any]] = {}
        self._views: dict[str, tuple[Any, Any]] = {}  # path: (content, view built from it)
        self._lock = threading.Lock()

    def read(self, path: str | Path) -> dict[str, Any] | None:
        """The parsed content of ``path`` (None if it does not exist or is empty)."""
        key = os.fspath(path)
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            return None
        with f:
            st = os.fstat(f.fileno())
            ident = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            with self._lock:
                hit = self._entries.get(key)
            if hit is not None and hit[0] == ident:
                return hit[1]
            raw = f.read()
        data = json.loads(raw) if raw else None
        if time.time_ns() - st.st_mtime_ns > self.RACY_SECONDS * 1e9:
            with self._lock:
                if len(self._entries) >= self.MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (ident, data)
        return data

    def view(self, path: str | Path, build: Callable[[dict[str, Any] | None], T]) -> T:
        """``build(content of path)``, kept and reused under the same rule as the content
        itself: only while the file is provably unchanged (derived data: sorted lists,
        memoised queries). ``build`` must not mutate the content."""
        key = os.fspath(path)
        with self._lock:
            hit = self._views.get(key)
            cached = self._entries.get(key)
        if hit is not None and cached is not None and hit[0] is cached[1]:
            # The same identity test as :meth:`read`, by ``stat`` alone: nothing is read.
            try:
                st = os.stat(key)
            except FileNotFoundError:
                st = None
            if st is not None and cached[0] == (st.st_dev, st.st_ino, st.st_size,
                                                st.st_mtime_ns, st.st_ctime_ns):
                return hit[1]
        data = self.read(path)
        with self._lock:
            cached = self._entries.get(key)
        value = build(data)
        if cached is not None and cached[1] is data:  # content cached: keep the view too
            with self._lock:
                if len(self._views) >= self.MAX_ENTRIES:
                    self._views.clear()
                self._views[key] = (data, value)
        return value


def bounded_failures(docs: dict[str, list[float]], key: str, at: float, window_seconds: float,
                     max_keys: int) -> dict[str, list[float]]:
    """Login failure times by key after one more failure of ``key`` at ``at``: failures
    older than ``max(window_seconds, LOGIN_KEEP_SECONDS)`` dropped, at most
    ``LOGIN_MAX_PER_KEY`` per key, and at most ``max_keys`` keys. Beyond that the keys
    with the fewest failures in the window (then the oldest last failure) go first, so
    a spray of new usernames pushes out other one-off typos, not a locked account."""
    keep_after = at - max(window_seconds, LOGIN_KEEP_SECONDS)
    kept = {}
    for k, times in docs.items():
        times = [t for t in times if isinstance(t, (int, float)) and t > keep_after]
        if times and k != key:
            kept[k] = times
    mine = ([t for t in docs.get(key, []) if isinstance(t, (int, float)) and t > keep_after]
            + [at])[-LOGIN_MAX_PER_KEY:]
    if len(kept) >= max_keys:
        ranked = sorted(kept.items(), reverse=True, key=lambda kv: (
            sum(1 for t in kv[1] if at - t < window_seconds), max(kv[1])))
        kept = dict(ranked[:max_keys - 1])
    kept[key] = mine
    return kept


def _table(data: dict[str, Any] | None, name: str) -> Iterable[dict[str, Any]]:
    """The documents of table ``name`` in a parsed TinyDB file."""
    return ((data or {}).get(name) or {}).values()


def _replace(table: Any, doc_id: int, doc: dict[str, Any]) -> None:
    """Replace a whole document (TinyDB's update would merge, keeping renamed keys)."""
    table.remove(doc_ids=[doc_id])
    table.insert(Document(doc, doc_id=doc_id))


def _shard_view(data: dict[str, Any] | None) -> IndexView:
    return IndexView(upgrade(d) for d in _table(data, "summaries"))


def _summary_from(doc: dict[str, Any]) -> InspectionSummary:
    # Summaries hold scalars and one list; copying the list is enough to keep the
    # cached document private (much cheaper than a deepcopy over thousands of entries).
    summary = InspectionSummary.from_dict(upgrade(doc))
    summary.team = list(summary.team)
    return summary


# -- photos -----------------------------------------------------------------------------

class PhotoFolder:
    """Photo files ``<root>/<id[:2]>/<id>.<variant>.jpg``, named only by validated ids."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, photo_id: str, variant: str) -> Path | None:
        if not (valid_id(photo_id) and valid_id(variant)):
            return None
        return self.root / photo_id[:2] / f"{photo_id}.{variant}.jpg"

    def delete(self, photo_id: str) -> None:
        """Remove the files of a photo id (all variants); unknown ids are ignored."""
        if not valid_id(photo_id):
            return
        for path in (self.root / photo_id[:2]).glob(f"{photo_id}.*.jpg"):
            path.unlink(missing_ok=True)

    def save(self, photo_id: str, data: bytes, variant: str = "full") -> None:
        """Write the bytes atomically; ValueError for an id or variant that is not
        letters and digits only."""
        path = self._path(photo_id, variant)
        if path is None:
            raise ValueError(f"invalid photo id or variant: {photo_id!r}, {variant!r}")
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("photo data must be bytes")
        ensure_dir(path.parent)
        write_atomic(path, bytes(data))

    def path(self, photo_id: str, variant: str = "full") -> Path | None:
        """The file of a stored photo, or None (also for an invalid id)."""
        path = self._path(photo_id, variant)
        return path if path is not None and path.is_file() else None


# -- the store ----------------------------------------------------------------------------

class TinyDBStore:
    """:class:`~inspect_app.storage.base.Store` on TinyDB files under ``data_dir``.

    Safe to share between threads, and between processes that open the same folder.
    """

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "store"
        self.photos = PhotoFolder(self.data_dir / "photos")
        self._cache = FileCache()
        self._snapshots: dict[str, Any] = {}  # checklist content by hash: immutable files
        self._units_path = self.root / "units.json"
        self._users_path = self.root / "users.json"
        self._logins_dir = self.root / LOGINS_DIR
        self._login_salt: bytes | None = None
        self._index_dir = self.root / "index"
        self._pending_dir = self.root / "index-pending"
        self._check_layout()
        with suppress(OSError):  # the one file of login failures before store/logins/
            (self.root / "login_failures.json").unlink(missing_ok=True)
        self._replay_pending()
        clean_at_start(self.data_dir)  # temporaries of killed writers (cheap, never fails)

    def __repr__(self) -> str:
        return f"TinyDBStore({os.fspath(self.data_dir)!r})"

    def _check_layout(self) -> None:
        """Create ``meta.json`` on a new store; refuse a store written by a newer layout."""
        meta_path = self.root / "meta.json"
        with locked(meta_path):
            try:
                meta = json.loads(meta_path.read_bytes())
            except FileNotFoundError:
                write_atomic(meta_path, _dumps({"layout": LAYOUT, "schema": SCHEMA}))
                return
        if meta.get("layout", 0) > LAYOUT:
            raise StoreError(f"{self.root} has store layout {meta['layout']}, newer than "
                             f"this program ({LAYOUT})")
        if meta.get("layout", 0) < LAYOUT:
            # Layout 1 → 2 needs no rewrite: records with inline checklist content are
            # still read; the newer layout number keeps older programs away.
            # Layout 2 → 3: index entries gain the cards of their remediation items.
            with locked(meta_path):
                meta = json.loads(meta_path.read_bytes())  # another process may have done it
                if meta.get("layout", 0) < 3:
                    self.rebuild_index()
                if meta.get("layout", 0) < LAYOUT:
                    write_atomic(meta_path, _dumps({**meta, "layout": LAYOUT}))

    def rebuild_index(self) -> int:
        """Recompute every index shard from the inspection files (a layout upgrade, or a
        repair); returns how many inspections were indexed. Run it while no other
        process writes (the app runs it when it opens an older store)."""
        by_shard: dict[Path, list[dict[str, Any]]] = {}
        folder = self.root / "inspections"
        for path in sorted(folder.glob("*/*.json")) if folder.is_dir() else []:
            if path.name.startswith("."):
                continue
            inspection = self.get_inspection(path.stem)
            if inspection is not None:
                by_shard.setdefault(self._shard_path(inspection.unit), []).append(
                    _doc(summarize(inspection)))
        existing = set(self._index_dir.glob("*.json")) if self._index_dir.is_dir() else set()
        for path in sorted(existing | set(by_shard)):
            if path.name.startswith("."):
                continue
            with transaction(path) as db:
                table = db.table("summaries", cache_size=0)
                table.truncate()
                table.insert_multiple(by_shard.get(path, []))
        return sum(len(docs) for docs in by_shard.values())

    # -- units ---------------------------------------------------------------
    def list_units(self) -> list[Unit]:
        """Every unit (any order)."""
        data = self._cache.read(self._units_path)
        return [Unit.from_dict(upgrade(d)) for d in _table(data, "units")]

    def _units_view(self) -> RecordView:
        return self._cache.view(self._units_path, lambda data: RecordView(
            (upgrade(d) for d in _table(data, "units")), "units"))

    def page_units(self, *, search: str = "", codes: Iterable[str] | None = None,
                   offset: int = 0, limit: int | None = None) -> Page[Unit]:
        """Units by folded name, filtered; see the Protocol."""
        return self._units_view().page(search, codes, offset, limit,
                                       lambda d: Unit.from_dict(dict(d)))

    def get_unit(self, code: str) -> Unit | None:
        """The unit with this code, or None."""
        doc = self._units_view().by_key.get(code)
        return None if doc is None else Unit.from_dict(dict(doc))

    def save_units(self, units: Iterable[Unit]) -> None:
        """Insert or replace units by code, all or nothing (one file write)."""
        new = {u.code: _doc(u) for u in units}
        with transaction(self._units_path) as db:
            table = db.table("units", cache_size=0)
            by_code = {d["code"]: d for d in (upgrade(dict(d)) for d in table.all())}
            by_code.update(new)
            table.truncate()
            table.insert_multiple(by_code.values())

    # -- users ---------------------------------------------------------------
    def list_users(self) -> list[User]:
        """Every user."""
        data = self._cache.read(self._users_path)
        # deepcopy: the cached document is shared, and User keeps nested lists.
        return [User.from_dict(copy.deepcopy(upgrade(d))) for d in _table(data, "users")]

    def page_users(self, *, search: str = "", offset: int = 0,
                   limit: int | None = None) -> Page[User]:
        """Users by role then username, filtered; see the Protocol."""
        view = self._cache.view(self._users_path, lambda data: RecordView(
            (upgrade(d) for d in _table(data, "users")), "users"))
        return view.page(search, None, offset, limit,
                         lambda d: User.from_dict(copy.deepcopy(d)))

    def get_user(self, username: str) -> User | None:
        """The user with this username, or None."""
        data = self._cache.read(self._users_path)
        for d in _table(data, "users"):
            if d.get("username") == username:
                return User.from_dict(copy.deepcopy(upgrade(d)))
        return None

    def find_user_by_token(self, token_hash: str) -> User | None:
        """The user holding an API token with this SHA-256 hash, or None."""
        data = self._cache.read(self._users_path)
        for d in _table(data, "users"):
            if any(t.get("hash") == token_hash for t in d.get("tokens") or []):
                return User.from_dict(copy.deepcopy(upgrade(d)))
        return None

    def add_user(self, user: User) -> None:
        """Create a user; :class:`AlreadyExists` if the username is taken."""
        doc = _doc(user)
        with transaction(self._users_path) as db:
            table = db.table("users", cache_size=0)
            if table.contains(Query().username == user.username):
                raise AlreadyExists(f"user {user.username!r}")
            table.insert(doc)

    def update_user(self, username: str, change: Callable[[User], T]) -> T:
        """Atomically apply ``change`` to a private copy of the user and write it
        (``change`` runs with the users file locked: it must not write through the store)."""
        with transaction(self._users_path) as db:
            table = db.table("users", cache_size=0)
            found = table.get(Query().username == username)
            if found is None:
                raise NotFound(f"user {username!r}")
            user = User.from_dict(upgrade(dict(found)))
            result = change(user)
            if user.username != username and table.contains(Query().username == user.username):
                raise AlreadyExists(f"user {user.username!r}")
            _replace(table, found.doc_id, _doc(user))
        return result

    # -- login throttling ------------------------------------------------------
    def _salt(self, create: bool) -> bytes | None:
        """The salt of the shard hash (secret, so nobody can aim usernames at the shard of
        an account to push its failures out); made on first use if ``create``."""
        if self._login_salt is None:
            path = self._logins_dir / "salt"
            try:
                self._login_salt = path.read_bytes()
            except FileNotFoundError:
                if not create:
                    return None
                ensure_dir(self._logins_dir)
                with locked(path):
                    if not path.exists():
                        write_atomic(path, secrets.token_hex(16).encode("ascii"))
                    self._login_salt = path.read_bytes()
        return self._login_salt

    def _login_shard(self, key: str, create: bool = False) -> Path | None:
        """The shard file of a throttling key (None if no failure was ever recorded)."""
        salt = self._salt(create)
        if salt is None:
            return None
        digest = hmac.new(salt, key.encode("utf-8"), hashlib.sha256).digest()
        return self._logins_dir / f"{int.from_bytes(digest[:4], 'big') % LOGIN_SHARDS:02d}.json"

    def record_login_failure(self, key: str, at: float, window_seconds: float) -> int:
        """Remember a failed login for ``key`` at ``at`` and return the failures of
        ``key`` within the last ``window_seconds``. Rewrites only the key's shard (a
        few KB), dropping its failures older than ``max(window_seconds,
        LOGIN_KEEP_SECONDS)`` and keeping at most ``LOGIN_MAX_KEYS_PER_SHARD`` keys
        (:func:`bounded_failures`), so the files stay small however many usernames are
        tried. :class:`CannotStore` if it cannot be written (the login must then fail)."""
        path = self._login_shard(key, create=True)
        with transaction(path) as db:
            table = db.table("failures", cache_size=0)
            docs = {d["key"]: d.get("times", []) for d in table.all() if "key" in d}
            docs = bounded_failures(docs, key, at, window_seconds, LOGIN_MAX_KEYS_PER_SHARD)
            table.truncate()
            table.insert_multiple({"key": k, "times": v, "schema": SCHEMA} for k, v in docs.items())
        return sum(1 for t in docs[key] if at - t < window_seconds)

    def login_failures(self, key: str, now: float, window_seconds: float) -> int:
        """How many failures ``key`` has within the last ``window_seconds``."""
        path = self._login_shard(key)
        if path is None:
            return 0
        for d in _table(AtomicJSONStorage(path).read(), "failures"):
            if d.get("key") == key:
                return sum(1 for t in d.get("times", []) if now - t < window_seconds)
        return 0

    def clear_login_failures(self, key: str) -> None:
        """Forget the failures of ``key`` (after a successful login); no write if it has none."""
        path = self._login_shard(key)
        if path is None or not path.exists():
            return
        with transaction(path) as db:
            table = db.table("failures", cache_size=0)
            if table.contains(Query().key == key):
                table.remove(Query().key == key)

    # -- inspections -------------------------------------------------------------
    # -- checklist snapshots: content-addressed, written once, shared ------------------
    def _snapshot_path(self, digest: Any) -> Path | None:
        if not isinstance(digest, str) or not SNAPSHOT_HASH.fullmatch(digest):
            return None
        return self.root / "checklists" / f"{digest}.json"

    def _inspection_doc(self, inspection: Inspection, durable: bool = True) -> dict[str, Any]:
        """The stored form of an inspection: its checklist's content goes to
        ``checklists/<hash>.json`` (written once, never changed) and the record keeps
        the reference, so that saving an answer does not rewrite 40 KB of checklist."""
        doc = _doc(inspection)
        snapshot = doc.get("checklist") or {}
        path = self._snapshot_path(snapshot.get("hash"))
        if path is None or snapshot.get("data") is None:
            return doc  # no usable hash: keep the content inline, as before
        if not path.exists():
            ensure_dir(path.parent)
            write_atomic(path, _dumps(snapshot["data"]), durable=durable)
        doc["checklist"] = {k: v for k, v in snapshot.items() if k != "data"}
        doc["checklist"]["data_file"] = snapshot["hash"]
        return doc

    def _inspection_from(self, doc: dict[str, Any]) -> Inspection:
        """Rebuild an inspection, re-attaching its (shared, read-only) checklist content."""
        doc = upgrade(dict(doc))
        snapshot = doc.get("checklist") or {}
        if "data_file" in snapshot:
            data = self._snapshots.get(snapshot["data_file"])
            if data is None:
                path = self._snapshot_path(snapshot["data_file"])
                if path is None:
                    raise StoreError(f"bad checklist reference {snapshot['data_file']!r}")
                data = self._snapshots[snapshot["data_file"]] = json.loads(path.read_bytes())
            doc["checklist"] = {**{k: v for k, v in snapshot.items() if k != "data_file"},
                                "data": data}
        return Inspection.from_dict(doc)

    def _inspection_path(self, inspection_id: str) -> Path | None:
        if not valid_id(inspection_id):
            return None
        return self.root / "inspections" / inspection_id[:2] / f"{inspection_id}.json"

    def _shard_path(self, unit_code: str) -> Path:
        return self._index_dir / shard_name(unit_code)

    def add_inspection(self, inspection: Inspection) -> None:
        """Store a new inspection; :class:`AlreadyExists` if the id is taken,
        ValueError if the id is not letters and digits only."""
        path = self._inspection_path(inspection.id)
        if path is None:
            raise ValueError(f"invalid inspection id: {inspection.id!r}")
        with transaction(path) as db:
            table = db.table(INSPECTION_TABLE, cache_size=0)
            if table.get(doc_id=INSPECTION_DOC_ID) is not None:
                raise AlreadyExists(f"inspection {inspection.id!r}")
            table.insert(Document(self._inspection_doc(inspection), doc_id=INSPECTION_DOC_ID))
            self._write_with_index(db, inspection.id, None, summarize(inspection), created=path)

    def get_inspection(self, inspection_id: str) -> Inspection | None:
        """The full inspection, or None (also for an id that cannot exist)."""
        path = self._inspection_path(inspection_id)
        if path is None:
            return None
        # No lock needed: files are replaced atomically, so this is a consistent snapshot.
        doc = TinyDB(path, storage=AtomicJSONStorage).table(
            INSPECTION_TABLE, cache_size=0).get(doc_id=INSPECTION_DOC_ID)
        return None if doc is None else self._inspection_from(doc)

    def update_inspection(self, inspection_id: str, change: Callable[[Inspection], T]) -> T:
        """Atomic read-modify-write of one inspection; see the Protocol. The index shard
        is rewritten only if :func:`summarize` gives a different summary. ``change`` runs
        with the inspection locked: it must not write other records through the store."""
        path = self._inspection_path(inspection_id)
        # Inspections are never deleted, so a missing file means NotFound; checking
        # before locking avoids leaving lock files behind for ids that do not exist.
        if path is None or not path.exists():
            raise NotFound(f"inspection {inspection_id!r}")
        with transaction(path) as db:
            table = db.table(INSPECTION_TABLE, cache_size=0)
            doc = table.get(doc_id=INSPECTION_DOC_ID)
            if doc is None:
                raise NotFound(f"inspection {inspection_id!r}")
            # Freshly parsed, so this object is already a private copy.
            inspection = self._inspection_from(doc)
            old_rev, before = inspection.rev, summarize(inspection)
            result = change(inspection)
            if inspection.id != inspection_id:
                raise ValueError("an update cannot change an inspection's id")
            inspection.rev = old_rev + 1
            _replace(table, INSPECTION_DOC_ID, self._inspection_doc(inspection))
            after = summarize(inspection)
            if after != before:
                self._write_with_index(db, inspection_id, before, after)
        return result

    def _write_with_index(self, db: TinyDB, inspection_id: str,
                          before: InspectionSummary | None, after: InspectionSummary,
                          created: Path | None = None) -> None:
        """Write the inspection (buffered in ``db``), then its index entry, with an intent
        marker around the two so that a crash between them is repaired later. Called
        with the inspection lock held (lock order: inspection, then shards).

        When the disk cannot take a write (:class:`CannotStore`), nothing half-made
        stays: if the inspection was not written, neither is the marker; a new
        inspection (``created`` is its file) whose index entry cannot be written is
        removed again. An update that is stored but whose index entry is not keeps its
        marker, and the index is repaired once there is room (the record is the truth)."""
        units = sorted({after.unit} | ({before.unit} if before else set()))
        marker = self._pending_dir / f"{inspection_id}.json"
        ensure_dir(self._pending_dir)
        left_over = marker.exists()
        if left_over:  # left by a killed writer: its units may still hold stale entries
            units = sorted(set(units) | set(json.loads(marker.read_bytes()).get("units", [])))
        write_atomic(marker, _dumps({"id": inspection_id, "units": units}))
        try:
            db.storage.flush()
        except CannotStore:
            if not left_over:  # nothing was written: the marker has nothing to repair
                marker.unlink(missing_ok=True)
            raise
        try:
            self._set_summary(inspection_id, units, after)
        except CannotStore:
            if created is None:
                return  # stored; the marker makes the next listing (with room) fix the index
            created.unlink(missing_ok=True)  # unlinking needs no room
            if not left_over:
                marker.unlink(missing_ok=True)
            raise
        marker.unlink()

    def _set_summary(self, inspection_id: str, units: Iterable[str],
                     summary: InspectionSummary | None) -> None:
        """Put ``summary`` in its unit's shard and remove ``inspection_id`` from the other
        shards of ``units`` (all this with the inspection lock held)."""
        paths = {self._shard_path(u) for u in units}
        if summary is not None:
            paths.add(self._shard_path(summary.unit))
        for path in sorted(paths):  # sorted: one lock order for shards too
            with transaction(path) as db:
                table = db.table("summaries", cache_size=0)
                table.remove(Query().id == inspection_id)
                if summary is not None and path == self._shard_path(summary.unit):
                    table.insert(_doc(summary))

    def _replay_pending(self) -> None:
        """Finish index updates that a killed process left half done (see the module
        docstring). Cheap when there is nothing to do: one directory listing."""
        try:
            names = [e.name for e in os.scandir(self._pending_dir)
                     if e.name.endswith(".json") and not e.name.startswith(".")]
        except FileNotFoundError:
            return
        for name in names:
            inspection_id = name[:-len(".json")]
            path = self._inspection_path(inspection_id)
            marker = self._pending_dir / name
            if path is None:
                marker.unlink(missing_ok=True)
                continue
            try:
                self._replay_one(inspection_id, path, marker)
            except (CannotStore, ValueError, StoreError):
                # No room to repair now (or an unreadable marker): keep the marker and
                # list what the index holds; a later listing with room finishes it.
                continue

    def _replay_one(self, inspection_id: str, path: Path, marker: Path) -> None:
        # A live writer holds the inspection lock while its marker exists and will
        # finish by itself: skip it rather than wait.
        with locked(path, blocking=False) as got:
            if not got or not marker.exists():
                return
            units = json.loads(marker.read_bytes()).get("units", [])
            inspection = self.get_inspection(inspection_id)
            self._set_summary(inspection_id, units,
                              summarize(inspection) if inspection else None)
            marker.unlink()

    def list_inspections(self, *, unit: str | None = None, units: Iterable[str] | None = None,
                         period: str | None = None, checklist: str | None = None,
                         kind: str | None = None, status: str | None = None
                         ) -> list[InspectionSummary]:
        """Summaries matching every filter given, newest first (``created_at`` desc).
        Reads only the shards of the requested unit(s) when a unit filter is given."""
        self._replay_pending()
        wanted: set[str] | None = None
        if unit is not None:
            wanted = {unit}
        if units is not None:
            codes = set(units)
            wanted = codes if wanted is None else wanted & codes
        if wanted is None:
            try:
                paths = sorted(p for p in self._index_dir.glob("*.json")
                               if not p.name.startswith("."))
            except FileNotFoundError:
                paths = []
        else:
            paths = sorted({self._shard_path(c) for c in wanted})
        filters = {"period": period, "checklist_id": checklist, "kind": kind, "status": status}
        filters = {k: v for k, v in filters.items() if v is not None}
        out = []
        for path in paths:
            for d in _table(self._cache.read(path), "summaries"):
                d = upgrade(d)
                if wanted is not None and d.get("unit") not in wanted:
                    continue
                if all(d.get(k) == v for k, v in filters.items()):
                    out.append(_summary_from(d))
        out.sort(key=lambda s: (s.created_at, s.id), reverse=True)
        return out

    # -- bounded queries (see storage/index.py) ------------------------------------------
    def _shard_views(self, units: Iterable[str] | None) -> list[IndexView]:
        """The views of the index shards holding ``units`` (None: every shard)."""
        self._replay_pending()
        if units is None:
            try:
                names = sorted(e.name for e in os.scandir(self._index_dir)
                               if e.name.endswith(".json") and not e.name.startswith("."))
            except FileNotFoundError:
                names = []
        else:
            names = sorted({shard_name(c) for c in units})
        folder = os.fspath(self._index_dir)  # str paths: a Path per shard costs more than its stat
        return [self._cache.view(os.path.join(folder, name), _shard_view) for name in names]

    def query_inspections(self, query: InspectionQuery, *, offset: int = 0,
                          limit: int | None = None) -> Page[InspectionSummary]:
        """A page of the summaries matching ``query``; see the Protocol."""
        return index.query_inspections(self._shard_views(query.units), query, offset, limit)

    def query_items(self, query: ItemQuery, *, offset: int = 0, limit: int | None = None
                    ) -> Page[tuple[ItemSummary, InspectionSummary]]:
        """A page of remediation items matching ``query``; see the Protocol."""
        return index.query_items(self._shard_views(query.units), query, offset, limit)

    def units_with_member(self, username: str) -> set[str]:
        """The units of every record whose team includes ``username``."""
        return index.units_with_member(self._shard_views(None), username)

    def import_inspections(self, inspections: Iterable[Inspection], *, durable: bool = True) -> int:
        """Bulk-load new inspections (demo data, migrations, benchmarks): one file each,
        then one write per index shard. With ``durable=False`` files are not fsynced one
        by one; :func:`os.sync` runs once at the end. Existing ids raise AlreadyExists
        before anything is written. Returns how many were written. Not for use while
        other processes write the same units."""
        batch = list(inspections)
        paths = []
        for inspection in batch:
            path = self._inspection_path(inspection.id)
            if path is None:
                raise ValueError(f"invalid inspection id: {inspection.id!r}")
            if path.exists():
                raise AlreadyExists(f"inspection {inspection.id!r}")
            paths.append(path)
        by_shard: dict[Path, list[dict[str, Any]]] = {}
        for inspection, path in zip(batch, paths):
            with transaction(path, durable=durable) as db:
                db.table(INSPECTION_TABLE, cache_size=0).insert(
                    Document(self._inspection_doc(inspection, durable), doc_id=INSPECTION_DOC_ID))
            by_shard.setdefault(self._shard_path(inspection.unit), []).append(
                _doc(summarize(inspection)))
        for path, docs in sorted(by_shard.items()):
            with transaction(path, durable=durable) as db:
                db.table("summaries", cache_size=0).insert_multiple(docs)
        if not durable:
            os.sync()
        return len(batch)

    # -- photos -----------------------------------------------------------------
    def save_photo(self, photo_id: str, data: bytes, variant: str = "full") -> None:
        """Store the bytes of a photo atomically; ValueError for a bad id or variant."""
        self.photos.save(photo_id, data, variant)

    def photo_path(self, photo_id: str, variant: str = "full") -> Path | None:
        """The file of a stored photo, or None."""
        return self.photos.path(photo_id, variant)

    def delete_photo(self, photo_id: str) -> None:
        """Remove every variant of a photo that no record refers to (a refused upload)."""
        self.photos.delete(photo_id)
