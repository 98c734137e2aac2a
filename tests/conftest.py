"""Shared fixtures: an app on a temporary data folder, its client and CLI runner."""
from __future__ import annotations

import pytest

from inspect_app import create_app
from inspect_app.services import accounts


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """scrypt with a low cost: the same algorithm, a hundred times faster for tests."""
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "scrypt:1024:8:1")


@pytest.fixture
def app(tmp_path):
    """A fresh app with an empty store under ``tmp_path`` (CSRF on, as in production)."""
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"),
                      "SECRET_KEY": "test-secret"})
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
