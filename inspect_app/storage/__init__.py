"""Storage: the :class:`Store` interface, its TinyDB implementation and an in-memory one.

``open_store(data_dir, url)`` is how the app gets its store (the DATABASE_URL setting
chooses which): one instance per folder and process, shared by all threads.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from .base import (
    AlreadyExists,
    CannotStore,
    NotFound,
    Store,
    StoreError,
    new_id,
    storing,
)
from .memory import MemoryStore
from .tinydb_store import TinyDBStore

__all__ = ["AlreadyExists", "CannotStore", "MemoryStore", "NotFound", "Store", "StoreError",
           "TinyDBStore", "new_id", "open_store", "storing"]

_stores: dict[Path, TinyDBStore] = {}
_stores_lock = threading.Lock()


def open_store(data_dir: str | os.PathLike[str], url: str = "") -> Store:
    """The store the app uses. ``url`` is the DATABASE_URL setting: empty for the TinyDB
    store of ``data_dir`` (created if needed, one instance per resolved path in this
    process); ``memory:`` for a new in-memory store whose photos go to
    ``data_dir/photos`` (tests and trials: one process, gone when it stops)."""
    if url == "memory:":
        return MemoryStore(Path(data_dir) / "photos")
    if url:
        raise ValueError(f"DATABASE_URL: unsupported store {url.split(':', 1)[0]!r} "
                         "(empty for the embedded store, or memory:)")
    path = Path(data_dir).resolve()
    with _stores_lock:
        store = _stores.get(path)
        if store is None:
            store = _stores[path] = TinyDBStore(path)
        return store
