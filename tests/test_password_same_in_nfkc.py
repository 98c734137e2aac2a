"""A new password that is the current one typed with other accents is refused as the same."""
from __future__ import annotations

import unicodedata

import pytest

from inspect_app.services import accounts

from .support import PASSWORD, logged_in
from .support import page_text as text
from .support import post_page as post


@pytest.fixture
def people(app):
    store = app.extensions["store"]
    accounts.create_user(store, "quantri", "admin", password=PASSWORD, full_name="Quản Trị")
    accounts.create_user(store, "thanhtra", "inspector", password=PASSWORD,
                         full_name="Nguyễn Thị Đức")
    return store


def test_changing_ones_password_to_the_same_one_typed_with_other_accents_is_accepted(
        app, people):
    """An administrator resets thanhtra's password to "mật khẩu của tôi" (typed on a phone:
    precomposed letters), so thanhtra must choose a new one. On a PC with Unikey's
    "Unicode tổ hợp" (combining marks) thanhtra types the very same words as the new
    password on *Tài khoản của tôi*. Expected: refused, "Mật khẩu mới phải khác mật khẩu
    hiện tại" (the app treats both spellings as ONE password, NFKC, docs/security.md).
    Happens: "Password changed": the must-change obligation is met with the old password.
    The check `new == current` in accounts.change_own_password compares the raw texts,
    not their NFKC forms that are hashed."""
    store = people
    typed_on_phone = unicodedata.normalize("NFC", "mật khẩu của tôi")
    accounts.reset_password(store, store.get_user("quantri"), "thanhtra", typed_on_phone)
    assert store.get_user("thanhtra").must_change_password
    typed_on_pc = unicodedata.normalize("NFD", typed_on_phone)
    assert typed_on_pc != typed_on_phone
    officer = logged_in(app, "thanhtra", typed_on_phone)
    before = store.get_user("thanhtra").password_hash
    response = post(officer, "/account/password",
                    {"current_password": typed_on_phone, "password": typed_on_pc,
                     "confirm": typed_on_pc}, page="/account/")
    assert response.status_code == 400, (response.status_code, text(response)[:500])
    after = store.get_user("thanhtra")
    assert after.password_hash == before and after.must_change_password
