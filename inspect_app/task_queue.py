"""The task queue of the PostgreSQL store: procrastinate (issue 16, point 4).

Imported by :func:`inspect_app.tasks.init_app` only when the store is the PostgreSQL one
(procrastinate and its dependencies are not loaded by processes of the embedded store).

With ``INSPECT_DATABASE_URL=postgresql://…`` the app puts its background work in a queue
in that database (the ``procrastinate_*`` tables of ``storage/sql/0008_jobs.sql``,
applied on start like every schema file), and a worker on any server runs it:

* ``inspect_app.export``: a big Excel export queued from the web
  (:func:`~inspect_app.services.export_jobs.run_queued`; its record and workbook are in
  the database, :mod:`~inspect_app.storage.pg_jobs`);
* ``inspect_app.reminders``: the day's reminder e-mails (``reminders send --queue``; at
  most one queued per day, and sent at most once per user and day as ever).

``flask --app inspect_app jobs worker`` runs a worker; ``INSPECT_JOBS_WORKER=thread``
runs one in a thread of each app process. With the embedded store there is no queue:
exports run in a thread of the process that started them, as before.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import logging
import threading
from contextlib import suppress
from typing import Any

import procrastinate
from flask import Flask

from .services import export_jobs
from .services.inspections import scope_for
from .storage.base import StoreUnavailable
from .storage.jobs import open_jobs

log = logging.getLogger(__name__)

#: A worker beats its heart every 10 s (procrastinate's default); one whose last beat is
#: older than this is taken as gone.
WORKER_ALIVE_SECONDS = 60

EXPORT_TASK = "inspect_app.export"
REMINDERS_TASK = "inspect_app.reminders"
QUEUE = "inspect_app"


class JobQueue:
    """The queue of one app (with the PostgreSQL store): deferring, and workers."""

    def __init__(self, app: Flask, url: str):
        self.flask_app = app
        self.url = url
        self._lock = threading.Lock()
        self._opened = False
        self.procrastinate = procrastinate.App(
            connector=procrastinate.SyncPsycopgConnector(conninfo=url, min_size=0, max_size=2))
        self.procrastinate.task(name=EXPORT_TASK, queue=QUEUE)(self._export)
        # A day's reminders that could not all be sent (the mail server down) are tried
        # again; each attempt mails only those not mailed yet that day.
        self.procrastinate.task(name=REMINDERS_TASK, queue=QUEUE, retry=procrastinate.RetryStrategy(
            max_attempts=int(app.config["REMINDER_ATTEMPTS"]),
            wait=int(app.config["REMINDER_RETRY_SECONDS"])))(self._reminders)
        self.thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None

    # -- the tasks (run by a worker) --------------------------------------------------
    def _export(self, job_id: str) -> str:
        app = self.flask_app
        with app.app_context():
            store = app.extensions["store"]

            def scope_of(owner: str):
                user = store.get_user(owner) if owner else None
                if user is None or not user.active:
                    return None
                return scope_for(store, user)

            ended = export_jobs.run_queued(open_jobs(store, app.config["DATA_DIR"]), job_id,
                                           store, scope_of)
        log.info("export job %s: %s", job_id, ended)
        return ended

    def _reminders(self, day: str) -> dict[str, Any]:
        from .cli.reminders import send_daily

        report = send_daily(self.flask_app, _dt.date.fromisoformat(day))
        if report.unsent:
            raise RuntimeError(f"reminders {day}: {len(report.unsent)} not sent: "
                               + "; ".join(f"{u}: {r}" for u, r in report.unsent))
        return {"sent": report.sent, "already": report.already}

    # -- deferring ----------------------------------------------------------------------
    def _open(self) -> procrastinate.App:
        with self._lock:
            if not self._opened:
                self.procrastinate.open()
                self._opened = True
        return self.procrastinate

    def defer_export(self, job_id: str) -> int:
        """Queue the export job ``job_id``; the queue's job id. :class:`StoreUnavailable`
        when the database cannot take it (503 on the web)."""
        try:
            queue_job = self._open().tasks[EXPORT_TASK].defer(job_id=job_id)
        except procrastinate.exceptions.ConnectorException as exc:
            raise StoreUnavailable(f"the task queue cannot be reached: {exc}") from exc
        jobs = open_jobs(self.flask_app.extensions["store"], self.flask_app.config["DATA_DIR"])
        jobs.set_queue_job(job_id, queue_job)  # type: ignore[attr-defined]
        return queue_job

    def defer_reminders(self, day: _dt.date) -> int | None:
        """Queue the reminders of ``day``; None when they are already queued."""
        task = self._open().tasks[REMINDERS_TASK]
        try:
            return task.configure(queueing_lock=f"reminders-{day.isoformat()}").defer(
                day=day.isoformat())
        except procrastinate.exceptions.AlreadyEnqueued:
            return None

    # -- workers ------------------------------------------------------------------------
    def workers_alive(self, within: float = WORKER_ALIVE_SECONDS) -> bool | None:
        """Whether a worker on any server beat its heart in the last ``within`` seconds;
        None when the queue's database cannot be asked (then nobody knows)."""
        try:
            row = self._open().connector.execute_query_one(
                "SELECT EXISTS (SELECT 1 FROM procrastinate_workers WHERE last_heartbeat > "
                "now() - make_interval(secs => %(within)s)) AS alive", within=float(within))
        except procrastinate.exceptions.ConnectorException:
            return None
        return bool(row["alive"])

    def worker_app(self) -> procrastinate.App:
        """The same tasks on an asynchronous connector (a worker's own)."""
        return self.procrastinate.with_connector(
            procrastinate.PsycopgConnector(conninfo=self.url, min_size=1, max_size=4))

    def run_worker(self, *, wait: bool = True, concurrency: int = 1,
                   install_signal_handlers: bool = True, name: str | None = None) -> None:
        """Run a worker until stopped (``wait``) or until the queue is empty.

        procrastinate's synchronous entry point calls ``asyncio.run()``, which Python refuses
        in a thread whose event loop is running (a caller embedding an event loop — a test
        process driving Playwright's sync API is one); the worker then runs in a thread of
        its own, without signal handlers (only the main thread may install them)."""
        def run(signals: bool) -> None:
            self.worker_app().run_worker(
                queues=[QUEUE], wait=wait, concurrency=concurrency, delete_jobs="successful",
                install_signal_handlers=signals, name=name or "inspect_app",
                fetch_job_polling_interval=5, listen_notify=True)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            run(install_signal_handlers)
            return
        failures: list[BaseException] = []

        def in_thread() -> None:
            try:
                run(False)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                failures.append(exc)
        thread = threading.Thread(target=in_thread, name="jobs-worker-run", daemon=True)
        thread.start()
        thread.join()
        if failures:
            raise failures[0]

    def start_thread(self) -> threading.Thread:
        """Run a worker in a daemon thread of this process (INSPECT_JOBS_WORKER=thread),
        on an event loop of its own (:meth:`stop_thread` ends it)."""
        loop = asyncio.new_event_loop()

        async def main() -> None:
            worker_app = self.worker_app()
            async with worker_app.open_async():
                await worker_app.run_worker_async(
                    queues=[QUEUE], wait=True, delete_jobs="successful",
                    install_signal_handlers=False, name="inspect_app-thread",
                    fetch_job_polling_interval=5, listen_notify=True)

        def work() -> None:
            asyncio.set_event_loop(loop)
            self._task = loop.create_task(main())
            started.set()
            try:
                loop.run_until_complete(self._task)
            except asyncio.CancelledError:
                pass
            except Exception:  # noqa: BLE001 - logged; the app goes on without it
                log.exception("the task queue's worker thread stopped")
            finally:
                loop.close()
        started = threading.Event()
        self._loop = loop
        self.thread = threading.Thread(target=work, name="jobs-worker", daemon=True)
        self.thread.start()
        started.wait(10)
        return self.thread

    def stop_thread(self, timeout: float = 30) -> None:
        """Stop the worker thread (it finishes the job it is on first)."""
        if self.thread is None:
            return
        with suppress(RuntimeError):  # its loop has ended already
            self._loop.call_soon_threadsafe(self._task.cancel)
        self.thread.join(timeout)
        self.thread = None

    def close(self) -> None:
        """Stop the worker thread, close the connections used for deferring."""
        self.stop_thread()
        with self._lock:
            if self._opened:
                self.procrastinate.close()
                self._opened = False
