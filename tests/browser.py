"""Browser fixtures: the app served for real, and Debian's Chromium driven by Playwright.

Import the fixtures into a test module that needs them::

    from tests.browser import chromium, live_server, login, page  # noqa: F401

* ``live_server`` (session) — the app on an empty data folder, served by Werkzeug on
  127.0.0.1 with a free port, in a thread. ``live_server.app`` gives its store for
  seeding data through the services; ``live_server.url`` is the base URL. The store is
  shared by every test of the session, so give seeded records names of their own.
* ``chromium`` (session) — a headless Chromium (``/usr/bin/chromium``, or the path in
  ``INSPECT_CHROMIUM``). Playwright's own browser download does not work here, so the
  fixture skips when the browser or the ``playwright`` package is missing — unless
  ``INSPECT_REQUIRE_BROWSER=1``, when it fails instead (set it in CI).
* ``page`` — a fresh browser context and page per test (A4-ish viewport), closed after.
* ``phone`` — a factory of phone-sized pages (390×844), several per test if needed.
* :func:`login` — log a page in through the real login form; :func:`camera_jpeg` — a
  camera-sized photo to upload.
* ``team`` — a fresh inspection by a lead and a team mate; :func:`card`,
  :func:`wait_saved`, :func:`answer_of`, :func:`queued` (the phone's queue) and
  :func:`eventually` to wait for what the phone does in the background.
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from inspect_app import create_app
from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD

CHROMIUM = os.environ.get("INSPECT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass
class LiveServer:
    """A running app: its base URL and the Flask app (for its store and config)."""

    url: str
    app: object

    def store(self):
        return self.app.extensions["store"]


# Test modules import these fixtures, and pytest then registers a session fixture once per
# importing module. One server and one browser are shared by all of them: the first user
# starts it, the last one to finish stops it (two Playwright instances cannot coexist in
# one thread).
_SHARED: dict[str, list] = {}  # key -> [value, users, stop]


def _acquire(key: str, start):
    entry = _SHARED.get(key)
    if entry is None:
        value, stop = start()
        entry = _SHARED[key] = [value, 0, stop]
    entry[1] += 1
    return entry[0]


def _release(key: str) -> None:
    entry = _SHARED[key]
    entry[1] -= 1
    if entry[1] == 0:
        del _SHARED[key]
        entry[2]()


def _missing_browser(reason: str):
    if os.environ.get("INSPECT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"INSPECT_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _start_server(root: Path):
    app = create_app({"TESTING": True, "DATA_DIR": str(root / "data"),
                      "SECRET_KEY": "live-server-secret",
                      # team mates' answers come within a second, not five: the same code
                      "LIVE_POLL_SECONDS": 1,
                      # a reply that never comes is given up after 5 s, not 25
                      "QUEUE_SEND_TIMEOUT_SECONDS": 5})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join(timeout=10)
    return LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app), stop


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app served over HTTP on 127.0.0.1 (a free port) for the whole session."""
    server = _acquire("server", lambda: _start_server(tmp_path_factory.mktemp("live")))
    try:
        yield server
    finally:
        _release("server")


def _start_browser():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise

    def stop():
        browser.close()
        playwright.stop()
    return browser, stop


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium via Playwright (skips, or fails under INSPECT_REQUIRE_BROWSER=1)."""
    if not Path(CHROMIUM).exists():
        _missing_browser(f"no Chromium at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing_browser("the playwright package is not installed")
    browser = _acquire("browser", _start_browser)
    try:
        yield browser
    finally:
        _release("browser")


@pytest.fixture
def page(chromium):
    """A new context (no cookies shared between tests) and its page."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    try:
        yield context.new_page()
    finally:
        context.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "vi-VN"}


@pytest.fixture
def phone(chromium):
    """A factory of phone-sized pages (390×844, touch), each in its own context, so that
    a test can hold two phones at once (an inspector and a commune officer, two team mates)."""
    contexts = []

    def make():
        context = chromium.new_context(**PHONE)
        contexts.append(context)
        return context.new_page()
    yield make
    for context in contexts:
        context.close()


def camera_jpeg(colour=(30, 120, 200)) -> bytes:
    """A photo the size a phone camera takes (2400×1800), for upload tests."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2400, 1800), colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def login(page, server: LiveServer, username: str, password: str) -> None:
    """Log in through the login form (CSRF token and all), as a person would."""
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    assert "/login" not in page.url, f"login as {username} failed"


# ---------------------------------------------------------------- an inspection team and its cards



@pytest.fixture
def team(live_server):
    """A unit with a fresh inspection by a lead and a team mate (names unique per test)."""
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    unit_service.add_unit(store, f"U{tag}", f"Xã Nông Thượng {tag}")
    lead = accounts.create_user(store, f"lead{tag}", "inspector", password=PASSWORD,
                                full_name="Nguyễn Ánh Xuân")
    accounts.create_user(store, f"mate{tag}", "inspector", password=PASSWORD,
                         full_name="Trần Thị Mai")
    inspection = service.start(store, live_server.app.extensions["checklists"],
                               service.scope_for(store, lead), commands.StartRequest(
                                   unit=f"U{tag}", checklist="cchc-xa", period="2025",
                                   kind="inspection", team=[f"mate{tag}"]))
    return {"lead": f"lead{tag}", "mate": f"mate{tag}", "id": inspection.id, "store": store}


def card(page, criterion):
    return page.locator(f"article.crit[data-criterion='{criterion}']")


def wait_saved(page, criterion):
    page.wait_for_function(
        "id => document.querySelector(`article[data-criterion='${id}'] .save-state`)"
        ".classList.contains('ok')", arg=criterion, timeout=10000)


def eventually(condition, timeout=10.0):
    """Wait until ``condition()`` holds (the phone saves in the background)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def answer_of(team, criterion):
    return team["store"].get_inspection(team["id"]).answers.get(criterion)


def queued(page):
    """What waits in the phone's queue (IndexedDB), oldest first."""
    return page.evaluate("InspectQueue.all().then(ops => ops.map(op => ({kind: op.kind, "
                         "key: op.key, state: op.state, user: op.user, error: op.error || ''})))")


def live_server_artifacts():
    """The folder of screenshots and figures kept from a run (test-artifacts/)."""
    folder = Path(__file__).resolve().parent.parent / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder
