"""Background jobs on PostgreSQL (issue 16, point 4): export jobs in the database, run by
a worker of the procrastinate task queue on any server, seen from every server.

Two apps on one database, each with its own local folder, stand for two app servers;
workers run in this process (``run_worker(wait=False)``: what is queued, then stop) or,
to be killed, as a process of their own. Skipped without INSPECT_TEST_DATABASE_URL.
"""
from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import openpyxl
import pytest

from inspect_app import create_app, storage
from inspect_app.i18n import translate
from inspect_app.services import accounts, export_jobs
from inspect_app.storage.jobs import open_jobs
from inspect_app.storage.postgres_store import MIGRATIONS_DIR

from .conftest import app_config
from .support import World, login
from .test_reminders import Sink, items_of_nt, pin  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parent.parent


def _close(app) -> None:
    queue = app.extensions.get("job_queue")
    if queue is not None:
        queue.close()
    app.extensions["store"].close()
    storage.forget_store(app.extensions["store"])


@pytest.fixture
def servers(pg_empty_url, tmp_path):
    """Two apps ("servers" A and B) on one emptied database, a World made through A: two
    communes, the people of tests/support.py, and one finalized inspection of NT."""
    a = create_app(app_config(tmp_path / "a", DATABASE_URL=pg_empty_url))
    b = create_app(app_config(tmp_path / "b", DATABASE_URL=pg_empty_url))
    world = World(a, a.test_client())
    record = world.start("lead", "NT")
    world.answer("lead", record, "1.6", value=False, note="Thiếu")
    world.finalize("lead", record)
    yield {"a": a, "b": b, "world": world, "url": pg_empty_url, "tmp": tmp_path}
    _close(a)
    _close(b)


def client_on(app, username):
    return login(app.test_client(), username)


def start_export(client, lang="vi"):
    page = client.get("/exports/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/exports/jobs", data={"csrf_token": token, "lang": lang,
                                              "checklist": "", "kind": "", "period": "2025"})


def work(app) -> None:
    """Run a worker of ``app``'s queue until the queue is empty."""
    app.extensions["job_queue"].run_worker(wait=False, install_signal_handlers=False)


def test_an_export_queued_on_one_server_is_run_by_a_worker_and_seen_on_the_other(servers):
    a, b = servers["a"], servers["b"]
    on_a, on_b = client_on(a, "admin"), client_on(b, "admin")
    started = start_export(on_a, lang="en")
    assert started.status_code == 303
    job_url = started.headers["Location"]
    queued = on_b.get(f"{job_url}/status").get_json()
    assert queued["status"] == "queued" and queued["download"] is None
    page = on_b.get(job_url).get_data(as_text=True)
    assert "Đang chờ" in page and 'http-equiv="refresh"' in page  # it polls until done

    work(b)  # the worker of server B runs what server A queued
    status = on_b.get(f"{job_url}/status").get_json()
    assert status["status"] == "done" and status["percent"] == 100, status
    assert status["total"] == 1 and status["error"] is None
    for client in (on_a, on_b):  # either server hands out the workbook (from the database)
        download = client.get(status["download"])
        assert download.status_code == 200 and "no-store" in download.headers["Cache-Control"]
        book = openpyxl.load_workbook(io.BytesIO(download.data))
        assert "Summary" in book.sheetnames
        assert [r[2] for r in book["Summary"].iter_rows(min_row=2, values_only=True)] \
            == ["Xã Nông Thượng"]
    for server in ("a", "b"):  # nothing of it in the job folders of either server
        assert not (servers["tmp"] / server / "data" / "jobs" / "exports").exists()
    # only its owner sees it, on any server
    assert client_on(b, "lead").get(f"{job_url}/status").status_code == 404


def test_a_failing_job_says_why_in_the_users_language(servers, monkeypatch):
    a, b = servers["a"], servers["b"]
    on_a = client_on(a, "admin")

    def broken(*args, **kwargs):
        raise RuntimeError("the workbook library broke")
    monkeypatch.setattr(export_jobs.xlsx, "write", broken)
    job_url = start_export(on_a).headers["Location"]
    work(b)
    status = client_on(b, "admin").get(f"{job_url}/status").get_json()
    expected = translate(export_jobs.FAILED, "vi")
    assert status["status"] == "failed" and status["error"] == expected != export_jobs.FAILED
    page = on_a.get(job_url).get_data(as_text=True)
    assert expected in page
    assert start_export(on_a).status_code == 303  # the owner may start another


def test_a_job_whose_owner_was_disabled_meanwhile_fails_saying_so(servers):
    a, b = servers["a"], servers["b"]
    job_url = start_export(client_on(a, "lead")).headers["Location"]
    a.extensions["store"].update_user("lead", lambda user: setattr(user, "active", False))
    work(b)
    # read the record directly: the owner can no longer log in
    record = open_jobs(b.extensions["store"], b.config["DATA_DIR"]).get(job_url.rsplit("/", 1)[-1])
    assert record["status"] == "failed"
    assert export_jobs.error_of(record).template == export_jobs.NO_LONGER_ALLOWED.template
    assert translate(export_jobs.NO_LONGER_ALLOWED, "vi") != export_jobs.NO_LONGER_ALLOWED


WORKER = textwrap.dedent("""
    import sys, time
    from inspect_app import create_app
    from inspect_app.services import export_jobs

    def slow(*args, **kwargs):
        print("exporting", flush=True)
        time.sleep(300)
    export_jobs.report = slow
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATA_DIR": sys.argv[2],
                      "DATABASE_URL": sys.argv[1]})
    app.extensions["job_queue"].run_worker(wait=True)
""")


def test_a_job_interrupted_by_its_workers_death_says_so_and_frees_its_owner(servers):
    a, b = servers["a"], servers["b"]
    on_a, on_b = client_on(a, "admin"), client_on(b, "admin")
    job_url = start_export(on_a).headers["Location"]
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, servers["url"], str(servers["tmp"] / "w")],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = worker.stdout.readline()
        assert line.strip() == "exporting", line
        assert on_b.get(f"{job_url}/status").get_json()["status"] == "running"
        assert start_export(on_b).status_code == 409  # still one export per user
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    deadline = time.monotonic() + 20
    while (status := on_b.get(f"{job_url}/status").get_json())["status"] == "running":
        assert time.monotonic() < deadline, "the killed worker's job still reads as running"
        time.sleep(0.1)
    assert status["status"] == "interrupted"
    assert status["error"] == translate(export_jobs.INTERRUPTED, "vi") != export_jobs.INTERRUPTED
    again = start_export(on_a)
    assert again.status_code == 303  # the owner can start another
    work(b)
    assert on_a.get(f"{again.headers['Location']}/status").get_json()["status"] == "done"
    import psycopg

    with psycopg.connect(servers["url"]) as conn:  # the dead worker's task, left 'doing'
        assert conn.execute("SELECT count(*) FROM procrastinate_jobs").fetchone()[0] == 1
        open_jobs(b.extensions["store"], b.config["DATA_DIR"]).expire(0, now=time.time() + 1)
        assert conn.execute("SELECT count(*) FROM procrastinate_jobs").fetchone()[0] == 0


def test_one_export_per_user_across_servers(servers):
    a, b = servers["a"], servers["b"]
    on_a, on_b = client_on(a, "admin"), client_on(b, "admin")
    first = start_export(on_a)
    assert first.status_code == 303
    refused = start_export(on_b, lang="en")
    assert refused.status_code == 409
    assert translate(export_jobs.ALREADY_RUNNING, "vi") in refused.get_data(as_text=True)
    assert start_export(client_on(b, "lead")).status_code == 303  # another user may
    work(a)
    # at once on both servers: exactly one of them starts it
    clients = [client_on(a, "viewer"), client_on(b, "viewer")]
    tokens = []
    for client in clients:
        page = client.get("/exports/").get_data(as_text=True)
        tokens.append(re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1))
    barrier, codes = threading.Barrier(2), []

    def post(client, token):
        barrier.wait()
        codes.append(client.post("/exports/jobs", data={
            "csrf_token": token, "lang": "vi", "checklist": "", "kind": "",
            "period": "2025"}).status_code)
    threads = [threading.Thread(target=post, args=pair) for pair in zip(clients, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [303, 409]
    work(b)


def test_the_task_queues_schema_is_procrastinates_own():
    import procrastinate.schema

    text = (MIGRATIONS_DIR / "0008_jobs.sql").read_text(encoding="utf-8")
    marker = "-- ==== procrastinate 3.10.0 schema.sql ====\n"
    assert marker in text
    import importlib.metadata

    assert importlib.metadata.version("procrastinate") == "3.10.0", \
        "a new procrastinate needs a schema file with its migrations"
    assert text.split(marker, 1)[1] == procrastinate.schema.SchemaManager.get_schema()
    pinned = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert "procrastinate==3.10.0" in pinned.splitlines()


@pytest.fixture
def mail_servers(pg_empty_url, tmp_path):
    sink = Sink()
    mail = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": sink.port, "SMTP_STARTTLS": False,
            "SMTP_FROM": "cchc@snv.example.vn", "REMINDER_RETRY_SECONDS": 0}
    a = create_app(app_config(tmp_path / "a", DATABASE_URL=pg_empty_url, **mail))
    b = create_app(app_config(tmp_path / "b", DATABASE_URL=pg_empty_url, **mail))
    yield a, b, sink
    sink.shutdown()
    sink.server_close()
    _close(a)
    _close(b)


def reminders_world(app):
    """Nông Thượng's open items, with a mail address for its officer and the lead."""
    world = World(app, app.test_client())
    app.extensions["store"].put_settings({"public_url": "https://cchc.example.vn"})
    items_of_nt(world)
    accounts.set_email(world.store, "ua", "vanphong@nongthuong.vn")
    accounts.set_email(world.store, "lead", "lead@snv.example.vn")
    return world


def test_reminders_queued_twice_the_same_day_are_sent_once(mail_servers, pin):  # noqa: F811
    a, b, sink = mail_servers
    reminders_world(a)
    runner = a.test_cli_runner()
    first = runner.invoke(args=["reminders", "send", "--queue", "--date", "2026-12-02"])
    assert first.exit_code == 0 and "queued (job" in first.output, first.output
    second = b.test_cli_runner().invoke(
        args=["reminders", "send", "--queue", "--date", "2026-12-02"])
    assert second.exit_code == 0 and "already queued" in second.output, second.output
    assert sink.messages == []  # nothing sent until a worker runs it
    work(b)
    assert sorted(m["To"] for m in sink.messages) == ["lead@snv.example.vn",
                                                      "vanphong@nongthuong.vn"]
    again = runner.invoke(args=["reminders", "send", "--queue", "--date", "2026-12-02"])
    assert again.exit_code == 0 and "queued (job" in again.output
    work(a)
    assert len(sink.messages) == 2  # that day was sent: nothing twice


def test_queued_reminders_the_mail_server_refused_are_tried_again(mail_servers, pin):  # noqa: F811
    """The mail server refuses one message (451, try later): the day's job fails, is tried
    again by the worker, and every reminder arrives exactly once."""
    import psycopg

    a, _b, sink = mail_servers
    reminders_world(a)
    queued = a.test_cli_runner().invoke(args=["reminders", "send", "--queue", "--date",
                                               "2026-12-02"])
    assert queued.exit_code == 0, queued.output
    sink.refuse_next = 1
    work(a)
    assert sorted(m["To"] for m in sink.messages) == ["lead@snv.example.vn",
                                                      "vanphong@nongthuong.vn"]
    with psycopg.connect(a.extensions["store"].url, autocommit=True) as conn:
        rows = conn.execute("SELECT status, attempts FROM procrastinate_jobs WHERE "
                            "task_name = 'inspect_app.reminders'").fetchall()
    assert rows in ([], [("succeeded", 2)])  # deleted once succeeded, or kept as such


def test_the_worker_command_runs_what_any_server_queued(servers):
    a, b = servers["a"], servers["b"]
    on_a = client_on(a, "admin")
    job_url = start_export(on_a).headers["Location"]
    result = b.test_cli_runner().invoke(args=["jobs", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "jobs worker: stopped" in result.output
    assert on_a.get(f"{job_url}/status").get_json()["status"] == "done"


def test_the_worker_and_the_queue_need_the_postgresql_store(tmp_path):
    app = create_app(app_config(tmp_path))
    runner = app.test_cli_runner()
    worker = runner.invoke(args=["jobs", "worker", "--once"])
    assert worker.exit_code == 2 and "PostgreSQL" in worker.output
    queued = create_app(app_config(tmp_path, SMTP_HOST="127.0.0.1", SMTP_FROM="a@b.vn")) \
        .test_cli_runner().invoke(args=["reminders", "send", "--queue"])
    assert queued.exit_code == 2 and "PostgreSQL" in queued.output


def test_a_bad_worker_setting_stops_the_app(tmp_path):
    with pytest.raises(SystemExit, match="INSPECT_JOBS_WORKER"):
        create_app(app_config(tmp_path, JOBS_WORKER="process"))


def test_the_worker_thread_setting_runs_queued_exports_in_the_app(pg_empty_url, tmp_path):
    app = create_app(app_config(tmp_path, DATABASE_URL=pg_empty_url, JOBS_WORKER="thread"))
    try:
        World(app, app.test_client())
        queue = app.extensions["job_queue"]
        assert queue.thread is None  # not in commands: from the first request on
        client = client_on(app, "admin")
        assert queue.thread.is_alive()
        job_url = start_export(client).headers["Location"]
        deadline = time.monotonic() + 30
        while (status := client.get(f"{job_url}/status").get_json())["status"] != "done":
            assert status["status"] in ("queued", "running"), status
            assert time.monotonic() < deadline, status
            time.sleep(0.1)
        queue.stop_thread()
        assert queue.thread is None
    finally:
        _close(app)


def test_a_queued_job_whose_task_is_lost_or_never_queued_reads_as_interrupted(servers):
    import psycopg

    a, b = servers["a"], servers["b"]
    on_a, on_b = client_on(a, "admin"), client_on(b, "admin")
    lost = start_export(on_a).headers["Location"]
    with psycopg.connect(servers["url"], autocommit=True) as conn:
        conn.execute("DELETE FROM procrastinate_jobs")  # the queue lost its task
    assert on_b.get(f"{lost}/status").get_json()["status"] == "interrupted"

    never = start_export(on_a).headers["Location"]
    assert on_b.get(f"{never}/status").get_json()["status"] == "queued"
    with psycopg.connect(servers["url"], autocommit=True) as conn:
        # its task was never recorded: waiting for it a moment is normal, then not
        conn.execute("UPDATE export_jobs SET queue_job = NULL WHERE id = %s",
                     (never.rsplit("/", 1)[-1],))
        assert on_b.get(f"{never}/status").get_json()["status"] == "queued"
        conn.execute("UPDATE export_jobs SET created_at = now() - interval '2 minutes'")
    assert on_b.get(f"{never}/status").get_json()["status"] == "interrupted"
    assert start_export(on_b).status_code == 303

    taken = start_export(client_on(a, "lead")).headers["Location"]
    with psycopg.connect(servers["url"], autocommit=True) as conn:
        # a worker took its task, then stopped beating before it started the export
        worker = conn.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES "
                              "(now()) RETURNING id").fetchone()[0]
        conn.execute("UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s "
                     "WHERE status = 'todo' AND args->>'job_id' = %s",
                     (worker, taken.rsplit("/", 1)[-1]))
        lead = client_on(b, "lead")
        assert lead.get(f"{taken}/status").get_json()["status"] == "queued"  # alive
        conn.execute("UPDATE procrastinate_workers SET last_heartbeat = "
                     "now() - interval '5 minutes'")
    assert lead.get(f"{taken}/status").get_json()["status"] == "interrupted"


def test_the_worker_service_runs_exports_queued_by_any_server_and_stops_on_sigterm(servers):
    a, b = servers["a"], servers["b"]
    env = {**os.environ, "INSPECT_DATABASE_URL": servers["url"],
           "INSPECT_DATA_DIR": str(servers["tmp"] / "worker"), "INSPECT_SECRET_KEY": "s"}
    worker = subprocess.Popen([str(Path(sys.executable).with_name("flask")), "--app",
                               "inspect_app", "jobs", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        urls = [start_export(client_on(app, name)).headers["Location"]
                for app, name in ((a, "admin"), (b, "lead"))]
        clients = [client_on(b, "admin"), client_on(a, "lead")]
        deadline = time.monotonic() + 60
        for client, url in zip(clients, urls):
            while (status := client.get(f"{url}/status").get_json())["status"] != "done":
                assert status["status"] in ("queued", "running"), status
                assert time.monotonic() < deadline, status
                time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, output
    assert "jobs worker: stopped" in output


def test_a_worker_runs_where_an_event_loop_is_running(servers):
    """Failed in the full suite: a test process that drove Playwright's sync API keeps an
    event loop running in its main thread, where procrastinate's ``asyncio.run()`` is
    refused; the worker then runs in a thread of its own."""
    import asyncio
    import threading

    a = servers["a"]
    client = client_on(a, "admin")
    started = start_export(client)
    assert started.status_code == 303

    async def with_a_running_loop() -> None:
        work(a)

    failures = []

    def caller() -> None:  # a thread of its own: this one may hold Playwright's loop
        try:
            asyncio.run(with_a_running_loop())
        except BaseException as exc:  # noqa: BLE001 - asserted below
            failures.append(exc)

    thread = threading.Thread(target=caller)
    thread.start()
    thread.join(60)
    assert not failures, failures
    status = client.get(f"{started.headers['Location']}/status").get_json()
    assert status["status"] == "done", status


def test_a_queued_export_says_when_no_worker_runs_anywhere(servers):
    import psycopg

    a = servers["a"]
    a.config["EXPORT_WORKER_GRACE_SECONDS"] = 0
    client = client_on(a, "admin")
    job_url = start_export(client).headers["Location"]
    status = client.get(f"{job_url}/status").get_json()
    assert status["status"] == "queued" and status["no_worker"] is True
    page = client.get(job_url).get_data(as_text=True)
    assert 'id="export-no-worker" class="flash flash-error" role="alert" >' in page
    assert "Không có tiến trình xử lý nền nào đang chạy" in page
    with psycopg.connect(servers["url"], autocommit=True) as conn:
        # a worker that last beat its heart two minutes ago is gone; one that beat just now
        # (on another server) will take the job
        conn.execute("INSERT INTO procrastinate_workers (last_heartbeat) "
                     "VALUES (now() - interval '2 minutes')")
        assert client.get(f"{job_url}/status").get_json()["no_worker"] is True
        conn.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now())")
        assert client.get(f"{job_url}/status").get_json()["no_worker"] is False
        conn.execute("DELETE FROM procrastinate_workers")
    a.config["EXPORT_WORKER_GRACE_SECONDS"] = 3600  # within the grace: waiting is normal
    assert client.get(f"{job_url}/status").get_json()["no_worker"] is False
    work(a)
    done = client.get(f"{job_url}/status").get_json()
    assert done["status"] == "done" and done["no_worker"] is False
    assert 'id="export-no-worker" class="flash flash-error" role="alert" hidden' in \
        client.get(job_url).get_data(as_text=True)
