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
    StoreUnavailable,
    new_id,
    storing,
)
from .memory import MemoryStore
from .tinydb_store import TinyDBStore

__all__ = ["AlreadyExists", "CannotStore", "MemoryStore", "NotFound", "Store", "StoreError",
           "StoreUnavailable", "TinyDBStore", "new_id", "open_store", "storing"]

_stores: dict[Path | tuple[str, Path], Store] = {}

#: The schemes of DATABASE_URL that select the PostgreSQL store.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_stores_lock = threading.Lock()


def open_store(data_dir: str | os.PathLike[str], url: str = "", *, pool_size: int = 8) -> Store:
    """The store the app uses. ``url`` is the DATABASE_URL setting: empty for the TinyDB
    store of ``data_dir`` (created if needed, one instance per resolved path in this
    process); ``memory:`` for a new in-memory store whose photos go to
    ``data_dir/photos`` (tests and trials: one process, gone when it stops);
    ``postgresql://…`` for the PostgreSQL store of that database (one instance, with its
    pool of at most ``pool_size`` connections, per URL and folder in this process; its
    schema brought up to date; :class:`StoreUnavailable` if it cannot be reached,
    :class:`StoreError` if its schema is newer than this program)."""
    if url == "memory:":
        return MemoryStore(Path(data_dir) / "photos")
    if url.startswith(POSTGRES_SCHEMES):
        key = (url, Path(data_dir).resolve())
        with _stores_lock:
            store = _stores.get(key)
            if store is None:
                from .postgres_store import PostgresStore

                store = PostgresStore(url, key[1], pool_size=pool_size)
                unfinished = store.copies_under_way()
                if unfinished:  # half a province: the records not copied yet would be missing
                    store.close()
                    source, at = unfinished[0]
                    raise StoreError(f"a store copy into this database (from {source}, started "
                                     f"{at} UTC) is not finished: the database is not whole. "
                                     "Run `flask --app inspect_app store copy --to …` again (without "
                                     "INSPECT_DATABASE_URL) to finish "
                                     "it (docs/deployment.md), then start the app.")
                _stores[key] = store
            return store
    if url:
        raise ValueError(f"DATABASE_URL: unsupported store {url.split(':', 1)[0]!r} "
                         "(empty for the embedded store, memory:, or postgresql://…)")
    path = Path(data_dir).resolve()
    with _stores_lock:
        store = _stores.get(path)
        if store is None:
            store = _stores[path] = TinyDBStore(path)
        return store


def forget_store(store: Store) -> None:
    """Drop ``store`` from the instances :func:`open_store` hands out (after closing it)."""
    with _stores_lock:
        for key in [k for k, v in _stores.items() if v is store]:
            del _stores[key]
