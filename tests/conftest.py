"""Shared fixtures: an app on a temporary data folder, its client and CLI runner."""
from __future__ import annotations

import pytest

from inspect_app import create_app
from inspect_app.services import accounts


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """scrypt with a low cost: the same algorithm, a hundred times faster for tests."""
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "scrypt:1024:8:1")


def app_config(tmp_path, *, tinydb: bool = False, **overrides):
    """The settings of a test app under ``tmp_path``: the in-memory store unless ``tinydb``
    (tests about storage, files on disk or several processes say so), CSRF on as in
    production."""
    config = {"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "test-secret",
              "DATABASE_URL": "" if tinydb else "memory:"}
    config.update(overrides)
    return config


@pytest.fixture
def app(request, tmp_path):
    """A fresh app with an empty store: in memory, or TinyDB under ``tmp_path`` for a test
    (or module, with ``pytestmark``) marked ``@pytest.mark.tinydb``."""
    tinydb = request.node.get_closest_marker("tinydb") is not None
    yield create_app(app_config(tmp_path, tinydb=tinydb))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
