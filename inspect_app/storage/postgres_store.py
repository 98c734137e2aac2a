"""The PostgreSQL store (DESIGN §13): several app servers on one database.

Selected by ``INSPECT_DATABASE_URL=postgresql://…``. Records are JSON documents in the
stored form of :mod:`.records` (the same documents the TinyDB store writes, upgraded on
read by :func:`.upgrades.upgrade`), beside the columns that lists filter and sort on
(unit, period, checklist, kind, status, team members, the dates), which are indexed; list
pages are one ``ORDER BY … OFFSET … LIMIT`` query on an index of their order and one
total: a sum over the count tables of schema 9 (records by unit, kind, status; items by
unit, status, deadline), which every write changes in its transaction
(:meth:`PostgresStore._recount`), or, for the selective filters those tables do not
keep (period, checklist, team member, a search), a ``count(*)`` over an index range.
The tables are in ``storage/sql/NNNN_*.sql``, applied in order when a store opens (see
:func:`migrate`).

Guarantees (storage/base.py):

* every write is one transaction: nothing half-written, whatever process or server dies;
* ``update_*`` read the row ``SELECT … FOR UPDATE`` in the transaction that writes it
  back, so read-modify-writes of one record queue across threads, processes and servers;
* no cache of anything that changes: every read asks the database (only checklist
  snapshots, immutable by their hash, are kept per process);
* saving an answer rewrites one row (and the item rows only when the summary changed):
  its cost does not depend on how many records there are;
* a database that refuses a write for want of room raises :class:`CannotStore`; a
  database that cannot be reached raises :class:`StoreUnavailable` (503 on the web).

Connections come from a :class:`psycopg_pool.ConnectionPool` (checked before use, so a
restarted server is reconnected to). Inside a transaction of this store, a read of the
same thread (``change`` of an update looking up a user) runs on the same connection.

Photos are rows (``photos``: id, variant, bytes); :meth:`PostgresStore.photo_path` hands
out a file in a local cache folder (``DATA_DIR/photo-cache``) named by the photo's content
hash, written from the database when missing, so every server serves the same bytes.
"""
from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
import psycopg.errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Json, set_json_loads
from psycopg_pool import ConnectionPool

from ..domain.access import items_hidden_from_unit
from ..domain.models import (
    ROLES,
    SCHEMA,
    AuditEntry,
    Inspection,
    InspectionSummary,
    ItemSummary,
    Unit,
    User,
    summarize,
)
from ..domain.text import fold, nfc
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
    StoreUnavailable,
    exclusive_shard,
    export_record,
)
from .files import ensure_dir, json_bytes, json_load, valid_id, write_atomic
from .index import NO_DUE, item_of, summary_of, unit_search_text
from .logins import LOGIN_KEEP_SECONDS, LOGIN_MAX_KEYS_PER_SHARD, LOGIN_SHARDS, bounded_failures
from .records import attach_snapshot, inspection_of, split_snapshot, stored_doc
from .upgrades import upgrade

log = logging.getLogger("inspect_app.storage")

T = TypeVar("T")

#: The versioned SQL files, applied in order: ``NNNN_name.sql``.
MIGRATIONS_DIR = Path(__file__).with_name("sql")
_MIGRATION_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
#: The first of the two keys of :meth:`PostgresStore.exclusive`'s advisory locks (the
#: two-key locks do not overlap the one-key ones of migrations and jobs).
_EXCLUSIVE_LOCKS = 0x1A5C

#: The key of the advisory lock held while migrations run (one opening at a time).
MIGRATION_LOCK = 0x1A5EC7
#: Seconds to wait for a connection (at start, and from the pool during a request).
CONNECT_TIMEOUT = 10
#: How many records a pass over everything reads per query.
CHUNK = 500
#: How many whole records the export reads per query: each is decoded at once (about
#: 75 KB of Python objects for a 57-criterion record), so 500 held 37 MB at the peak.
EXPORT_CHUNK = 50
#: At most this many throttled login keys are remembered (as the TinyDB store keeps).
LOGIN_MAX_KEYS = LOGIN_SHARDS * LOGIN_MAX_KEYS_PER_SHARD


def migrations() -> list[tuple[int, str, str]]:
    """``(version, file name, SQL)`` of every schema file, in order."""
    out = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.fullmatch(path.name)
        if match is None:
            raise StoreError(f"{path}: schema files are named NNNN_name.sql")
        out.append((int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    if [v for v, _n, _s in out] != list(range(1, len(out) + 1)):
        raise StoreError(f"{MIGRATIONS_DIR}: schema versions must run 1, 2, 3… without gaps")
    return out


#: The schema version this program writes.
SCHEMA_VERSION = len(migrations())


def migrate(conn: psycopg.Connection[Any], upto: int | None = None) -> int:
    """Bring the database of ``conn`` (autocommit) to schema ``upto`` (default: the
    latest), one transaction under an advisory lock, so that servers starting together
    apply each file once. Refuses a database of a newer schema than this program.
    Returns the version it found."""
    target = SCHEMA_VERSION if upto is None else upto
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS inspect_schema (version integer NOT NULL)")
        row = conn.execute("SELECT max(version) FROM inspect_schema").fetchone()
        found = row[0] if row and row[0] is not None else 0
        if found > SCHEMA_VERSION:
            raise StoreError(f"the database has schema version {found}, newer than this "
                             f"program ({SCHEMA_VERSION}): upgrade the program first")
        for version, name, sql in migrations():
            if found < version <= target:
                log.info("database schema: applying %s", name)
                conn.execute(sql)  # type: ignore[call-overload]  # a file of statements
        if target > found:
            conn.execute("DELETE FROM inspect_schema")
            conn.execute("INSERT INTO inspect_schema (version) VALUES (%s)", (target,))
    return found


def redacted(url: str) -> str:
    """``url`` without its password (for messages and logs); never raises, even for an
    address ``urlsplit`` cannot read ("…@[::1/db", its ``]`` forgotten): its password
    is then masked as text."""
    if "://" in url:
        try:
            parts = urlsplit(url)
        except ValueError:
            url = re.sub(r"^([^:/?#]+://[^:/?#@]*):[^/?#]*@", r"\1:***@", url)
            return re.sub(r"(?i)([?&])password=[^&#]*", r"\1password=***", url)
        if parts.password is not None:
            host = parts.netloc.rsplit("@", 1)[-1]
            user = parts.username or ""
            parts = parts._replace(netloc=f"{user}:***@{host}")
        query = re.sub(r"(?i)(^|&)password=[^&]*", r"\1password=***", parts.query)
        return urlunsplit(parts._replace(query=query))
    return re.sub(r"(?i)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", "password=***", url)


def in_schema(url: str, schema: str) -> str:
    """``url`` whose connections work in ``schema`` (libpq's ``options`` parameter): one
    database holding several stores side by side (tests, benchmarks)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
        raise ValueError(f"schema name: {schema!r}")
    return url + ("&" if "?" in url else "?") + "options=-csearch_path%3D" + schema


def _reason(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _loads(data: Any) -> Any:
    return json_load(bytes(data) if isinstance(data, memoryview) else data)


def _json(value: Any) -> Json:
    """A document for a ``json`` column: read back as written, keys in their order."""
    return Json(value, dumps=json_bytes)


def _clean(text: Any) -> bool:
    """Whether ``text`` can be a key in the database (PostgreSQL text holds no NUL)."""
    return isinstance(text, str) and "\x00" not in text


def _role_rank(role: Any) -> int:
    return ROLES.index(role) if role in ROLES else len(ROLES)


def _hidden(summary: dict[str, Any]) -> bool:
    """Whether a record's items are hidden from commune officers (what
    ``hide_draft_inspections`` leaves out of item lists, as :func:`.index._visible`)."""
    return items_hidden_from_unit(summary)


def _any_of(where: list[str], params: list[Any], column: str, values: Iterable[str]) -> None:
    """``column`` is one of ``values``: ``= %s`` for one (an index on the column and the
    list's order then gives the rows in order, as ``= ANY`` does not before PostgreSQL
    17), else ``= ANY(%s)``."""
    wanted = sorted({v for v in values if _clean(v)})
    if len(wanted) == 1:
        where.append(f"{column} = %s")
        params.append(wanted[0])
    else:
        where.append(f"{column} = ANY(%s)")
        params.append(wanted)


def _inspection_keys(summary: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The key of a record's summary in ``inspection_counts``."""
    return [(summary["unit"], summary.get("kind"), summary.get("status"),
             int(summary.get("items_total") or 0) > 0, bool(summary.get("finalized_at")))]


def _item_keys(summary: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The keys of a record's items in ``item_counts`` (one per item)."""
    hidden = _hidden(summary)
    return [(summary["unit"], card.get("status"), hidden, card.get("due") or NO_DUE)
            for card in summary.get("items") or ()]


#: Key columns of the count tables that may be NULL (a key of their own, schema 9).
_NULLABLE = frozenset({"kind", "status"})

#: The count tables the store keeps (schema 9): table, key columns, keys of a summary.
_COUNTED: tuple[tuple[str, tuple[str, ...], Callable[[dict[str, Any]],
                                                     list[tuple[Any, ...]]]], ...] = (
    ("inspection_counts", ("unit", "kind", "status", "has_items", "finalized"),
     _inspection_keys),
    ("item_counts", ("unit", "status", "hidden", "due_key"), _item_keys))


def _item_number(item_id: Any) -> int:
    number = str(item_id or "").rsplit("-", 1)[-1]
    return int(number) if number.isdigit() and len(number) < 10 else 0


#: Raise the checklist stamp: at least one more, and at least the clock in microseconds
#: (so a database emptied and written again never hands out a stamp seen before; the row
#: is made when missing). It locks the row until the transaction ends: publishers queue.
_RAISE_STAMP = ("INSERT INTO checklist_stamp (id, stamp) "
                "VALUES (1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint) "
                "ON CONFLICT (id) DO UPDATE "
                "SET stamp = greatest(checklist_stamp.stamp + 1, EXCLUDED.stamp)")


class PostgresStore:
    """:class:`~inspect_app.storage.base.Store` on a PostgreSQL database; see the module
    docstring. ``data_dir`` holds only the local photo cache."""

    def __init__(self, url: str, data_dir: str | os.PathLike[str], *, pool_size: int = 8) -> None:
        self.url = url
        self.data_dir = Path(data_dir)
        self.photo_cache = self.data_dir / "photo-cache"
        self._snapshots: dict[str, Any] = {}
        self._local = threading.local()
        try:  # a mistyped address ("…@[::1/db") is refused as one, before any connection
            conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:
            raise StoreError(f"{redacted(url)} is not a database address: "
                             f"{_reason(exc).replace(url, redacted(url))}") from None
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
                migrate(conn)
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"cannot reach the database {redacted(url)}: "
                                   f"{_reason(exc)}") from None
        except psycopg.Error as exc:
            raise StoreError(f"the database {redacted(url)} refused the schema: "
                             f"{_reason(exc)}") from None
        self._pool = ConnectionPool(
            url, min_size=1, max_size=max(1, int(pool_size)), timeout=CONNECT_TIMEOUT,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
            configure=lambda conn: set_json_loads(_loads, conn),
            check=ConnectionPool.check_connection, name="inspect_app", open=True)

    def __repr__(self) -> str:
        return f"PostgresStore({redacted(self.url)!r})"

    def close(self) -> None:
        """Close the pool's connections (the store is unusable afterwards)."""
        self._pool.close()

    # -- connections ------------------------------------------------------------------
    @contextmanager
    def _conn(self, write: bool = False) -> Iterator[psycopg.Connection[Any]]:
        """A connection for one unit of work: in a transaction if ``write`` (nested in
        the thread's open transaction, if any, as a savepoint). The database's refusals
        become the store's errors."""
        outer = getattr(self._local, "conn", None)
        if outer is not None:
            if write:
                with outer.transaction():
                    yield outer
            else:
                yield outer
            return
        try:
            with self._pool.connection() as conn:
                self._local.conn = conn
                try:
                    if write:
                        with conn.transaction():
                            yield conn
                    else:
                        yield conn
                finally:
                    self._local.conn = None
        except psycopg.errors.DiskFull as exc:
            raise CannotStore(f"the database is out of room: {_reason(exc)}",
                              errno.ENOSPC) from exc
        except psycopg.errors.ReadOnlySqlTransaction as exc:
            raise CannotStore(f"the database is read-only: {_reason(exc)}", errno.EROFS) from exc
        except psycopg.errors.IoError as exc:
            raise CannotStore(f"the database cannot write: {_reason(exc)}", errno.EIO) from exc
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"cannot reach the database {redacted(self.url)}: "
                                   f"{_reason(exc)}") from exc

    # -- the settings document ----------------------------------------------------------
    def get_settings(self) -> dict[str, Any]:
        """The settings document as last put, or ``{}`` (read each time: another server
        may have changed it)."""
        with self._conn() as conn:
            row = conn.execute("SELECT doc FROM settings WHERE id = 1").fetchone()
        values = row[0].get("settings") if row and isinstance(row[0], dict) else None
        return dict(values) if isinstance(values, dict) else {}

    def put_settings(self, doc: dict[str, Any]) -> None:
        """Replace the settings document whole (one row, in one statement)."""
        stored = {"schema": SCHEMA, "settings": dict(doc)}
        with self._conn(write=True) as conn:
            conn.execute("INSERT INTO settings (id, doc) VALUES (1, %s) "
                         "ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc", (_json(stored),))

    # -- checklists published in the app (sql/0007_checklists.sql) ------------------------
    def checklists_stamp(self) -> str:
        """The stamp row (one primary-key read): raised by every publish and retire."""
        with self._conn() as conn:
            row = conn.execute("SELECT stamp FROM checklist_stamp WHERE id = 1").fetchone()
        return str(row[0]) if row else ""

    @staticmethod
    def _published(rows: Iterable[tuple[Any, ...]]) -> list[PublishedVersion]:
        return [PublishedVersion(c, n, t, at.astimezone(_dt.UTC)) for c, n, t, at in rows]

    def latest_checklist_versions(self) -> list[PublishedVersion]:
        """The newest version of every id."""
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT DISTINCT ON (checklist_id) checklist_id, number, text, published_at "
                "FROM checklist_versions ORDER BY checklist_id, number DESC").fetchall()
        return self._published(rows)

    def checklist_versions(self, checklist_id: str) -> list[PublishedVersion]:
        """Every version of an id, oldest first."""
        if not _clean(checklist_id):
            return []
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT checklist_id, number, text, published_at FROM checklist_versions "
                "WHERE checklist_id = %s ORDER BY number", (checklist_id,)).fetchall()
        return self._published(rows)

    def publish_checklist(self, checklist_id: str, text: str) -> PublishedVersion:
        """The next number under the stamp row's lock (publishers queue), in one
        transaction with the un-retiring and the stamp."""
        from .published import CHECKLIST_ID_RE, checked_text

        if not _clean(checklist_id) or not CHECKLIST_ID_RE.fullmatch(checklist_id):
            raise NotFound(f"not a checklist id: {checklist_id!r}")
        checked_text(text)
        if "\x00" in text:
            raise StoreError("a checklist text holds no NUL character")
        with self._conn(write=True) as conn:
            conn.execute(_RAISE_STAMP)
            row = conn.execute(
                "INSERT INTO checklist_versions (checklist_id, number, text) "
                "SELECT %s, coalesce(max(number), 0) + 1, %s FROM checklist_versions "
                "WHERE checklist_id = %s RETURNING checklist_id, number, text, published_at",
                (checklist_id, text, checklist_id)).fetchone()
            conn.execute("DELETE FROM checklist_retired WHERE checklist_id = %s", (checklist_id,))
        return self._published([row])[0]

    def import_checklist_version(self, version: PublishedVersion) -> bool:
        """Insert a version with its own number and time (``store copy``); False when that
        number of that id is already there."""
        from .published import checked_text

        checked_text(version.text)
        with self._conn(write=True) as conn:
            inserted = conn.execute(
                "INSERT INTO checklist_versions (checklist_id, number, text, published_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (version.checklist_id, version.number, version.text,
                 version.published_at)).rowcount
            if inserted:
                conn.execute(_RAISE_STAMP)
        return bool(inserted)

    def retired_checklists(self) -> set[str]:
        """The retired ids."""
        with self._conn() as conn:
            return {c for (c,) in conn.execute("SELECT checklist_id FROM checklist_retired")}

    def set_checklist_retired(self, checklist_id: str, retired: bool) -> None:
        """Retire an id, or bring it back (with the stamp, in one transaction)."""
        if not _clean(checklist_id):
            raise NotFound(f"not a checklist id: {checklist_id!r}")
        with self._conn(write=True) as conn:
            conn.execute(_RAISE_STAMP)
            if retired:
                conn.execute("INSERT INTO checklist_retired (checklist_id) VALUES (%s) "
                             "ON CONFLICT DO NOTHING", (checklist_id,))
            else:
                conn.execute("DELETE FROM checklist_retired WHERE checklist_id = %s",
                             (checklist_id,))

    def put_checklist_draft(self, token: str, text: str) -> None:
        """Keep a draft (and forget those older than a day)."""
        from .published import DRAFT_KEEP_SECONDS, checked_text

        checked_text(text)
        if not _clean(token) or "\x00" in text:
            raise StoreError("a draft's token and text hold no NUL character")
        with self._conn(write=True) as conn:
            conn.execute("DELETE FROM checklist_drafts WHERE created_at < now() - "
                         "make_interval(secs => %s)", (DRAFT_KEEP_SECONDS,))
            conn.execute("INSERT INTO checklist_drafts (token, text) VALUES (%s, %s) "
                         "ON CONFLICT (token) DO UPDATE SET text = EXCLUDED.text, "
                         "created_at = now()", (token, text))

    def get_checklist_draft(self, token: str) -> str | None:
        """The text of a draft of the last day, or None."""
        from .published import DRAFT_KEEP_SECONDS

        if not _clean(token):
            return None
        with self._conn() as conn:
            row = conn.execute("SELECT text FROM checklist_drafts WHERE token = %s AND "
                               "created_at >= now() - make_interval(secs => %s)",
                               (token, DRAFT_KEEP_SECONDS)).fetchone()
        return row[0] if row else None

    def delete_checklist_draft(self, token: str) -> None:
        """Forget a draft."""
        if _clean(token):
            with self._conn(write=True) as conn:
                conn.execute("DELETE FROM checklist_drafts WHERE token = %s", (token,))

    # -- the per-user documents ----------------------------------------------------------
    def get_user_state(self, username: str) -> dict[str, Any]:
        """The user's document as last written, or ``{}``."""
        with self._conn() as conn:
            row = conn.execute("SELECT doc FROM user_state WHERE username = %s",
                               (str(username),)).fetchone()
        values = row[0].get("state") if row and isinstance(row[0], dict) else None
        return dict(values) if isinstance(values, dict) else {}

    def update_user_state(self, username: str, change: Callable[[dict[str, Any]], T]) -> T:
        """Apply ``change`` with the user's row locked (made first when missing)."""
        username = str(username)
        with self._conn(write=True) as conn:
            conn.execute("INSERT INTO user_state (username, doc) VALUES (%s, %s) "
                         "ON CONFLICT (username) DO NOTHING",
                         (username, _json({"schema": SCHEMA, "state": {}})))
            row = conn.execute("SELECT doc FROM user_state WHERE username = %s FOR UPDATE",
                               (username,)).fetchone()
            values = row[0].get("state") if row and isinstance(row[0], dict) else None
            doc = dict(values) if isinstance(values, dict) else {}
            result = change(doc)
            conn.execute("UPDATE user_state SET doc = %s WHERE username = %s",
                         (_json({"schema": SCHEMA, "state": dict(doc)}), username))
        return result

    # -- the audit log -------------------------------------------------------------------
    def add_audit(self, entry: AuditEntry) -> None:
        """Append one entry (a row), in the thread's open transaction if any (see
        :meth:`atomic`). An entry whose id is already there is left as it is (a resumed
        ``store copy``)."""
        doc = {"schema": SCHEMA, **entry.to_dict()}
        with self._conn(write=True) as conn:
            conn.execute("INSERT INTO audit (id, at, by_user, action, doc) "
                         "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                         (nfc(entry.id), entry.at, entry.by, entry.action, _json(doc)))

    def page_audit(self, query: AuditQuery | None = None, *, offset: int = 0,
                   limit: int | None = None) -> Page[AuditEntry]:
        """Entries matching ``query``, newest first, filtered in SQL."""
        query = query or AuditQuery()
        where: list[str] = []
        params: list[Any] = []
        if query.by is not None:
            where.append("by_user = %s")
            params.append(query.by if _clean(query.by) else "")
        if query.action is not None:
            if query.action.endswith("."):
                where.append("starts_with(action, %s)")
            else:
                where.append("action = %s")
            params.append(query.action if _clean(query.action) else "")
        if query.at_from is not None:
            where.append("at >= %s")
            params.append(query.at_from)
        if query.at_before is not None:
            where.append("at < %s")
            params.append(query.at_before)
        rows, total, start = self._page("audit", "doc", where, params, "at DESC, seq DESC",
                                        offset, limit)
        return Page([AuditEntry.from_dict(d) for d in rows], total, start, limit)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction for every write of the block (nested: a savepoint)."""
        with self._conn(write=True):
            yield

    @contextmanager
    def exclusive(self, key: str) -> Iterator[None]:
        """One transaction holding the advisory lock of ``key``'s shard (see the
        Protocol): reads in the block, made after the lock, see what the previous holder
        committed."""
        with self._conn(write=True) as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                         (_EXCLUSIVE_LOCKS, exclusive_shard(key)))
            yield

    # -- units ----------------------------------------------------------------------------
    def list_units(self) -> list[Unit]:
        """Every unit (any order)."""
        with self._conn() as conn:
            rows = conn.execute("SELECT doc FROM units").fetchall()
        return [Unit.from_dict(upgrade(doc)) for (doc,) in rows]

    def get_unit(self, code: str) -> Unit | None:
        """The unit with this code, or None."""
        if not _clean(code):
            return None
        with self._conn() as conn:
            row = conn.execute("SELECT doc FROM units WHERE code = %s", (code,)).fetchone()
        return None if row is None else Unit.from_dict(upgrade(row[0]))

    def unit_merges(self) -> dict[str, str]:
        """``{code: merged_into}`` of every merged unit (from the documents)."""
        with self._conn() as conn:
            rows = conn.execute("SELECT code, doc->>'merged_into' FROM units "
                                "WHERE doc->>'merged_into' IS NOT NULL").fetchall()
        return {code: into for code, into in rows if into}

    def save_units(self, units: Iterable[Unit]) -> None:
        """Insert or replace units by code, all or nothing (one transaction)."""
        rows = []
        for unit in units:  # every row made before anything is written
            doc = stored_doc(unit)
            rows.append((doc["code"], fold(doc.get("name") or ""), nfc(doc.get("name") or ""),
                         unit_search_text(doc), _json(doc)))
        if not rows:
            return
        with self._conn(write=True) as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO units (code, sort_name, exact_name, search, doc) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (code) DO UPDATE SET "
                "sort_name = excluded.sort_name, exact_name = excluded.exact_name, "
                "search = excluded.search, doc = excluded.doc", rows)

    def page_units(self, *, search: str = "", codes: Iterable[str] | None = None,
                   offset: int = 0, limit: int | None = None) -> Page[Unit]:
        """Units by folded name (then exact name, code), filtered in SQL; see the Protocol."""
        where, params = self._search(search)
        if codes is not None:
            where.append("code = ANY(%s)")
            params.append([c for c in codes if _clean(c)])
        rows, total, start = self._page("units", "doc", where, params,
                                        "sort_name, exact_name, code", offset, limit)
        return Page([Unit.from_dict(upgrade(d)) for d in rows], total, start, limit)

    @staticmethod
    def _search(search: str) -> tuple[list[str], list[Any]]:
        words = fold(search or "").split()
        if not all(_clean(w) for w in words):  # no stored text holds a NUL: nothing matches
            return ["false"], []
        return ["strpos(search, %s) > 0"] * len(words), list(words)

    def _page(self, table: str, column: str, where: list[str], params: list[Any],
              order: str, offset: int, limit: int | None, join: str = "",
              count: tuple[str, list[Any]] | None = None) -> tuple[list[Any], int, int]:
        """``(rows of column, total, offset)`` of one page of ``table`` (two queries in one
        transaction: the count, then the page). ``count`` is the query of the total from a
        table of counts kept by triggers (schema 9), else it is a ``count(*)``."""
        start = max(0, int(offset))
        condition = (" WHERE " + " AND ".join(where)) if where else ""
        with self._conn(write=True) as conn:
            sql, values = count or (f"SELECT count(*) FROM {table}{join}{condition}", params)
            total = int(conn.execute(sql, values).fetchone()[0])
            rows: list[Any] = []
            if start < total and limit != 0:
                rows = conn.execute(
                    f"SELECT {column} FROM {table}{join}{condition} ORDER BY {order} "
                    f"OFFSET %s LIMIT %s",
                    [*params, start, None if limit is None else max(0, int(limit))]).fetchall()
        return [r[0] if len(r) == 1 else r for r in rows], total, start

    # -- users ----------------------------------------------------------------------------
    def list_users(self) -> list[User]:
        """Every user."""
        with self._conn() as conn:
            rows = conn.execute("SELECT doc FROM users").fetchall()
        return [User.from_dict(upgrade(doc)) for (doc,) in rows]

    def page_users(self, *, search: str = "", offset: int = 0,
                   limit: int | None = None) -> Page[User]:
        """Users by role then username, filtered in SQL; see the Protocol."""
        where, params = self._search(search)
        rows, total, start = self._page("users", "doc", where, params, "role_rank, username",
                                        offset, limit)
        return Page([User.from_dict(upgrade(d)) for d in rows], total, start, limit)

    def get_user(self, username: str) -> User | None:
        """The user with this username, or None."""
        if not _clean(username):
            return None
        with self._conn() as conn:
            row = conn.execute("SELECT doc FROM users WHERE username = %s",
                               (username,)).fetchone()
        return None if row is None else User.from_dict(upgrade(row[0]))

    def find_user_by_token(self, token_hash: str) -> User | None:
        """The user holding an API token with this SHA-256 hash, or None."""
        if not _clean(token_hash):
            return None
        with self._conn() as conn:
            row = conn.execute("SELECT u.doc FROM user_tokens t JOIN users u USING (username) "
                               "WHERE t.hash = %s LIMIT 1", (token_hash,)).fetchone()
        return None if row is None else User.from_dict(upgrade(row[0]))

    @staticmethod
    def _user_row(user: User) -> tuple[dict[str, Any], tuple[Any, ...]]:
        doc = stored_doc(user)
        return doc, (doc["username"], _role_rank(doc.get("role")),
                     fold(f"{doc.get('username') or ''} {doc.get('full_name') or ''}"),
                     _json(doc))

    @staticmethod
    def _set_tokens(conn: psycopg.Connection[Any], doc: dict[str, Any]) -> None:
        hashes = sorted({t["hash"] for t in doc.get("tokens") or []
                         if isinstance(t, dict) and isinstance(t.get("hash"), str)})
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO user_tokens (hash, username) VALUES (%s, %s)",
                            [(h, doc["username"]) for h in hashes])

    def add_user(self, user: User) -> None:
        """Create a user; :class:`AlreadyExists` if the username is taken."""
        doc, row = self._user_row(user)
        with self._conn(write=True) as conn:
            added = conn.execute(
                "INSERT INTO users (username, role_rank, search, doc) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (username) DO NOTHING RETURNING username", row).fetchone()
            if added is None:
                raise AlreadyExists(f"user {user.username!r}")
            self._set_tokens(conn, doc)

    def update_user(self, username: str, change: Callable[[User], T]) -> T:
        """Atomically apply ``change`` to a private copy of the user (row locked)."""
        if not _clean(username):
            raise NotFound(f"user {username!r}")
        with self._conn(write=True) as conn:
            row = conn.execute("SELECT doc FROM users WHERE username = %s FOR UPDATE",
                               (username,)).fetchone()
            if row is None:
                raise NotFound(f"user {username!r}")
            user = User.from_dict(upgrade(row[0]))
            result = change(user)
            doc, values = self._user_row(user)
            if doc["username"] != username and conn.execute(
                    "SELECT 1 FROM users WHERE username = %s", (doc["username"],)).fetchone():
                raise AlreadyExists(f"user {user.username!r}")
            conn.execute("DELETE FROM user_tokens WHERE username = %s", (username,))
            conn.execute("UPDATE users SET username = %s, role_rank = %s, search = %s, doc = %s "
                         "WHERE username = %s", (*values, username))
            self._set_tokens(conn, doc)
        return result

    # -- login throttling -------------------------------------------------------------
    def record_login_failure(self, key: str, at: float, window_seconds: float) -> int:
        """Remember a failed login of ``key`` (its row locked) and return its failures
        within the window; older failures are dropped as :func:`bounded_failures` does,
        and beyond ``LOGIN_MAX_KEYS`` keys those with the fewest remembered failures
        (then the oldest) are forgotten."""
        with self._conn(write=True) as conn:
            conn.execute("INSERT INTO login_failures (key, times, last_at) VALUES (%s, '{}', %s) "
                         "ON CONFLICT (key) DO NOTHING", (key, at))
            times = conn.execute("SELECT times FROM login_failures WHERE key = %s FOR UPDATE",
                                 (key,)).fetchone()[0]
            mine = bounded_failures({key: list(times)}, key, at, window_seconds, 1)[key]
            conn.execute("UPDATE login_failures SET times = %s, last_at = %s WHERE key = %s",
                         (mine, at, key))
            conn.execute("DELETE FROM login_failures WHERE last_at < %s",
                         (at - max(window_seconds, LOGIN_KEEP_SECONDS),))
            (count,) = conn.execute("SELECT count(*) FROM login_failures").fetchone()
            if count > LOGIN_MAX_KEYS:
                conn.execute(
                    "DELETE FROM login_failures WHERE key IN (SELECT key FROM login_failures "
                    "WHERE key <> %s ORDER BY cardinality(times), last_at LIMIT %s)",
                    (key, count - LOGIN_MAX_KEYS))
        return sum(1 for t in mine if at - t < window_seconds)

    def login_failures(self, key: str, now: float, window_seconds: float) -> int:
        """How many failures ``key`` has within the last ``window_seconds``."""
        if not _clean(key):
            return 0
        with self._conn() as conn:
            row = conn.execute("SELECT times FROM login_failures WHERE key = %s",
                               (key,)).fetchone()
        return 0 if row is None else sum(1 for t in row[0] if now - t < window_seconds)

    def clear_login_failures(self, key: str) -> None:
        """Forget the failures of ``key``."""
        if not _clean(key):
            return
        with self._conn(write=True) as conn:
            conn.execute("DELETE FROM login_failures WHERE key = %s", (key,))

    # -- inspections ----------------------------------------------------------------------
    def _snapshot_data(self, digest: str) -> Any:
        """The content of a checklist snapshot (immutable: read once per process)."""
        data = self._snapshots.get(digest)
        if data is None:
            with self._conn() as conn:
                row = conn.execute("SELECT data FROM checklist_snapshots WHERE digest = %s",
                                   (digest,)).fetchone()
            if row is None:
                raise StoreError(f"missing checklist snapshot {digest!r}")
            data = self._snapshots[digest] = row[0]
        return data

    @staticmethod
    def _columns(summary: InspectionSummary) -> tuple[dict[str, Any], tuple[Any, ...]]:
        doc = stored_doc(summary)
        return doc, (doc["unit"], doc.get("period"), doc.get("checklist_id"), doc.get("kind"),
                     doc.get("status"), doc.get("created_at") or "",
                     doc.get("finalized_at") or None, list(doc.get("team") or []),
                     int(doc.get("items_total") or 0), _json(doc))

    @staticmethod
    def _write_items(conn: psycopg.Connection[Any], record_id: str,
                     summary: dict[str, Any]) -> None:
        hidden = _hidden(summary)
        rows = [(record_id, card.get("id"), summary["unit"], card.get("status"),
                 card.get("due") or NO_DUE, card.get("inspection") or "",
                 _item_number(card.get("id")), card.get("done_at") or "", hidden,
                 _json(card))
                for card in summary.get("items") or ()]
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO items (record_id, id, unit, status, due_key, "
                            "inspection, number, done_key, hidden, card) "
                            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)

    @staticmethod
    def _recount(conn: psycopg.Connection[Any], before: Iterable[dict[str, Any]],
                 after: Iterable[dict[str, Any]]) -> None:
        """Move the records of summaries ``before`` to ``after`` in the count tables, in
        the transaction of the write: one upsert per table of the keys' summed changes,
        in key order (the row locks of two writes never cross)."""
        before, after = list(before), list(after)
        for table, columns, keys in _COUNTED:
            deltas: dict[tuple[Any, ...], int] = {}
            for summaries, sign in ((before, -1), (after, 1)):
                for key in (k for summary in summaries for k in keys(summary)):
                    deltas[key] = deltas.get(key, 0) + sign
            rows = sorted(((k, n) for k, n in deltas.items() if n),
                          key=lambda row: tuple((v is not None, v) for v in row[0]))
            if not rows:
                continue
            names = ", ".join(columns)
            conflict = ", ".join(f"coalesce({c}, E'\\x01')" if c in _NULLABLE else c
                                 for c in columns)  # the key index's expressions
            with conn.cursor() as cur:  # in this order (one pipeline)
                cur.executemany(
                    f"INSERT INTO {table} AS c ({names}, n) "
                    f"VALUES ({', '.join(['%s'] * len(columns))}, %s) "
                    f"ON CONFLICT ({conflict}) DO UPDATE SET n = c.n + EXCLUDED.n",
                    [(*key, n) for key, n in rows])

    def _keep_snapshot(self, conn: psycopg.Connection[Any], digest: str | None,
                       content: Any) -> None:
        if digest is not None:
            conn.execute("INSERT INTO checklist_snapshots (digest, data) VALUES (%s, %s) "
                         "ON CONFLICT (digest) DO NOTHING", (digest, _json(content)))

    def _insert(self, conn: psycopg.Connection[Any], inspection: Inspection,
                added_summaries: list[dict[str, Any]] | None = None) -> bool:
        """Insert one record (False if its id is taken); its counts are kept at once, or,
        given ``added_summaries``, left to the caller (a bulk load counts once)."""
        if not valid_id(inspection.id):
            raise ValueError(f"invalid inspection id: {inspection.id!r}")
        doc, digest, content = split_snapshot(stored_doc(inspection))
        summary, columns = self._columns(summarize(inspection))
        self._keep_snapshot(conn, digest, content)
        added = conn.execute(
            "INSERT INTO inspections (id, unit, period, checklist_id, kind, status, created_at, "
            "finalized_at, team, items_total, summary, rev, doc) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING RETURNING id",
            (inspection.id, *columns, inspection.rev, _json(doc))).fetchone()
        if added is None:
            return False
        self._write_items(conn, inspection.id, summary)
        if added_summaries is None:
            self._recount(conn, (), (summary,))
        else:
            added_summaries.append(summary)
        return True

    def add_inspection(self, inspection: Inspection) -> None:
        """Store a new inspection; :class:`AlreadyExists` if the id is taken,
        ValueError if the id is not letters and digits only."""
        if not valid_id(inspection.id):
            raise ValueError(f"invalid inspection id: {inspection.id!r}")
        with self._conn(write=True) as conn:
            if not self._insert(conn, inspection):
                raise AlreadyExists(f"inspection {inspection.id!r}")

    def import_inspections(self, inspections: Iterable[Inspection], *,
                           durable: bool = True) -> int:
        """Bulk-load new inspections in one transaction (demo data, ``store copy``,
        benchmarks); AlreadyExists (nothing written) if an id is taken."""
        added: list[dict[str, Any]] = []
        with self._conn(write=True) as conn:
            for inspection in inspections:
                if not self._insert(conn, inspection, added):
                    raise AlreadyExists(f"inspection {inspection.id!r}")
            self._recount(conn, (), added)  # once for all: one change per count row
        return len(added)

    def get_inspection(self, inspection_id: str) -> Inspection | None:
        """The full inspection, or None (also for an id that cannot exist)."""
        if not valid_id(inspection_id):
            return None
        with self._conn() as conn:
            row = conn.execute("SELECT doc FROM inspections WHERE id = %s",
                               (inspection_id,)).fetchone()
            return None if row is None else inspection_of(row[0], self._snapshot_data)

    def update_inspection(self, inspection_id: str, change: Callable[[Inspection], T]) -> T:
        """Atomic read-modify-write of one inspection (its row locked until the write
        commits); the summary columns and item rows are rewritten only when
        :func:`summarize` gives a different summary."""
        if not valid_id(inspection_id):
            raise NotFound(f"inspection {inspection_id!r}")
        with self._conn(write=True) as conn:
            row = self._locked_row(conn, inspection_id)
            inspection = inspection_of(row[0], self._snapshot_data)
            old_rev, before = inspection.rev, summarize(inspection)
            result = change(inspection)
            if inspection.id != inspection_id:
                raise ValueError("an update cannot change an inspection's id")
            inspection.rev = old_rev + 1
            self._rewrite(conn, row, inspection, before)
        return result

    def replace_inspection(self, inspection: Inspection) -> None:
        """Write a stored inspection as it is given, its revision included (``store copy``
        run again brings a record changed since the first run over whole)."""
        if not valid_id(inspection.id):
            raise NotFound(f"inspection {inspection.id!r}")
        with self._conn(write=True) as conn:
            row = self._locked_row(conn, inspection.id)
            self._rewrite(conn, row, inspection,
                          summarize(inspection_of(row[0], self._snapshot_data)))

    @staticmethod
    def _locked_row(conn: psycopg.Connection[Any], inspection_id: str) -> Any:
        row = conn.execute("SELECT doc, summary FROM inspections WHERE id = %s FOR UPDATE",
                           (inspection_id,)).fetchone()
        if row is None:
            raise NotFound(f"inspection {inspection_id!r}")
        return row

    def _rewrite(self, conn: psycopg.Connection[Any], row: Any, inspection: Inspection,
                 before: InspectionSummary) -> None:
        """Write ``inspection`` over its locked ``row`` (doc, summary, counts, item rows);
        ``before``: the summary of what the row held."""
        old_digest = (row[0].get("checklist") or {}).get("data_file")
        doc, digest, content = split_snapshot(stored_doc(inspection))
        if digest != old_digest:
            self._keep_snapshot(conn, digest, content)
        after = summarize(inspection)
        if after == before:
            conn.execute("UPDATE inspections SET rev = %s, doc = %s WHERE id = %s",
                         (inspection.rev, _json(doc), inspection.id))
            return
        summary, columns = self._columns(after)
        self._recount(conn, (row[1],), (summary,))  # as counted
        conn.execute(
            "UPDATE inspections SET unit = %s, period = %s, checklist_id = %s, "
            "kind = %s, status = %s, created_at = %s, finalized_at = %s, team = %s, "
            "items_total = %s, summary = %s, rev = %s, doc = %s WHERE id = %s",
            (*columns, inspection.rev, _json(doc), inspection.id))
        conn.execute("DELETE FROM items WHERE record_id = %s", (inspection.id,))
        self._write_items(conn, inspection.id, summary)

    # -- lists ------------------------------------------------------------------------------
    @staticmethod
    def _inspection_where(query: InspectionQuery) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if query.units is not None:
            _any_of(where, params, "unit", query.units)
        for column, value in (("period", query.period), ("checklist_id", query.checklist),
                              ("kind", query.kind), ("status", query.status)):
            if value is not None:
                where.append(f"{column} = %s")
                params.append(value if _clean(value) else "\ufffe")
        if query.member is not None:
            where.append("team @> ARRAY[%s]::text[]")
            params.append(query.member if _clean(query.member) else "\ufffe")
        if query.has_items:
            where.append("items_total > 0")
        if query.hide_draft_inspections:
            where.append("(kind IS DISTINCT FROM 'inspection' OR status = 'finalized')")
        if query.order == "finalized":
            where.append("finalized_at IS NOT NULL")
        return where, params

    @staticmethod
    def _inspection_count(query: InspectionQuery) -> tuple[str, list[Any]] | None:
        """The total of ``query`` summed from ``inspection_counts`` (a few rows per unit,
        kept by triggers), or None when it filters on what that table does not keep
        (period, checklist, team member: selective filters, counted by their index)."""
        if query.period is not None or query.checklist is not None or query.member is not None:
            return None
        where, params = PostgresStore._inspection_where(query)
        where = [w.replace("items_total > 0", "has_items")
                 .replace("finalized_at IS NOT NULL", "finalized") for w in where]
        condition = (" WHERE " + " AND ".join(where)) if where else ""
        return f"SELECT coalesce(sum(n), 0) FROM inspection_counts{condition}", params

    @staticmethod
    def _inspection_order(order: str) -> str:
        if order == "finalized":
            return "finalized_at DESC, id DESC"
        return "created_at DESC, id DESC"

    def list_inspections(self, *, unit: str | None = None, units: Iterable[str] | None = None,
                         period: str | None = None, checklist: str | None = None,
                         kind: str | None = None, status: str | None = None
                         ) -> list[InspectionSummary]:
        """Summaries matching every filter given, newest first."""
        wanted: set[str] | None = None if unit is None else {unit}
        if units is not None:
            wanted = set(units) if wanted is None else wanted & set(units)
        query = InspectionQuery(units=None if wanted is None else frozenset(wanted),
                                period=period, checklist=checklist, kind=kind, status=status)
        return self.query_inspections(query).rows

    def query_inspections(self, query: InspectionQuery, *, offset: int = 0,
                          limit: int | None = None) -> Page[InspectionSummary]:
        """A page of the summaries matching ``query``, paginated and counted in SQL."""
        where, params = self._inspection_where(query)
        rows, total, start = self._page("inspections", "summary", where, params,
                                        self._inspection_order(query.order), offset, limit,
                                        count=self._inspection_count(query))
        return Page([summary_of(upgrade(d)) for d in rows], total, start, limit)

    def query_items(self, query: ItemQuery, *, offset: int = 0, limit: int | None = None
                    ) -> Page[tuple[ItemSummary, InspectionSummary]]:
        """A page of remediation items (with their records' summaries), in SQL."""
        where: list[str] = []
        params: list[Any] = []
        if query.units is not None:
            _any_of(where, params, "i.unit", query.units)
        if query.statuses is not None:
            _any_of(where, params, "i.status", query.statuses)
        if query.hide_draft_inspections:
            where.append("NOT i.hidden")
        if query.order == "done":
            order = "i.done_key, i.inspection, i.number, i.id"
        else:
            order = "i.due_key, i.inspection, i.number, i.id"
            if query.due_before is not None:
                where.append("i.due_key < %s")
                params.append(query.due_before)
            if query.due_from is not None:
                where.append("i.due_key >= %s")
                params.append(query.due_from)
        counted = " AND ".join(w.replace("i.", "") for w in where)
        count = ("SELECT coalesce(sum(n), 0) FROM item_counts"
                 + (f" WHERE {counted}" if where else ""), params)
        rows, total, start = self._page("items i", "i.card, r.summary", where, params, order,
                                        offset, limit,
                                        join=" JOIN inspections r ON r.id = i.record_id",
                                        count=count)
        records: dict[str, InspectionSummary] = {}
        out = []
        for card, summary in rows:
            record = records.get(summary["id"])
            if record is None:
                record = records[summary["id"]] = summary_of(upgrade(summary))
            out.append((item_of(card), record))
        return Page(out, total, start, limit)

    def units_with_member(self, username: str) -> set[str]:
        """The units of every inspection or assessment whose team includes ``username``
        (GIN index)."""
        if not _clean(username):
            return set()
        with self._conn() as conn:
            rows = conn.execute("SELECT DISTINCT unit FROM inspections "
                                "WHERE team @> ARRAY[%s]::text[] "
                                "AND kind IS DISTINCT FROM 'self_check'", (username,)).fetchall()
        return {unit for (unit,) in rows}

    def iter_summaries(self, query: InspectionQuery) -> Iterator[InspectionSummary]:
        """Summaries matching ``query`` by id, ``CHUNK`` rows per query (no connection
        held between chunks)."""
        where, params = self._inspection_where(query)
        after = ""
        while True:
            condition = " AND ".join([*where, "id > %s"])
            with self._conn() as conn:
                rows = conn.execute(f"SELECT id, summary FROM inspections WHERE {condition} "
                                    f"ORDER BY id LIMIT {CHUNK}", [*params, after]).fetchall()
            for _id, summary in rows:
                yield summary_of(upgrade(summary))
            if len(rows) < CHUNK:
                return
            after = rows[-1][0]

    def iter_export_records(self, inspection_ids: Iterable[str]) -> Iterator[dict[str, Any]]:
        """Export records of ``inspection_ids`` in that order, read ``EXPORT_CHUNK`` ids at
        a time (the history and operations never leave the database)."""
        ids = [i for i in inspection_ids if valid_id(i)]
        for start in range(0, len(ids), EXPORT_CHUNK):
            chunk = ids[start:start + EXPORT_CHUNK]
            with self._conn() as conn:
                rows = dict(conn.execute(
                    # the document as written (json, not jsonb: key order, numbers'
                    # spelling) without the keys the export never reads
                    "SELECT id, (SELECT json_object_agg(key, value ORDER BY n) "
                    "FROM json_each(doc) WITH ORDINALITY AS e(key, value, n) "
                    "WHERE key NOT IN ('history', 'ops', 'team', 'photos')) "
                    "FROM inspections "
                    "WHERE id = ANY(%s)", (chunk,)).fetchall())
            for inspection_id in chunk:
                doc = rows.get(inspection_id)
                if doc is not None:
                    yield export_record(attach_snapshot(doc, self._snapshot_data))

    def record_ids(self) -> Iterator[str]:
        """Every inspection id, in id order (for ``store copy``)."""
        after = ""
        while True:
            with self._conn() as conn:
                rows = conn.execute(f"SELECT id FROM inspections WHERE id > %s ORDER BY id "
                                    f"LIMIT {CHUNK}", (after,)).fetchall()
            yield from (r[0] for r in rows)
            if len(rows) < CHUNK:
                return
            after = rows[-1][0]

    def known_inspections(self, inspection_ids: Iterable[str]) -> set[str]:
        """Which of ``inspection_ids`` exist."""
        ids = [i for i in inspection_ids if valid_id(i)]
        with self._conn() as conn:
            rows = conn.execute("SELECT id FROM inspections WHERE id = ANY(%s)",
                                (ids,)).fetchall()
        return {r[0] for r in rows}

    def copies_under_way(self) -> list[tuple[str, str]]:
        """``(source, started_at)`` of every ``store copy`` into this database not finished."""
        with self._conn() as conn:
            return [(source, at) for source, at in conn.execute(
                "SELECT source, started_at FROM inspect_copy ORDER BY source").fetchall()]

    def copy_under_way(self, source: str) -> bool:
        """Whether a ``store copy`` from ``source`` was started and not finished."""
        with self._conn() as conn:
            return conn.execute("SELECT 1 FROM inspect_copy WHERE source = %s",
                                (source,)).fetchone() is not None

    def begin_copy(self, source: str) -> None:
        """Mark a ``store copy`` from ``source`` as under way."""
        with self._conn(write=True) as conn:
            conn.execute("INSERT INTO inspect_copy (source, started_at) VALUES (%s, "
                         "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')) "
                         "ON CONFLICT (source) DO NOTHING", (source,))

    def end_copy(self, source: str) -> None:
        """Remove the mark of a finished (verified) copy."""
        with self._conn(write=True) as conn:
            conn.execute("DELETE FROM inspect_copy WHERE source = %s", (source,))

    def counts(self) -> dict[str, int]:
        """How many units, users, inspections, photo files and published checklist versions
        the database holds."""
        with self._conn() as conn:
            counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                      for table in ("units", "users", "inspections", "photos", "audit")}
            counts["checklist versions"] = conn.execute(
                "SELECT count(*) FROM checklist_versions").fetchone()[0]
        return counts

    # -- photos -------------------------------------------------------------------------
    def save_photo(self, photo_id: str, data: bytes, variant: str = "full") -> None:
        """Store the bytes of a photo (a row); ValueError for a bad id or variant."""
        if not (valid_id(photo_id) and valid_id(variant)):
            raise ValueError(f"invalid photo id or variant: {photo_id!r}, {variant!r}")
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("photo data must be bytes")
        digest = hashlib.sha256(data).hexdigest()
        with self._conn(write=True) as conn:
            conn.execute("INSERT INTO photos (id, variant, digest, data) VALUES (%s, %s, %s, %s) "
                         "ON CONFLICT (id, variant) DO UPDATE SET digest = excluded.digest, "
                         "data = excluded.data", (photo_id, variant, digest, bytes(data)))

    def photo_digest(self, photo_id: str, variant: str = "full") -> str | None:
        """The sha256 of a stored photo's bytes, or None."""
        if not (valid_id(photo_id) and valid_id(variant)):
            return None
        with self._conn() as conn:
            row = conn.execute("SELECT digest FROM photos WHERE id = %s AND variant = %s",
                               (photo_id, variant)).fetchone()
        return None if row is None else row[0]

    def photo_path(self, photo_id: str, variant: str = "full") -> Path | None:
        """A local file with the photo's bytes (the cache, named by their hash), or None."""
        digest = self.photo_digest(photo_id, variant)
        if digest is None:
            return None
        path = self.photo_cache / photo_id[:2] / f"{photo_id}.{variant}.{digest[:32]}.jpg"
        if not path.is_file():
            with self._conn() as conn:
                row = conn.execute("SELECT data FROM photos WHERE id = %s AND variant = %s",
                                   (photo_id, variant)).fetchone()
            if row is None:
                return None
            ensure_dir(path.parent)
            write_atomic(path, bytes(row[0]), durable=False)  # a cache: the database keeps them
        return path

    def photo_keys(self) -> set[tuple[str, str]]:
        """``(id, variant)`` of every stored photo (for ``store copy``)."""
        with self._conn() as conn:
            return {(i, v) for i, v in conn.execute("SELECT id, variant FROM photos")}

    def drop_photos(self, keys: Iterable[tuple[str, str]]) -> None:
        """Remove these ``(id, variant)`` photos (``store copy``: gone from the folder)."""
        keys = sorted(keys)
        with self._conn(write=True) as conn, conn.cursor() as cur:
            cur.executemany("DELETE FROM photos WHERE id = %s AND variant = %s", keys)
        for photo_id, variant in keys:
            for path in (self.photo_cache / photo_id[:2]).glob(f"{photo_id}.{variant}.*.jpg"):
                path.unlink(missing_ok=True)

    def delete_photo(self, photo_id: str) -> None:
        """Remove every variant of a photo that no record refers to (and its cache files)."""
        if not valid_id(photo_id):
            return
        with self._conn(write=True) as conn:
            conn.execute("DELETE FROM photos WHERE id = %s", (photo_id,))
        for path in (self.photo_cache / photo_id[:2]).glob(f"{photo_id}.*.jpg"):
            path.unlink(missing_ok=True)
