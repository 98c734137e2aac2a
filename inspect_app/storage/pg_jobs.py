"""Background export jobs in the PostgreSQL database (``export_jobs``, sql/0008_jobs.sql).

The same :class:`~.jobs.JobStore` interface as the files of :class:`~.jobs.ExportJobs`,
so that the progress page and the download work on every server of one database:

* the record is the row's ``doc`` (JSONB) beside its ``status``; the finished workbook is
  the row's ``workbook`` (bytea), handed out as a file of a local cache folder
  (``DATA_DIR/jobs/cache``, named by the job id, written from the database when missing);
* at most one ``queued`` or ``running`` job per owner: a partial unique index, so two
  servers starting an export for one user at once cannot both succeed;
* the lease of a running job is a session advisory lock (``lock_key``) held on a
  connection of its own by the process that runs it: when that process dies (kill -9,
  its server stops, the network goes) PostgreSQL ends the session and drops the lock,
  and the next reader that finds the row ``running`` without its lock marks it
  ``interrupted`` (which frees its owner to start another);
* a ``queued`` job whose task in the queue is gone or over (``procrastinate_jobs``), or
  held by a worker that stopped beating (:data:`WORKER_SILENCE`), without the job having
  started reads as ``interrupted`` too, and so does one never queued (:data:`QUEUE_GRACE`).
"""
from __future__ import annotations

import datetime as _dt
import os
import secrets
import time
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import psycopg.errors
from psycopg.types.json import Jsonb

from .base import StoreError, StoreUnavailable
from .files import ensure_dir, json_bytes, valid_id
from .jobs import Busy
from .temporaries import TMP_SUFFIX

if TYPE_CHECKING:
    from .postgres_store import PostgresStore

CACHE_DIR = Path("jobs") / "cache"
#: The server's TCP keepalives on a lease's connection (seconds, count).
LEASE_KEEPALIVES = (("tcp_keepalives_idle", 30), ("tcp_keepalives_interval", 10),
                    ("tcp_keepalives_count", 3))
#: Seconds a new job may wait for its task in the queue to be recorded (between the
#: insert of the job and the queue's answer); a ``queued`` job without one after that
#: was never queued (the queue refused it, or its server died): ``interrupted``.
QUEUE_GRACE = 60
#: Seconds without a heartbeat after which the queue's worker holding a task is dead
#: (procrastinate's workers beat every 10 s).
WORKER_SILENCE = 60


class Lease:
    """The connection holding a running job's advisory lock."""

    def __init__(self, conn: psycopg.Connection[Any]):
        self.conn = conn

    def close(self) -> None:
        # Let go of the lock first: a closed connection's backend drops it only when it
        # has noticed the close, a moment later, and a reader in between would still
        # see the job running (and its owner could not start another).
        with suppress(Exception):
            self.conn.execute("SELECT pg_advisory_unlock_all()")
        with suppress(Exception):
            self.conn.close()


def _record(status: str, doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "status": status}


class PostgresJobs:
    """The export jobs of a :class:`~.postgres_store.PostgresStore`'s database."""

    def __init__(self, store: PostgresStore):
        self.store = store
        self.data_dir = store.data_dir
        self.cache = self.data_dir / CACHE_DIR

    def _conn(self, write: bool = False):
        return self.store._conn(write)  # noqa: SLF001 - the same pool and error mapping

    # -- creating, claiming, releasing ------------------------------------------------
    def create(self, job: dict[str, Any], *, queued: bool = False) -> Lease | None:
        """Insert the job (``queued``, or ``running`` with its lease, returned)."""
        key = secrets.randbits(63)
        lease = None if queued else self._lock(key)
        doc = {k: v for k, v in job.items() if k != "status"}
        try:
            with self._conn(write=True) as conn:
                self._settle_owner(conn, job["owner"])
                conn.execute(
                    "INSERT INTO export_jobs (id, owner, status, doc, lock_key) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    (job["id"], job["owner"], "queued" if queued else "running",
                     Jsonb(doc, dumps=json_bytes), key))
        except psycopg.errors.UniqueViolation:
            if lease is not None:
                lease.close()
            other = self._active(job["owner"])
            raise Busy(other or {"owner": job["owner"]}) from None
        except BaseException:
            if lease is not None:
                lease.close()
            raise
        return lease

    def _lock(self, key: int) -> Lease:
        """A connection of its own holding the advisory lock ``key``."""
        try:
            conn = psycopg.connect(self.store.url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            from .postgres_store import redacted

            raise StoreUnavailable(f"cannot reach the database {redacted(self.store.url)}: "
                                   f"{str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}") from None
        try:
            # A worker machine that vanishes without closing the connection (power cut,
            # network gone) is noticed by the server within about a minute, not hours.
            for setting, value in LEASE_KEEPALIVES:
                conn.execute(f"SET {setting} = {int(value)}")
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        except BaseException:
            conn.close()
            raise
        return Lease(conn)

    def set_queue_job(self, job_id: str, queue_job: int) -> None:
        """Remember the task-queue job that will run this export."""
        with self._conn(write=True) as conn:
            conn.execute("UPDATE export_jobs SET queue_job = %s WHERE id = %s",
                         (queue_job, job_id))

    def claim(self, job_id: str) -> Lease | None:
        """Take the lease of a queued job and mark it running (None: not queued)."""
        if not valid_id(job_id):
            return None
        with self._conn() as conn:
            row = conn.execute("SELECT lock_key FROM export_jobs WHERE id = %s AND "
                               "status = 'queued'", (job_id,)).fetchone()
        if row is None:
            return None
        lease = self._lock(row[0])
        try:
            with self._conn(write=True) as conn:
                claimed = conn.execute(
                    "UPDATE export_jobs SET status = 'running', "
                    "doc = doc || jsonb_build_object('started_at_epoch', %s::float8) "
                    "WHERE id = %s AND status = 'queued' RETURNING id",
                    (time.time(), job_id)).fetchone()
        except BaseException:
            lease.close()
            raise
        if claimed is None:
            lease.close()
            return None
        return lease

    def release(self, job_id: str, lease: Lease | None) -> None:
        """Close the lease's connection (PostgreSQL drops the lock with it)."""
        if lease is not None:
            lease.close()

    # -- reading ----------------------------------------------------------------------
    @staticmethod
    def _interrupt_dead(conn: psycopg.Connection[Any], where: str, params: tuple) -> None:
        """Mark ``interrupted`` the matching running jobs whose lease is gone, and the
        queued ones whose task will never run. In the caller's transaction."""
        rows = conn.execute(
            f"SELECT id, status, lock_key, queue_job FROM export_jobs "  # noqa: S608
            f"WHERE status IN ('queued', 'running') AND {where}", params).fetchall()
        for job_id, status, key, queue_job in rows:
            if status == "running":
                # Free: nobody holds it (taken until this transaction ends, so a
                # runner starting now waits; read again: a runner writes how its job
                # ended before it lets go).
                free = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,)).fetchone()[0]
                if not free:
                    continue
            else:
                if queue_job is None:  # being queued; never queued if it stays so
                    if not conn.execute("SELECT created_at < now() - %s * interval '1 second' "
                                        "FROM export_jobs WHERE id = %s",
                                        (QUEUE_GRACE, job_id)).fetchone()[0]:
                        continue
                # its task waits, or a live worker has it (a worker that died between
                # taking the task and claiming the job stops beating)
                alive = conn.execute(
                    "SELECT j.status = 'todo' OR (j.status = 'doing' AND "
                    "w.last_heartbeat > now() - %s * interval '1 second') "
                    "FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w "
                    "ON w.id = j.worker_id WHERE j.id = %s",
                    (WORKER_SILENCE, queue_job)).fetchone()
                if alive is not None and alive[0]:
                    continue
            conn.execute("UPDATE export_jobs SET status = 'interrupted', ended_at = now(), "
                         "doc = doc || jsonb_build_object('finished_at_epoch', %s::float8) "
                         "WHERE id = %s AND status = %s", (time.time(), job_id, status))

    def _settle_owner(self, conn: psycopg.Connection[Any], owner: str) -> None:
        self._interrupt_dead(conn, "owner = %s", (owner,))

    def _active(self, owner: str) -> dict[str, Any] | None:
        with self._conn() as conn:
            row = conn.execute("SELECT status, doc FROM export_jobs WHERE owner = %s AND "
                               "status IN ('queued', 'running')", (owner,)).fetchone()
        return _record(row[0], row[1]) if row else None

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The job record (a dead runner's job marked ``interrupted`` on the way)."""
        if not valid_id(job_id):
            return None
        with self._conn() as conn:
            row = conn.execute("SELECT status, doc FROM export_jobs WHERE id = %s",
                               (job_id,)).fetchone()
        if row is None:
            return None
        if row[0] in ("queued", "running"):
            with self._conn(write=True) as conn:
                self._interrupt_dead(conn, "id = %s", (job_id,))
                row = conn.execute("SELECT status, doc FROM export_jobs WHERE id = %s",
                                   (job_id,)).fetchone()
            if row is None:
                return None
        return _record(row[0], row[1])

    def all(self) -> list[dict[str, Any]]:
        """Every job record."""
        with self._conn(write=True) as conn:
            self._interrupt_dead(conn, "true", ())
            rows = conn.execute("SELECT status, doc FROM export_jobs ORDER BY created_at").fetchall()
        return [_record(status, doc) for status, doc in rows]

    # -- writing ----------------------------------------------------------------------
    def update(self, job_id: str, **changes: Any) -> dict[str, Any]:
        """Change fields of the record (``status`` goes to its column)."""
        status = changes.pop("status", None)
        with self._conn(write=True) as conn:
            row = conn.execute(
                "UPDATE export_jobs SET doc = doc || %s, status = coalesce(%s, status), "
                "ended_at = CASE WHEN %s IN ('done', 'failed') THEN now() ELSE ended_at END "
                "WHERE id = %s RETURNING status, doc",
                (Jsonb(changes, dumps=json_bytes), status, status, job_id)).fetchone()
        if row is None:
            raise StoreError(f"no export job {job_id!r}")
        return _record(row[0], row[1])

    def keep_output(self, job_id: str, path: Path) -> int:
        """Store the workbook's bytes in the row; remove the file."""
        data = Path(path).read_bytes()
        with self._conn(write=True) as conn:
            conn.execute("UPDATE export_jobs SET workbook = %s WHERE id = %s", (data, job_id))
        with suppress(FileNotFoundError):
            os.unlink(path)
        return len(data)

    def discard_output(self, job_id: str) -> None:
        """Drop the workbook's bytes from the row and the cached file."""
        if not valid_id(job_id):
            return
        with self._conn(write=True) as conn:
            conn.execute("UPDATE export_jobs SET workbook = NULL WHERE id = %s", (job_id,))
        with suppress(FileNotFoundError):
            (self.cache / f"{job_id}.xlsx").unlink()

    def output_file(self, job_id: str) -> Path | None:
        """The workbook as a file of the local cache (written from the row if missing)."""
        if not valid_id(job_id):
            return None
        target = self.cache / f"{job_id}.xlsx"
        if target.is_file():
            return target
        with self._conn() as conn:
            row = conn.execute("SELECT workbook FROM export_jobs WHERE id = %s AND "
                               "status = 'done'", (job_id,)).fetchone()
        if row is None or row[0] is None:
            return None
        ensure_dir(self.cache)
        tmp = self.cache / f".{job_id}.{secrets.token_hex(4)}{TMP_SUFFIX}"
        tmp.write_bytes(bytes(row[0]))
        os.replace(tmp, target)
        return target

    def expire(self, keep_seconds: float, now: float | None = None) -> list[str]:
        """Delete the jobs that ended ``keep_seconds`` ago, their cached files and their
        tasks in the queue."""
        now = time.time() if now is None else now
        cutoff = _dt.datetime.fromtimestamp(now - keep_seconds, _dt.UTC)
        with self._conn(write=True) as conn:
            self._interrupt_dead(conn, "true", ())
            gone = conn.execute(
                "DELETE FROM export_jobs WHERE status NOT IN ('queued', 'running') "
                "AND coalesce(ended_at, created_at) <= %s RETURNING id, queue_job",
                (cutoff,)).fetchall()
            # and their tasks in the queue (a killed worker's stays 'doing' for ever)
            conn.execute("DELETE FROM procrastinate_jobs WHERE id = ANY(%s) "
                         "AND status <> 'todo'", ([q for _i, q in gone if q is not None],))
            ids = [i for i, _q in gone]
        for job_id in ids:
            with suppress(FileNotFoundError):
                (self.cache / f"{job_id}.xlsx").unlink()
        return ids
