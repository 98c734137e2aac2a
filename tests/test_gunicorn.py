"""The app under gunicorn with two worker processes on one data folder: sessions work
whichever worker answers, and login throttling holds across workers.

The server runs in its own process group and is always stopped at the end (SIGTERM,
then SIGKILL), even when a test fails. The access log records the worker's process
id (``%(p)s``), which shows that both workers really answered.
"""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from inspect_app import create_app
from inspect_app.services import accounts
from inspect_app.services import units as unit_service

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
PASSWORD = "mat-khau-dai-2025"
START_TIMEOUT = 25.0

pytestmark = pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """A tiny HTTP client with one cookie (the session), no redirects followed."""

    def __init__(self, port: int):
        self.port = port
        self.cookie: str | None = None

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            if value.startswith("session="):
                self.cookie = value.split(";")[0]
        return response.status, response.headers, text

    def login(self, username: str, password: str) -> int:
        status, _, html = self.request("GET", "/login")
        assert status == 200
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
        status, _, _ = self.request("POST", "/login", {"username": username, "password": password,
                                                       "csrf_token": token})
        return status


class Server:
    """gunicorn -w 2 on a prepared data folder (sync workers, or ``threads`` per worker),
    on its embedded store or on the PostgreSQL database of ``database_url``."""

    def __init__(self, data_dir: Path, log: Path, secret: str | None, threads: int = 1,
                 database_url: str = ""):
        self.port = free_port()
        self.log = log
        env = {**os.environ, "INSPECT_DATA_DIR": str(data_dir),
               "INSPECT_DATABASE_URL": database_url}
        env.pop("INSPECT_SECRET_KEY", None)
        if secret:
            env["INSPECT_SECRET_KEY"] = secret
        self.output = open(log.with_suffix(".out"), "wb")
        self.process = subprocess.Popen(
            [str(GUNICORN), "-w", "2", "--threads", str(threads), "-b", f"127.0.0.1:{self.port}",
             "--graceful-timeout", "2",
             "--access-logfile", str(log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
             "inspect_app:create_app()"],
            cwd=ROOT, env=env, stdout=self.output, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_ready(self) -> None:
        """Wait until both workers answer (one may still be importing the app when the
        other already serves; the access log tells them apart)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("gunicorn exited:\n" + self.console())
            try:
                with ThreadPoolExecutor(4) as pool:
                    statuses = list(pool.map(lambda _: Browser(self.port).request("GET", "/login")[0],
                                             range(4)))
                if 200 in statuses and len(self.workers_seen("GET", "/login", 200, settle=0)) == 2:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("gunicorn's two workers did not both answer in time:\n"
                             + self.console())

    def console(self) -> str:
        self.output.flush()
        return self.log.with_suffix(".out").read_text("utf-8", "replace")[-3000:]

    def stop(self) -> None:
        """Stop the server's process group: SIGTERM, then SIGKILL after 5 s."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except ProcessLookupError:
                pass
        self.output.close()

    def workers_seen(self, method: str, path_prefix: str, status: int,
                     settle: float = 0.2) -> set[str]:
        """Process ids of the workers that answered matching requests (from the access log)."""
        time.sleep(settle)  # gunicorn writes the access log line after the response
        if not self.log.exists():
            return set()
        pids = set()
        for line in self.log.read_text("utf-8").splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[1] == method and parts[2].startswith(path_prefix) \
                    and parts[3] == str(status):
                pids.add(parts[0])
        return pids


def prepare(data_dir: Path, secret: str) -> None:
    """A unit and three users in the data folder the server will use."""
    app = create_app({"DATA_DIR": str(data_dir), "SECRET_KEY": secret})
    store = app.extensions["store"]
    unit_service.add_unit(store, "TN", "Xã Thiện Nghiệp")
    for name, role, unit in (("admin", "admin", None), ("tt1", "inspector", None),
                             ("xa.tn", "unit", "TN")):
        accounts.create_user(store, name, role, unit=unit, password=PASSWORD)


def start(tmp_path: Path, secret: str | None) -> Server:
    data = tmp_path / "data"
    prepare(data, secret or "only-for-preparing")
    if not secret:
        (data / "secret_key").unlink(missing_ok=True)  # let the workers create and share it
    server = Server(data, tmp_path / "access.log", secret)
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start(tmp_path_factory.mktemp("gunicorn"), secret="a-secret-shared-by-all-workers")
    yield server
    server.stop()


def _many(browser: Browser, paths: list[str], threads: int = 6) -> list[int]:
    """GET every path with the browser's cookie, several at a time (so that both workers,
    each busy with one request, have to answer)."""
    cookie = browser.cookie

    def get(path):
        other = Browser(browser.port)
        other.cookie = cookie
        return other.request("GET", path)[0]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(get, paths))


def test_the_session_works_whichever_worker_answers(server):
    browser = Browser(server.port)
    assert browser.login("admin", PASSWORD) == 302
    statuses = _many(browser, ["/", "/inspections/", "/units/", "/users/", "/checklists/"] * 8)
    assert statuses == [200] * 40
    workers = server.workers_seen("GET", "/", 200)
    assert len(workers) == 2, f"only {workers} answered; the test did not reach both workers"
    # and a write made through one worker is visible to the next request, wherever it lands
    status, _, html = browser.request("GET", "/units/")
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    status, _, _ = browser.request("POST", "/units/", {"code": "KL", "name": "Xã Kim Long",
                                                       "csrf_token": token})
    assert status == 302
    pages = [browser.request("GET", "/units/KL")[0] for _ in range(6)]
    assert pages == [200] * 6


def test_login_throttling_holds_across_workers(server):
    def wrong(_):
        return Browser(server.port).login("tt1", "wrong-password")
    with ThreadPoolExecutor(5) as pool:  # at once, so both workers count failures
        statuses = list(pool.map(wrong, range(10)))
    assert sorted(statuses) in ([401] * 9 + [429], [401] * 10), statuses
    assert Browser(server.port).login("tt1", PASSWORD) == 429  # the 11th, right password
    assert len(server.workers_seen("POST", "/login", 401)) == 2, "the failures hit one worker"
    # another account is not affected
    assert Browser(server.port).login("xa.tn", PASSWORD) == 302


def test_workers_share_the_generated_secret_key(tmp_path):
    """Without INSPECT_SECRET_KEY both workers use the key kept in the data folder, so a
    session made by one is valid on the other."""
    server = start(tmp_path, secret=None)
    try:
        browser = Browser(server.port)
        assert browser.login("xa.tn", PASSWORD) == 302
        assert _many(browser, ["/", "/inspections/"] * 10) == [200] * 20
        assert len(server.workers_seen("GET", "/", 200)) == 2
        assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0
    finally:
        server.stop()
