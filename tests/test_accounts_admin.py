"""Accounts and their administration: a refused new user says which field and keeps what
was typed, an export made with one access is not downloaded with another, a Vietnamese
password logs in however its accents were typed (NFKC)."""
from __future__ import annotations

import io
import re
import time

import openpyxl
import pytest

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, logged_in, op, post_login
from .support import page_text as text
from .support import post_page as post


def flashes(response) -> list[str]:
    return re.findall(r'<p class="flash flash-error"[^>]*>(.*?)</p>', text(response), re.S)


@pytest.fixture
def people(app):
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "quantri", "admin", password=PASSWORD, full_name="Quản Trị")
    accounts.create_user(store, "thanhtra", "inspector", password=PASSWORD)
    return store


# ---------------------------------------------------------------- creating a user

def test_a_refused_new_user_names_the_field_that_is_wrong(app, people):
    """An administrator types a full name of 201 characters in 'Create a user': the
    refusal says "This field must not be longer than 200 characters" without naming which
    of the six fields it is (the edit form of a user names it: 'Họ và tên: …')."""
    admin = logged_in(app, "quantri")
    response = post(admin, "/users/", {"username": "canbo.moi", "role": "inspector",
                                       "full_name": "Nguyễn " * 40, "position": "",
                                       "unit": "", "password": "mat-khau-dai"})
    shown = flashes(admin.get(response.location) if response.status_code == 302 else response)
    assert people.get_user("canbo.moi") is None
    assert shown and any("Họ và tên" in message for message in shown), shown


def test_a_refused_new_user_keeps_what_the_administrator_typed(app, people):
    """The username is taken: the page comes back with an empty 'Create a user' form, the
    full name, position, role and unit typed are gone and must be typed again."""
    admin = logged_in(app, "quantri")
    response = post(admin, "/users/", {"username": "thanhtra", "role": "unit", "unit": "NT",
                                       "full_name": "Trần Thị Bích Ngọc",
                                       "position": "Công chức Văn phòng - Thống kê",
                                       "password": "mat-khau-dai"})
    page = text(admin.get(response.location) if response.status_code == 302 else response)
    assert "Tên đăng nhập này đã có người dùng." in page or "đã có" in page
    assert 'value="Trần Thị Bích Ngọc"' in page
    assert 'value="Công chức Văn phòng - Thống kê"' in page


# ---------------------------------------------------------------- a role taken away

def test_an_export_made_as_admin_is_not_downloadable_after_the_role_is_taken_away(
        app, people, make_inspection):
    """sep (an administrator) exports every unit, then is made an inspector of no unit
    (a staff change). Their finished job still hands them the workbook of every unit's
    records: what they may no longer see (DESIGN: the workbook holds what its owner may
    see; an inspector who inspects nothing sees no record of NT)."""
    store = people
    record = make_inspection(unit="NT", by="lead")
    service.finalize(store, service.scope_for(store, store.get_user("lead")), record.id,
                     commands.finalize_op({"op_id": op(), "allow_unanswered": True}))
    accounts.create_user(store, "sep", "admin", password=PASSWORD)
    sep = logged_in(app, "sep")
    page = sep.get("/exports/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    started = sep.post("/exports/jobs", data={"csrf_token": token, "lang": "vi",
                                              "checklist": "", "kind": "", "period": "2025"})
    assert started.status_code == 303, started.get_data(as_text=True)
    job_url = started.headers["Location"]
    deadline = time.monotonic() + 60
    while (status := sep.get(f"{job_url}/status").get_json())["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert status["status"] == "done", status
    book = openpyxl.load_workbook(io.BytesIO(sep.get(status["download"]).data))
    assert any("NT" in str(c.value) or "Nông Thượng" in str(c.value)
               for ws in book for row in ws.iter_rows() for c in row)

    admin = logged_in(app, "quantri")
    demoted = post(admin, "/users/sep/", {"full_name": "", "position": "", "email": "",
                                          "role": "inspector", "unit": "", "active": "y"})
    assert demoted.status_code == 302, flashes(demoted)
    assert store.get_user("sep").role == "inspector"
    # as an inspector of no unit, sep sees no record of NT ...
    assert "Nông Thượng" not in sep.get("/inspections/").get_data(as_text=True)
    # ... and the workbook of every unit is no longer theirs to take
    assert sep.get(status["download"]).status_code == 404


# ---------------------------------------------------------------- passwords with accents

def test_a_vietnamese_password_logs_in_whichever_keyboard_typed_its_accents(app, people):
    """A user's password is 'mật khẩu của tôi' (set on a phone: precomposed letters,
    NFC). On the office PC Unikey is set to 'Unicode tổ hợp', which types the same
    letters as a base letter plus combining marks (NFD): the same password on screen, and
    the login says 'Wrong username or password' (ten times and the account is locked).
    docs/security.md says the rules follow NIST SP 800-63B, which asks verifiers to
    normalise Unicode passwords (NFKC or NFKD) before hashing them."""
    import unicodedata

    password = "mật khẩu của tôi"
    accounts.create_user(people, "ketoan", "viewer", password=unicodedata.normalize(
        "NFC", password))
    response = post_login(app.test_client(), "ketoan", unicodedata.normalize("NFD", password))
    assert response.status_code == 302, flashes(response)
