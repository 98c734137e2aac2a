"""Files that survive a crash: atomic replacement with fsync, directory creation, file
locks (a thread lock in front of a :class:`filelock.FileLock`), TinyDB transactions over
one file, and a cache of parsed files keyed by their identity. Shared by the TinyDB
store, the photo folder and the login-failure shards."""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage

from .base import StoreError, storing
from .temporaries import TMP_SUFFIX, hold_temporary

try:  # orjson: the same JSON, 10x faster to write and 2x faster to read (docs/performance.md)
    import orjson
except ImportError:  # pragma: no cover - it is in requirements.txt; stdlib json still works
    orjson = None

#: How long to wait for another process's lock before giving up (a holder that
#: dies releases its lock at once, so only a hung process can make us wait this long).
LOCK_TIMEOUT = 60.0

T = TypeVar("T")
_SAFE_ID = re.compile(r"[A-Za-z0-9]+")


def valid_id(value: object) -> bool:
    """Whether ``value`` is an id we accept in a file name (letters and digits only)."""
    return isinstance(value, str) and _SAFE_ID.fullmatch(value) is not None


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


def json_bytes(data: Any) -> bytes:
    """Compact UTF-8 JSON of a stored document (Vietnamese text kept readable, ~2x
    smaller than ASCII escapes). Written by orjson when it is installed; anything it
    refuses (an integer beyond 64 bits, a non-string key) goes through the standard
    library, so both give the same files and the same errors."""
    if orjson is not None:
        try:
            return orjson.dumps(data)
        except TypeError:  # orjson.JSONEncodeError
            pass
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_load(raw: bytes) -> Any:
    """Parse a stored JSON file (bytes). Whatever orjson cannot read (NaN, integers beyond
    64 bits) is read by the standard library, which raises the error if it is not JSON."""
    if orjson is not None:
        try:
            return orjson.loads(raw)
        except ValueError:  # orjson.JSONDecodeError
            pass
    return json.loads(raw)


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
        return json_load(raw) if raw else None

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        ensure_dir(self.path.parent)
        write_atomic(self.path, json_bytes(data), durable=self.durable)


class _Buffered(CachingMiddleware):
    """Holds every write of one transaction in memory until :meth:`flush`, so a
    transaction of several table operations is one atomic file replacement (and none
    at all if it is abandoned)."""

    WRITE_CACHE_SIZE = sys.maxsize


class _PathLock:
    """A thread lock (threads of this process queue on it without polling) in front of
    a file lock (other processes)."""

    def __init__(self, lock_file: str) -> None:
        self.thread_lock = threading.Lock()
        # thread_local=False: the thread lock already admits one thread at a time.
        self.file_lock = FileLock(lock_file, timeout=LOCK_TIMEOUT, thread_local=False,
                                  poll_interval=0.002)


#: One thread lock per lock file path, for the threads of this process.
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
        #: (path, kind): (content, view built from it)
        self._views: dict[tuple[str, str], tuple[Any, Any]] = {}
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
        data = json_load(raw) if raw else None
        if time.time_ns() - st.st_mtime_ns > self.RACY_SECONDS * 1e9:
            with self._lock:
                if len(self._entries) >= self.MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (ident, data)
        return data

    def view(self, path: str | Path, build: Callable[[dict[str, Any] | None], T], *,
             kind: str) -> T:
        """``build(content of path)``, kept and reused under the same rule as the content
        itself: only while the file is provably unchanged (derived data: sorted lists,
        memoised queries). ``build`` must not mutate the content. ``kind`` names the view:
        one file has several (the users sorted for lists, the users by token), and one
        kind's view is never handed out for another's."""
        key = os.fspath(path)
        with self._lock:
            hit = self._views.get((key, kind))
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
                self._views[(key, kind)] = (data, value)
        return value
