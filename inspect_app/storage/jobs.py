"""Background export jobs on disk: ``<data_dir>/jobs/exports/``.

Per job ``<id>``:

* ``<id>.json`` — the job record (plain JSON, replaced atomically): owner, what was
  asked, status (``running``, ``done``, ``failed``), progress, error, times;
* ``.<id>.running.tmp`` — an empty file ``flock``-ed by the process running the job
  for as long as it runs (the kernel releases it when that process dies, even by
  kill -9), so a record that says ``running`` while nobody holds this file was
  interrupted; named like every temporary, so start-up and ``store check --fix``
  remove it once its runner is gone;
* ``<id>.xlsx`` — the finished workbook (renamed here whole once written; while it is
  written it lives in a held export folder, see :mod:`.temporaries`).

Every process of the app sees the same jobs (they are files), so the "one running
export per user" rule and the progress page hold with several gunicorn workers of one
machine. With the PostgreSQL store the same :class:`JobStore` interface keeps them in
the database instead (:mod:`.pg_jobs`), so every server sees them.
"""
from __future__ import annotations

import json
import os
import time
from contextlib import suppress
from pathlib import Path
from typing import Any, Protocol

from .base import StoreError
from .files import ensure_dir, json_bytes, locked, valid_id, write_atomic
from .temporaries import TMP_SUFFIX, hold_temporary, is_held

JOBS_DIR = Path("jobs") / "exports"
#: Statuses of a job record (``queued``: waiting for a worker of the task queue;
#: ``interrupted`` is what a ``running`` record whose runner is gone reads as).
JOB_STATUSES = ("queued", "running", "done", "failed", "interrupted")
#: The statuses of a job that is not over (at most one such job per owner).
ACTIVE = ("queued", "running")


class Busy(StoreError):
    """The owner already has a job running."""

    def __init__(self, job: dict[str, Any]):
        super().__init__(f"job {job.get('id')} of {job.get('owner')!r} is running")
        self.job = job


class JobStore(Protocol):
    """Where export job records and their workbooks live: files of one data folder
    (:class:`ExportJobs`) or the PostgreSQL database (:class:`.pg_jobs.PostgresJobs`).

    A job's runner holds a *lease* (what :meth:`create` or :meth:`claim` return) while it
    runs; the lease goes when the runner's process dies, and a ``running`` record without
    it reads as ``interrupted``. At most one ``queued`` or ``running`` job per owner."""

    #: The data folder (temporary export folders are made under it).
    data_dir: Path

    def create(self, job: dict[str, Any], *, queued: bool = False) -> Any:
        """Store a new job record, ``running`` with its lease held (returned), or, with
        ``queued``, waiting for a worker to :meth:`claim` it (returns None). :class:`Busy`
        if its owner has a job queued or running."""

    def claim(self, job_id: str) -> Any:
        """Take the lease of a ``queued`` job and mark it ``running``; None when it is not
        queued (already run, interrupted, expired): the worker then leaves it alone."""

    def release(self, job_id: str, lease: Any) -> None:
        """Let go of a job's lease (its record says by then how it ended)."""

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The job record, or None (``running`` without its lease: ``interrupted``)."""

    def update(self, job_id: str, **changes: Any) -> dict[str, Any]:
        """Change fields of a job record (only its runner writes it)."""

    def keep_output(self, job_id: str, path: Path) -> int:
        """Keep the finished workbook at ``path`` (a temporary file, moved or read and
        removed) as the job's output; returns its size in bytes."""

    def output_file(self, job_id: str) -> Path | None:
        """A local file holding the job's finished workbook (None when there is none)."""

    def discard_output(self, job_id: str) -> None:
        """Forget the job's workbook (kept, then the job could not be recorded done)."""

    def all(self) -> list[dict[str, Any]]:
        """Every job record."""

    def expire(self, keep_seconds: float, now: float | None = None) -> list[str]:
        """Remove the jobs that ended more than ``keep_seconds`` ago; returns their ids."""


class ExportJobs:
    """The job records and workbooks of one data folder (a :class:`JobStore`)."""

    def __init__(self, data_dir: str | os.PathLike[str]):
        self.data_dir = Path(data_dir)
        self.folder = self.data_dir / JOBS_DIR

    # -- paths
    def _path(self, job_id: str, suffix: str) -> Path | None:
        return self.folder / f"{job_id}{suffix}" if valid_id(job_id) else None

    def output_path(self, job_id: str) -> Path:
        """Where the finished workbook of a job goes."""
        path = self._path(job_id, ".xlsx")
        if path is None:
            raise ValueError(f"invalid job id {job_id!r}")
        return path

    def _running(self, job_id: str) -> Path:
        return self.folder / f".{job_id}.running{TMP_SUFFIX}"

    # -- records
    def create(self, job: dict[str, Any], *, queued: bool = False) -> int | None:
        """Store a new ``running`` job record and hold its run lock; returns the open file
        descriptor that holds it (close it with :meth:`release` when the job ends). With
        ``queued``, a ``queued`` record for :meth:`claim` (returns None).

        :class:`Busy` if the same owner has a job that is still queued or running (its
        run lock held by a live process): at most one export per user, across processes.
        """
        ensure_dir(self.folder)
        with locked(self.folder / "create"):
            for other in self.all():
                if other.get("owner") == job["owner"] and other.get("status") in ACTIVE:
                    raise Busy(other)
            if queued:
                write_atomic(self._path(job["id"], ".json"), json_bytes({**job, "status": "queued"}))
                return None
            running = self._running(job["id"])
            fd = os.open(running, os.O_CREAT | os.O_RDWR, 0o600)
            hold_temporary(fd)
            try:
                write_atomic(self._path(job["id"], ".json"), json_bytes({**job, "status": "running"}))
            except BaseException:
                self.release(job["id"], fd)
                raise
        return fd

    def claim(self, job_id: str) -> int | None:
        """Hold the run lock of a ``queued`` job and mark it ``running`` (the descriptor
        holding it, or None when the job is not queued)."""
        path = self._path(job_id, ".json")
        if path is None:
            return None
        with locked(self.folder / "create"):
            job = self._read(path)
            if job is None or job.get("status") != "queued":
                return None
            fd = os.open(self._running(job_id), os.O_CREAT | os.O_RDWR, 0o600)
            hold_temporary(fd)
            try:
                self.update(job_id, status="running", started_at_epoch=time.time())
            except BaseException:
                self.release(job_id, fd)
                raise
        return fd

    def keep_output(self, job_id: str, path: Path) -> int:
        """Rename the finished workbook beside the record; its size."""
        os.replace(path, self.output_path(job_id))
        return self.output_path(job_id).stat().st_size

    def output_file(self, job_id: str) -> Path | None:
        """The job's workbook file, if there is one."""
        path = self._path(job_id, ".xlsx")
        return path if path is not None and path.is_file() else None

    def discard_output(self, job_id: str) -> None:
        """Remove the job's workbook file, if there is one."""
        path = self._path(job_id, ".xlsx")
        if path is not None:
            with suppress(FileNotFoundError):
                path.unlink()

    def release(self, job_id: str, fd: int | None) -> None:
        """Let go of a job's run lock (its record says by then how it ended)."""
        with suppress(OSError):
            self._running(job_id).unlink()
        if fd is not None:
            with suppress(OSError):
                os.close(fd)

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The job record, or None. A ``running`` record whose runner is gone (killed,
        or its server restarted) comes back as ``interrupted``."""
        path = self._path(job_id, ".json")
        if path is None:
            return None
        job = self._read(path)
        if job is not None and job.get("status") == "running" \
                and not is_held(self._running(job_id)):
            # The runner writes how the job ended, then lets go of its lock: a record read
            # just before that write is read again before calling the job interrupted.
            job = self._read(path)
            if job is not None and job.get("status") == "running":
                job["status"] = "interrupted"
        return job

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            return json.loads(path.read_bytes())
        except (FileNotFoundError, ValueError):
            return None

    def update(self, job_id: str, **changes: Any) -> dict[str, Any]:
        """Change fields of a job record (only its runner writes it, so no lock)."""
        path = self._path(job_id, ".json")
        if path is None:
            raise ValueError(f"invalid job id {job_id!r}")
        job = json.loads(path.read_bytes())
        job.update(changes)
        write_atomic(path, json_bytes(job), durable=changes.get("status") != "running")
        return job

    def all(self) -> list[dict[str, Any]]:
        """Every job record (interrupted ones marked as such)."""
        try:
            names = [e.name for e in os.scandir(self.folder)
                     if e.name.endswith(".json") and not e.name.startswith(".")]
        except FileNotFoundError:
            return []
        return [job for job in (self.get(n[:-len(".json")]) for n in names) if job]

    def expire(self, keep_seconds: float, now: float | None = None) -> list[str]:
        """Remove the jobs that ended (or were interrupted) more than ``keep_seconds``
        ago: their record, workbook and run-lock file. Returns their ids."""
        now = time.time() if now is None else now
        removed = []
        for job in self.all():
            if job.get("status") in ACTIVE:
                continue
            ended = job.get("finished_at_epoch") or job.get("started_at_epoch") or 0
            if now - ended >= keep_seconds:
                for path in (self.folder / f"{job['id']}.xlsx", self._running(job["id"]),
                             self.folder / f"{job['id']}.json"):
                    with suppress(FileNotFoundError):
                        path.unlink()
                removed.append(job["id"])
        return removed


def open_jobs(store: Any, data_dir: str | os.PathLike[str]) -> JobStore:
    """The job store that goes with ``store``: its database for the PostgreSQL store (every
    server sees the same jobs), files under ``data_dir`` otherwise."""
    from .postgres_store import PostgresStore

    if isinstance(store, PostgresStore):
        from .pg_jobs import PostgresJobs

        return PostgresJobs(store)
    return ExportJobs(data_dir)
