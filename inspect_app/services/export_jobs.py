"""Big Excel exports as background jobs (issue 12, point 6; issue 16, point 4).

:func:`start` checks that the user has no export queued or running, stores a job record
and either runs the export in a background thread of the current process (the embedded
store: the request that started it returns at once, so no worker timeout applies) or,
given ``queue``, hands the job's id to the task queue, whose worker on any server calls
:func:`run_queued`. :func:`run` writes the workbook into a held export folder, reporting
progress in the record, and gives it to the job store when done (a file beside the
record, or the database). :func:`view` gives the owner the record (nobody else: the workbook holds
what its owner may see). Records and workbooks expire ``keep_hours`` after they end.

No Flask here: the web layer passes the store, the acting user's scope, the filters and
a photo-link function made in its request.
"""
from __future__ import annotations

import datetime as _dt
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from ..domain.access import Scope
from ..domain.messages import N_, Message
from ..exports import xlsx
from ..exports.workbook import Filters
from ..storage import Store, new_id, temporaries
from ..storage.base import CannotStore, storing
from ..storage.jobs import Busy, JobStore
from . import Conflict, Missing, clock
from .exports import report

log = logging.getLogger(__name__)

#: The progress in a record is rewritten at most this often (seconds).
PROGRESS_EVERY = 0.5

ALREADY_RUNNING = N_("You already have an export running. Wait until it is finished, "
                     "then start the next one.")
FAILED = N_("The export could not be made. Try again; if it fails again, tell the "
            "administrator.")
INTERRUPTED = N_("The export was interrupted (the server stopped). Start it again.")
NO_LONGER_ALLOWED = N_("The export was not made: your account can no longer make it.")


def start(jobs: JobStore, store: Store, scope: Scope, filters: Filters, *,
          locale: str, timezone: str = clock.DEFAULT_TZ,
          photo_url: Callable[[str, str], str] | None = None, all_criteria: bool = False,
          download_name: str = "export.xlsx", keep_hours: float = 24,
          background: bool = True, photo_url_template: str | None = None,
          queue: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """Start an export job for ``scope``'s user and return its record.

    :class:`~inspect_app.services.Conflict` (a translated refusal) if that user already
    has one queued or running. With ``background=False`` the export runs before this
    returns (for callers that are background work themselves). With ``queue``, the job
    is stored ``queued`` and ``queue(job_id)`` puts it in the task queue (a worker then
    calls :func:`run_queued`; ``photo_url_template`` is how it makes photo links)."""
    jobs.expire(keep_hours * 3600)
    now = time.time()
    job = {"id": new_id(), "owner": scope.user.username, "access": access_of(scope),
           "locale": locale,
           "all_criteria": all_criteria, "filters": {
               "period": filters.period, "checklist": filters.checklist,
               "units": list(filters.units), "kind": filters.kind,
               "include_drafts": filters.include_drafts},
           "download_name": download_name, "done": 0, "total": None,
           "timezone": timezone, "photo_url_template": photo_url_template,
           "created_at": clock.now_utc().isoformat(), "started_at_epoch": now}
    try:
        fd = jobs.create(job, queued=queue is not None)
    except Busy as busy:
        raise Conflict(ALREADY_RUNNING, job=busy.job.get("id")) from None
    if queue is not None:
        try:
            queue(job["id"])
        except BaseException:
            with suppress(Exception):
                jobs.update(job["id"], status="failed", finished_at_epoch=time.time())
            raise
        return jobs.get(job["id"]) or job
    work = lambda: run(jobs, job["id"], fd, store, scope, filters, locale=locale,  # noqa: E731
                       timezone=timezone, photo_url=photo_url, all_criteria=all_criteria)
    if background:
        threading.Thread(target=work, name=f"export-{job['id']}", daemon=True).start()
    else:
        work()
    return jobs.get(job["id"]) or job


def run(jobs: JobStore, job_id: str, fd: Any, store: Store, scope: Scope, filters: Filters,
        *, locale: str, timezone: str, photo_url: Callable[[str, str], str] | None,
        all_criteria: bool) -> None:
    """The export of one job (it holds the job's run lock ``fd`` and releases it at the
    end). Never raises: a failure is recorded in the job, with a message for its owner,
    and leaves no temporary file."""
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            jobs.update(job_id, done=done, total=total)

    tmp, kept = None, False
    try:
        workbook = report(store, scope, filters, locale=locale, timezone=timezone,
                          photo_url=photo_url, all_criteria=all_criteria, progress=progress)
        with temporaries.export_folder(jobs.data_dir) as folder, storing("the export"):
            handle, tmp = tempfile.mkstemp(dir=folder, suffix=temporaries.TMP_SUFFIX)
            os.close(handle)
            counts = xlsx.write(workbook, tmp, tmpdir=folder)
            size = jobs.keep_output(job_id, Path(tmp))
            tmp, kept = None, True
        jobs.update(job_id, status="done", rows=counts, finished_at_epoch=time.time(),
                    size=size)
    except BaseException as exc:  # noqa: BLE001 - recorded for the owner, then logged
        if tmp is not None:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
        if kept:  # kept, but the job could not be recorded done: nobody can download it
            with suppress(Exception):
                jobs.discard_output(job_id)
        message = exc.message if isinstance(exc, CannotStore) else FAILED
        log.exception("export job %s failed", job_id)
        with suppress(Exception):
            jobs.update(job_id, status="failed", finished_at_epoch=time.time(),
                        error={"template": message.template, "params": message.params})
        if not isinstance(exc, Exception):
            raise
    finally:
        jobs.release(job_id, fd)


def photo_links(template: str | None) -> Callable[[str, str], str] | None:
    """The photo-link function of a template with ``~inspection~`` and ``~photo~``."""
    if not template:
        return None

    def photo_url(inspection_id: str, photo_id: str) -> str:
        return template.replace(INSPECTION_MARK, inspection_id).replace(PHOTO_MARK, photo_id)
    return photo_url


#: Stand-ins for the ids in a photo address template (ids are letters and digits only).
INSPECTION_MARK, PHOTO_MARK = "~inspection~", "~photo~"


def run_queued(jobs: JobStore, job_id: str, store: Store,
               scope_of: Callable[[str], Scope | None]) -> str:
    """Run a queued job (the task queue's worker calls this, on any server): claim it,
    rebuild what its request asked from its record, and :func:`run` it. ``scope_of``
    gives the owner's scope now (None if the account is gone or disabled: the job then
    fails, saying so). Returns how the job ended (``skipped`` when it was not queued:
    already run, or interrupted). Never raises for a failed export."""
    lease = jobs.claim(job_id)
    if lease is None:
        return "skipped"
    job = jobs.get(job_id) or {}
    try:
        scope = scope_of(job.get("owner", ""))
    except BaseException:
        jobs.release(job_id, lease)
        raise
    if scope is None:
        try:
            jobs.update(job_id, status="failed", finished_at_epoch=time.time(),
                        error={"template": NO_LONGER_ALLOWED.template, "params": {}})
        finally:
            jobs.release(job_id, lease)
        return "failed"
    asked = job.get("filters") or {}
    filters = Filters(period=asked.get("period"), checklist=asked.get("checklist"),
                      units=tuple(asked.get("units") or ()), kind=asked.get("kind"),
                      include_drafts=bool(asked.get("include_drafts")))
    run(jobs, job_id, lease, store, scope, filters, locale=job.get("locale") or "vi",
        timezone=job.get("timezone") or clock.DEFAULT_TZ,
        photo_url=photo_links(job.get("photo_url_template")),
        all_criteria=bool(job.get("all_criteria")))
    return (jobs.get(job_id) or {}).get("status", "failed")


def access_of(scope: Scope) -> list[Any]:
    """What decides what a user may see: their role and unit. A job keeps the one it was
    made with; the workbook holds what that access could see."""
    return [scope.role, getattr(scope.user, "unit", None)]


def view(jobs: JobStore, scope: Scope, job_id: str) -> dict[str, Any]:
    """The job record for its owner while their access is the one it was made with;
    :class:`~inspect_app.services.Missing` for anybody else (and for an id that does not
    exist), so job ids cannot be probed. An administrator made an inspector since no longer
    downloads the province-wide workbook made as an administrator."""
    job = jobs.get(job_id)
    if job is None or job.get("owner") != scope.user.username:
        raise Missing(N_("no such export"))
    if job.get("access") is not None and list(job["access"]) != access_of(scope):
        raise Missing(N_("no such export"))
    return job


def error_of(job: dict[str, Any]) -> Message | None:
    """The message for the owner of a failed or interrupted job (None otherwise)."""
    if job.get("status") == "interrupted":
        return INTERRUPTED
    error = job.get("error")
    if job.get("status") != "failed":
        return None
    if not error:
        return FAILED
    return Message(error.get("template") or FAILED.template, **(error.get("params") or {}))


def percent(job: dict[str, Any]) -> int:
    """How far a job is, 0–100 (100 once done)."""
    if job.get("status") == "done":
        return 100
    total, done = job.get("total"), job.get("done") or 0
    if not total:
        return 0
    return max(0, min(99, int(100 * done / total)))


def expires_at(job: dict[str, Any], keep_hours: float) -> _dt.datetime | None:
    """When a finished job will be removed (UTC)."""
    ended = job.get("finished_at_epoch")
    if not ended:
        return None
    return _dt.datetime.fromtimestamp(ended + keep_hours * 3600, _dt.UTC)
