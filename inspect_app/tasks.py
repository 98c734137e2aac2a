"""The app's background jobs: with the PostgreSQL store a task queue in its database
(:mod:`.task_queue`, procrastinate), made here when the app starts; with the embedded
store none (exports run in a thread of the process that started them)."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from .task_queue import JobQueue


def init_app(app: Flask) -> None:
    """Make the app's queue when its store is the PostgreSQL one (and, if
    INSPECT_JOBS_WORKER says so, start a worker thread with the first request)."""
    store = app.extensions["store"]
    mode = str(app.config.get("JOBS_WORKER") or "").strip().lower()
    if mode not in ("", "none", "thread"):
        raise SystemExit(f"inspect_app: INSPECT_JOBS_WORKER must be empty or 'thread', "
                         f"not {mode!r}")
    postgres = sys.modules.get(f"{__package__}.storage.postgres_store")
    if postgres is None or not isinstance(store, postgres.PostgresStore):
        return  # (a PostgreSQL store has loaded its module)
    from .task_queue import JobQueue

    queue = app.extensions["job_queue"] = JobQueue(app, store.url)
    if mode == "thread":
        # On the first request the process serves, not here: every command builds the
        # app too, and a worker in a command would die with it, mid-job.
        @app.before_request
        def start_worker_thread() -> None:
            if queue.thread is None:
                with queue._lock:  # noqa: SLF001 - once per process
                    if queue.thread is None:
                        queue.start_thread()


def queue_of(app: Flask) -> JobQueue | None:
    """The app's task queue (None with the embedded store)."""
    return app.extensions.get("job_queue")
