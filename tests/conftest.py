"""Shared fixtures: an app on a temporary data folder, its client and CLI runner."""
from __future__ import annotations

import os

import pytest
from flask import Flask
from jinja2 import BytecodeCache

from inspect_app import create_app
from inspect_app.services import accounts

pytest_plugins = ("tests.postgres",)


class _SharedTemplates(BytecodeCache):
    """Jinja's compiled templates kept for every app of a test process (Jinja checks each
    against its template's source): a test makes a new app, not new templates."""

    def __init__(self) -> None:
        self.codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _SharedTemplates()}


def _shared_url_builders() -> None:
    """Werkzeug's URL builders compiled once per test process, not once per app: Werkzeug
    generates and compiles Python code for each URL rule, twice, whenever an app registers
    its blueprints: two thirds of ``create_app``'s time, and a fifth of the suite's CPU.
    The generated function depends only on the rule's text, its parts, its defaults and
    its converters' kinds (it reaches the rule through its first argument), so one
    compiled function serves the same rule of every app."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    compiled: dict[tuple, object] = {}

    def shared(self, append_unknown=True):
        key = (self.rule, tuple(self._trace), tuple(sorted((self.defaults or {}).items())),
               tuple((name, type(conv)) for name, conv in self._converters.items()),
               append_unknown)
        found = compiled.get(key)
        if found is None:
            found = compiled[key] = compile_builder(self, append_unknown)
        return found

    Rule._compile_builder = shared


_shared_url_builders()


# Passwords hashed with scrypt at a low cost (the lowest OpenSSL takes with Werkzeug's memory
# limit): the same algorithm and format, a hundred times faster. Set for the whole test
# process, so that module and session fixtures (worlds built once, the browser tests'
# teams) get it too, and the servers the tests start check those hashes at that cost.
accounts.PASSWORD_METHOD = "scrypt:128:8:1"


@pytest.fixture(autouse=True)
def no_fsync(request, monkeypatch):
    """fsync in this process is a no-op unless a test is marked ``fsync``: what it buys
    (surviving a power cut) no in-process test can see, a killed process loses nothing
    the kernel holds, and it costs seconds on a busy disk. What is fsynced, and when, is
    tested by tests/test_files.py (marked); servers and writers the tests start as
    processes (crash, gunicorn, two-server tests) fsync for real."""
    if request.node.get_closest_marker("fsync") is None:
        monkeypatch.setattr(os, "fsync", lambda fd: None)


def app_config(tmp_path, *, tinydb: bool = False, **overrides):
    """The settings of a test app under ``tmp_path``: the in-memory store unless ``tinydb``
    (tests about storage, files on disk or several processes say so), CSRF on as in
    production."""
    config = {"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "test-secret",
              "DATABASE_URL": "" if tinydb else "memory:"}
    config.update(overrides)
    return config


def pytest_generate_tests(metafunc):
    """Tests (or modules) marked ``@pytest.mark.every_store`` run once on the memory store
    and once on PostgreSQL (skipped without INSPECT_TEST_DATABASE_URL)."""
    if (metafunc.definition.get_closest_marker("every_store") is not None
            and "store_kind" in metafunc.fixturenames):
        metafunc.parametrize("store_kind", ["memory", "postgres"])


@pytest.fixture
def store_kind():
    """Which store the ``app`` fixture uses when not marked: memory (or TinyDB, marked)."""
    return "memory"


@pytest.fixture
def app(request, tmp_path, store_kind):
    """A fresh app with an empty store: in memory, or TinyDB under ``tmp_path`` for a test
    (or module, with ``pytestmark``) marked ``@pytest.mark.tinydb``, or PostgreSQL for the
    second run of a test marked ``@pytest.mark.every_store``."""
    if store_kind == "postgres":
        from inspect_app import storage

        url = request.getfixturevalue("pg_empty_url")
        app = create_app(app_config(tmp_path, DATABASE_URL=url))
        yield app
        app.extensions["store"].close()
        storage.forget_store(app.extensions["store"])
        return
    tinydb = request.node.get_closest_marker("tinydb") is not None
    yield create_app(app_config(tmp_path, tinydb=tinydb))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    """Log the test ``client`` in and out through the real forms:
    ``auth.login("lead")``, ``auth.login("ua", "other-password")``, ``auth.logout()``."""
    from .support import PASSWORD, csrf_of, login

    class Auth:
        def login(self, username: str, password: str = PASSWORD):
            return login(client, username, password)

        def logout(self):
            page = client.get("/").get_data(as_text=True)
            return client.post("/logout", data={"csrf_token": csrf_of(page)})

    return Auth()


@pytest.fixture
def api(app, client):
    """``api("lead")``: that user's Bearer-token client of the JSON API (a new token)."""
    from .support import Api

    store = app.extensions["store"]
    return lambda username: Api(client, accounts.issue_token(store, username))


@pytest.fixture
def make_inspection(app):
    """``make_inspection(**overrides)``: a record started through the service, by default an
    inspection of ``cchc-xa`` for 2025 of unit NT by inspector "lead" (unit and user are
    created when missing; a self-check is started by the unit's officer "ua")."""
    from inspect_app.services import commands
    from inspect_app.services import inspections as service
    from inspect_app.services import units as unit_service

    from .support import PASSWORD

    store, library = app.extensions["store"], app.extensions["checklists"]

    def make(**overrides):
        kind = overrides.pop("kind", "inspection")
        unit = overrides.pop("unit", "NT")
        by = overrides.pop("by", "lead" if kind == "inspection" else "ua")
        if store.get_unit(unit) is None:
            unit_service.add_unit(store, unit, f"Xã {unit}")
        if store.get_user(by) is None:
            role = "inspector" if kind == "inspection" else "unit"
            accounts.create_user(store, by, role, unit=None if role == "inspector" else unit,
                                 password=PASSWORD, full_name=by.title())
        request = commands.StartRequest(
            unit=unit, checklist=overrides.pop("checklist", "cchc-xa"),
            period=overrides.pop("period", "2025"), kind=kind,
            team=tuple(overrides.pop("team", ())), **overrides)
        return service.start(store, library, service.scope_for(store, store.get_user(by)),
                             request)

    return make


@pytest.fixture(scope="session")
def demo_province(tmp_path_factory):
    """The demo province (communes, people of every role, inspections and self-checks),
    loaded once per test session on the memory store. Read-only: a test that changes
    records builds its own world. ``demo_province.logins`` lists (username, password, role)."""
    from inspect_app.services import demo

    app = create_app(app_config(tmp_path_factory.mktemp("demo")))
    with pytest.MonkeyPatch.context() as patch:  # the cheap hashing, as for every test
        patch.setattr(accounts, "PASSWORD_METHOD", "scrypt:1024:8:1")
        app.logins = demo.load(app.extensions["store"], app.extensions["checklists"])
    return app
