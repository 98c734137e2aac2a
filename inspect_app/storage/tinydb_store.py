"""The TinyDB store: many small JSON files, each written atomically under a file lock.

Layout of ``<data_dir>`` (``LAYOUT`` = 5, recorded in ``store/meta.json``)::

    store/meta.json                        {"layout": 2, "schema": 2}
    store/units.json                       TinyDB, table "units"     (one doc per unit)
    store/users.json                       TinyDB, table "users"     (one doc per user, with tokens)
    store/logins/<nn>.json                 TinyDB, table "failures": login failures, one doc per
                                           throttled key, spread over LOGIN_SHARDS files by a
                                           salted hash of the key (see record_login_failure)
    store/logins/salt                      the random salt of that hash (made once)
    store/audit/<YYYY-MM>.jsonl            the audit log, one JSON line per entry, by the UTC
                                           month of the entry: appended (O_APPEND, fsync)
                                           under the file's lock, never rewritten; a line
                                           torn by a killed writer is skipped on read and
                                           ended by the next append
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
one would cost as much as parsing it. API token lookups use a map of token hashes built
from the cached users file and kept under the same rule. Files are parsed and written
with orjson when it is installed (``files.json_bytes``/``json_load``: the same bytes).

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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from tinydb import Query, TinyDB
from tinydb.table import Document

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
    AlreadyExists,
    AuditQuery,
    CannotStore,
    InspectionQuery,
    ItemQuery,
    NotFound,
    Page,
    PublishedVersion,
    StoreError,
    exclusive_shard,
    export_record,
    storing,
)
from .files import (
    AtomicJSONStorage,
    FileCache,
    ensure_dir,
    json_bytes,
    json_load,
    locked,
    transaction,
    valid_id,
    write_atomic,
)
from .index import IndexView, RecordView
from .logins import LOGIN_MAX_KEYS_PER_SHARD, LOGIN_SHARDS, LOGINS_DIR, bounded_failures
from .photos import PhotoFolder
from .published import PublishedFolder
from .records import attach_snapshot, inspection_of, snapshot_digest, split_snapshot
from .records import stored_doc as _doc
from .temporaries import clean_at_start
from .upgrades import upgrade

T = TypeVar("T")


def _fsync_new(path: Path) -> None:
    """Make a newly created file's entry in its folder durable."""
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: Version of the file layout described in the module docstring.
LAYOUT = 5  # 2: checklist content in store/checklists/<hash>.json; 3: item cards in the index;
#            4: index entries say finalized_once (a reopened record's items stay the plan);
#            5: a done item's card says when it became done, from its history if need be




_SAFE_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")


INSPECTION_TABLE = "inspection"


INSPECTION_DOC_ID = 1


def shard_name(unit_code: str) -> str:
    """The index shard file name of a unit. Codes made of ASCII letters, digits, ``-``
    and ``_`` are used as they are; any other text (Vietnamese names, ``../x``, very
    long codes) becomes ``~<sha256>``, so a code is never trusted as a path. Two codes
    sharing a shard (e.g. on a case-insensitive disk) would still be correct: entries
    are always filtered by their ``unit`` field."""
    if _SAFE_CODE.fullmatch(unit_code):
        return unit_code + ".json"
    return "~" + hashlib.sha256(unit_code.encode("utf-8")).hexdigest() + ".json"


def _table(data: dict[str, Any] | None, name: str) -> Iterable[dict[str, Any]]:
    """The documents of table ``name`` in a parsed TinyDB file."""
    return ((data or {}).get(name) or {}).values()


def _replace(table: Any, doc_id: int, doc: dict[str, Any]) -> None:
    """Replace a whole document (TinyDB's update would merge, keeping renamed keys)."""
    table.remove(doc_ids=[doc_id])
    table.insert(Document(doc, doc_id=doc_id))


def _shard_view(data: dict[str, Any] | None) -> IndexView:
    return IndexView(upgrade(d) for d in _table(data, "summaries"))


def _users_by_token(data: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The user document of each API token hash in a parsed users file."""
    return {t["hash"]: d for d in _table(data, "users") for t in d.get("tokens") or []
            if isinstance(t, dict) and isinstance(t.get("hash"), str)}


def _summary_from(doc: dict[str, Any]) -> InspectionSummary:
    # Summaries hold scalars and one list; copying the list is enough to keep the
    # cached document private (much cheaper than a deepcopy over thousands of entries).
    summary = InspectionSummary.from_dict(upgrade(doc))
    summary.team = list(summary.team)
    return summary


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
        self._snapshots_written: set[str] = set()  # hashes whose file is known to exist
        self._units_path = self.root / "units.json"
        self._users_path = self.root / "users.json"
        self._settings_path = self.root / "settings.json"
        self._user_state_dir = self.root / "user-state"
        self._audit_dir = self.root / "audit"
        self._logins_dir = self.root / LOGINS_DIR
        self._login_salt: bytes | None = None
        self._index_dir = self.root / "index"
        self._pending_dir = self.root / "index-pending"
        #: The checklists published in the app (DATA_DIR/checklists, as before the store
        #: kept them: an older data folder keeps its versions).
        self.published = PublishedFolder(self.data_dir / "checklists")
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
                write_atomic(meta_path, json_bytes({"layout": LAYOUT, "schema": SCHEMA}))
                return
        if meta.get("layout", 0) > LAYOUT:
            raise StoreError(f"{self.root} has store layout {meta['layout']}, newer than "
                             f"this program ({LAYOUT})")
        if meta.get("layout", 0) < LAYOUT:
            # Layout 1 → 2 needs no rewrite: records with inline checklist content are
            # still read; the newer layout number keeps older programs away.
            # Layout 2 → 3: index entries gain the cards of their remediation items.
            # Layout 3 → 4: index entries gain ``finalized_once`` (without it a reopened
            # inspection's items would leave its unit's plan).
            # Layout 4 → 5: the card of an item done before ``done_at`` existed gains the
            # moment its history says it became done (``models.done_moment``).
            with locked(meta_path):
                meta = json.loads(meta_path.read_bytes())  # another process may have done it
                if meta.get("layout", 0) < 5:
                    self.rebuild_index()
                if meta.get("layout", 0) < LAYOUT:
                    write_atomic(meta_path, json_bytes({**meta, "layout": LAYOUT}))

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
        return self._cache.view(self._units_path, kind="units", build=lambda data: RecordView(
            (upgrade(d) for d in _table(data, "units")), "units"))

    def page_units(self, *, search: str = "", codes: Iterable[str] | None = None,
                   offset: int = 0, limit: int | None = None) -> Page[Unit]:
        """Units by folded name, filtered; see the Protocol."""
        return self._units_view().page(search, codes, offset, limit,
                                       lambda d: Unit.from_dict(dict(d)))

    def unit_merges(self) -> dict[str, str]:
        """``{code: merged_into}`` of every merged unit (kept with the sorted units, per
        version of the file)."""
        return dict(self._units_view().merges)

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

    # -- the settings document ---------------------------------------------------
    def get_settings(self) -> dict[str, Any]:
        """The settings document as last put, or ``{}`` (one small file, read each time:
        another worker process may have changed it)."""
        try:
            raw = self._settings_path.read_bytes()
        except FileNotFoundError:
            return {}
        doc = json_load(raw)
        values = doc.get("settings") if isinstance(doc, dict) else None
        return dict(values) if isinstance(values, dict) else {}

    def put_settings(self, doc: dict[str, Any]) -> None:
        """Replace the settings document whole (atomic file, schema version beside it)."""
        data = json_bytes({"schema": SCHEMA, "settings": dict(doc)})
        with locked(self._settings_path):
            write_atomic(self._settings_path, data)

    # -- checklists published in the app (storage/published.py) ---------------------
    def checklists_stamp(self) -> str:
        """The stamp file's value (rewritten on every publish and retire)."""
        return self.published.stamp()

    def latest_checklist_versions(self) -> list[PublishedVersion]:
        """The newest version file of every checklist folder."""
        return self.published.latest()

    def checklist_versions(self, checklist_id: str) -> list[PublishedVersion]:
        """Every version file of a checklist, oldest first."""
        return self.published.versions(checklist_id)

    def publish_checklist(self, checklist_id: str, text: str) -> PublishedVersion:
        """The next version file, under the id's lock."""
        return self.published.publish(checklist_id, text)

    def retired_checklists(self) -> set[str]:
        """The ids with a ``retired`` file."""
        return self.published.retired()

    def set_checklist_retired(self, checklist_id: str, retired: bool) -> None:
        """Write or remove the id's ``retired`` file."""
        self.published.set_retired(checklist_id, retired)

    def put_checklist_draft(self, token: str, text: str) -> None:
        """A draft file (older ones removed)."""
        self.published.put_draft(token, text)

    def get_checklist_draft(self, token: str) -> str | None:
        """The text of a draft file of the last day, or None."""
        return self.published.get_draft(token)

    def delete_checklist_draft(self, token: str) -> None:
        """Remove a draft file."""
        self.published.delete_draft(token)

    # -- the per-user documents --------------------------------------------------
    def _user_state_path(self, username: str) -> Path:
        """One small file per user, named by a hash of the username (any username is a
        safe file name then)."""
        digest = hashlib.sha256(str(username).encode("utf-8")).hexdigest()[:32]
        return self._user_state_dir / f"{digest}.json"

    def _read_user_state(self, path: Path, username: str) -> dict[str, Any]:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}
        doc = json_load(raw)
        if not isinstance(doc, dict) or doc.get("username") != username:
            return {}
        values = doc.get("state")
        return dict(values) if isinstance(values, dict) else {}

    def get_user_state(self, username: str) -> dict[str, Any]:
        """The user's document as last written, or ``{}`` (read each time)."""
        return self._read_user_state(self._user_state_path(username), username)

    def update_user_state(self, username: str, change: Callable[[dict[str, Any]], T]) -> T:
        """Read, change and write the user's file with it locked (atomic file)."""
        path = self._user_state_path(username)
        ensure_dir(self._user_state_dir)
        with locked(path):
            doc = self._read_user_state(path, username)
            result = change(doc)
            write_atomic(path, json_bytes({"schema": SCHEMA, "username": username,
                                           "state": dict(doc)}))
        return result

    # -- the audit log -------------------------------------------------------------
    def add_audit(self, entry: AuditEntry) -> None:
        """Append one entry as a line of its month's file, durably (see the layout)."""
        month = entry.at[:7] if re.fullmatch(r"\d{4}-\d{2}", entry.at[:7]) else "0000-00"
        path = self._audit_dir / f"{month}.jsonl"
        line = json_bytes({"schema": SCHEMA, **entry.to_dict()}) + b"\n"
        ensure_dir(self._audit_dir)
        with locked(path), storing(path):
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                if size:  # end a line torn by a writer killed mid-append
                    with open(path, "rb") as f:
                        f.seek(size - 1)
                        if f.read(1) != b"\n":
                            line = b"\n" + line
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            if not size:
                _fsync_new(path)

    def _audit_entries(self) -> Iterator[AuditEntry]:
        """Every entry, newest first (by ``at``; entries of one moment: the last written first)."""
        if not self._audit_dir.is_dir():
            return
        for path in sorted(self._audit_dir.glob("*.jsonl"), reverse=True):
            try:
                lines = path.read_bytes().splitlines()
            except FileNotFoundError:
                continue
            month = []
            for raw in reversed(lines):
                try:
                    doc = json_load(raw)
                except ValueError:
                    continue  # a line torn by a killed writer
                if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                    month.append(AuditEntry.from_dict(doc))
            month.sort(key=lambda e: e.at, reverse=True)  # stable: ties newest written first
            yield from month

    def page_audit(self, query: AuditQuery | None = None, *, offset: int = 0,
                   limit: int | None = None) -> Page[AuditEntry]:
        """Entries matching ``query``, newest first (reads the whole log: it grows with
        the administrators' actions, a few thousand lines a year)."""
        query = query or AuditQuery()
        found = [e for e in self._audit_entries() if query.matches(e)]
        start = max(0, int(offset))
        end = None if limit is None else start + max(0, int(limit))
        return Page(found[start:end], len(found), start, limit)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """The block's writes in order, each atomic on its own (see the Protocol)."""
        yield

    @contextmanager
    def exclusive(self, key: str) -> Iterator[None]:
        """The lock file of ``key``'s shard, held for the block (see the Protocol)."""
        with locked(self.root / "locks" / f"exclusive-{exclusive_shard(key):02d}"):
            yield

    # -- users ---------------------------------------------------------------
    def list_users(self) -> list[User]:
        """Every user."""
        data = self._cache.read(self._users_path)
        # deepcopy: the cached document is shared, and User keeps nested lists.
        return [User.from_dict(copy.deepcopy(upgrade(d))) for d in _table(data, "users")]

    def page_users(self, *, search: str = "", offset: int = 0,
                   limit: int | None = None) -> Page[User]:
        """Users by role then username, filtered; see the Protocol."""
        view = self._cache.view(self._users_path, kind="users", build=lambda data: RecordView(
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
        # Every API request asks this: a map of token hashes, kept while users.json is
        # unchanged (as the file cache keeps its content), instead of a scan per request.
        by_hash = self._cache.view(self._users_path, _users_by_token, kind="users-by-token")
        d = by_hash.get(token_hash)
        return None if d is None else User.from_dict(copy.deepcopy(upgrade(d)))

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
        digest = snapshot_digest(digest)
        return None if digest is None else self.root / "checklists" / f"{digest}.json"

    def _inspection_doc(self, inspection: Inspection, durable: bool = True) -> dict[str, Any]:
        """The stored form of an inspection: its checklist's content goes to
        ``checklists/<hash>.json`` (written once, never changed) and the record keeps
        the reference (``records.split_snapshot``)."""
        doc, digest, content = split_snapshot(_doc(inspection))
        # Snapshot files are immutable and never deleted: once seen, no stat per save.
        if digest is not None and digest not in self._snapshots_written:
            path = self._snapshot_path(digest)
            if not path.exists():
                ensure_dir(path.parent)
                write_atomic(path, json_bytes(content), durable=durable)
            self._snapshots_written.add(digest)
        return doc

    def _inspection_from(self, doc: dict[str, Any]) -> Inspection:
        """Rebuild an inspection, re-attaching its (shared, read-only) checklist content."""
        return inspection_of(doc, self._snapshot_data)

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

    def iter_summaries(self, query: InspectionQuery) -> Iterator[InspectionSummary]:
        """Summaries matching ``query``, one shard at a time, parsed without the file
        cache (see the Protocol)."""
        self._replay_pending()
        if query.units is None:
            try:
                names = sorted(e.name for e in os.scandir(self._index_dir)
                               if e.name.endswith(".json") and not e.name.startswith("."))
            except FileNotFoundError:
                names = []
        else:
            names = sorted({shard_name(c) for c in query.units})
        for name in names:
            try:
                raw = (self._index_dir / name).read_bytes()
            except FileNotFoundError:
                continue
            view = _shard_view(json_load(raw) if raw else None)
            yield from index.query_inspections([view], query).rows

    def iter_export_records(self, inspection_ids: Iterable[str]) -> Iterator[dict[str, Any]]:
        """Export records (see the Protocol): each file parsed as plain JSON (orjson), no
        TinyDB object, no dataclasses; the checklist content comes from the shared snapshot
        cache. Unreadable or missing files are skipped, as ``get_inspection`` would
        return None for a missing one."""
        for inspection_id in inspection_ids:
            path = self._inspection_path(inspection_id)
            if path is None:
                continue
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            doc = ((json_load(raw) or {}).get(INSPECTION_TABLE) or {}).get(
                str(INSPECTION_DOC_ID))
            if doc is None:
                continue
            yield export_record(attach_snapshot(doc, self._snapshot_data))

    def _snapshot_data(self, digest: Any) -> Any:
        """The content of a checklist snapshot (immutable: parsed once per process)."""
        data = self._snapshots.get(digest)
        if data is None:
            path = self._snapshot_path(digest)
            if path is None:
                raise StoreError(f"bad checklist reference {digest!r}")
            data = self._snapshots[digest] = json_load(path.read_bytes())
        return data

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
        write_atomic(marker, json_bytes({"id": inspection_id, "units": units}))
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
        return [self._cache.view(os.path.join(folder, name), _shard_view, kind="shard")
                for name in names]

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
