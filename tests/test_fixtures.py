"""The shared fixtures do what their docstrings say (they are what many tests stand on)."""
from __future__ import annotations

import pytest


def test_make_inspection_creates_what_it_needs(app, make_inspection):
    record = make_inspection()
    assert (record.unit, record.period, record.kind, record.status) == (
        "NT", "2025", "inspection", "draft")
    own = make_inspection(kind="self_check", period="2025-W14",
                          checklist="tu-kiem-tra-mot-cua-tuan")
    assert own.kind == "self_check" and app.extensions["store"].get_user("ua").role == "unit"


def test_auth_logs_in_and_out_through_the_forms(client, auth, make_inspection):
    record = make_inspection()
    assert client.get(f"/inspections/{record.id}").status_code == 302  # to the login page
    auth.login("lead")
    assert client.get(f"/inspections/{record.id}").status_code == 200
    auth.logout()
    assert client.get(f"/inspections/{record.id}").status_code == 302


def test_api_speaks_with_the_users_token(api, make_inspection):
    record = make_inspection()
    assert api("lead").get(f"/inspections/{record.id}").status_code == 200
    assert api("lead").get("/inspections/nope").status_code == 404


def test_the_app_is_on_the_memory_store_unless_marked(app):
    from inspect_app.storage import MemoryStore

    assert isinstance(app.extensions["store"], MemoryStore)


@pytest.mark.tinydb
def test_a_test_marked_tinydb_gets_the_store_on_disk(app):
    from inspect_app.storage import TinyDBStore

    assert isinstance(app.extensions["store"], TinyDBStore)


@pytest.mark.parametrize("role", ["admin", "inspector", "viewer", "unit"])
def test_every_demo_role_sees_its_home_page(demo_province, role):
    from .support import login

    username, password, _ = next(entry for entry in demo_province.logins if entry[2] == role)
    client = login(demo_province.test_client(), username, password)
    page = client.get("/")
    assert page.status_code == 200
    assert "Xã" in page.get_data(as_text=True)  # the province's communes by name
