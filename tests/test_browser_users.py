"""The user pages on a phone (390×844, no JavaScript needed): an administrator opens a
user, changes the role, makes an API token (shown once) and revokes it; a user changes
their own password. Screenshots go to /tmp/shots."""
from __future__ import annotations

import os
import re

from inspect_app.services import accounts
from inspect_app.services import units as unit_service

from .browser import chromium, live_server, login, phone  # noqa: F401
from .support import PASSWORD

SHOTS = "/tmp/shots"


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/users-{name}.png", full_page=True)


def test_admin_edits_a_user_and_manages_tokens_on_a_phone(live_server, phone):  # noqa: F811
    store = live_server.store()
    if store.get_unit("BUS") is None:
        unit_service.add_unit(store, "BUS", "Xã Bản Uyên Sơn")
    accounts.create_user(store, "qt.users", "admin", password=PASSWORD, full_name="Quản Trị")
    accounts.create_user(store, "tt.users", "inspector", password=PASSWORD,
                         full_name="Nguyễn Thị Thanh", position="Thanh tra viên")
    accounts.issue_token(store, "tt.users", "Báo cáo của tỉnh")
    page = phone()
    login(page, live_server, "qt.users", PASSWORD)
    page.goto(f"{live_server.url}/users/tt.users/")
    assert page.locator("h1").inner_text() == "Nguyễn Thị Thanh"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    shot(page, "edit")
    # a commune officer of BUS
    page.select_option("select[name=role]", "unit")
    page.select_option("select[name=unit]", "BUS")
    with page.expect_navigation():
        page.click("form[action$='/users/tt.users/'] button[type=submit]")
    assert "Đã lưu thay đổi của tt.users." in page.content()
    assert (store.get_user("tt.users").role, store.get_user("tt.users").unit) == ("unit", "BUS")
    # a new token, shown once
    page.fill("input[name=label]", "Máy tính bảng")
    with page.expect_navigation():
        page.click("form[action$='/tokens'] button[type=submit]")
    token = page.locator(".secret code").inner_text()
    assert re.fullmatch(r"insp_[A-Za-z0-9_-]{43}", token)
    assert "Authorization: Bearer <token>" in page.locator(".panel .hint").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "token-created")
    page.goto(f"{live_server.url}/users/tt.users/")
    assert token not in page.content()
    assert page.locator(".token").count() == 2
    shot(page, "tokens")
    with page.expect_navigation():
        page.locator(".token", has_text="Máy tính bảng").locator("button").click()
    assert "Đã thu hồi token API “Máy tính bảng”" in page.content()
    assert [t.label for t in store.get_user("tt.users").tokens] == ["Báo cáo của tỉnh"]


def test_a_user_changes_their_own_password_on_a_phone(live_server, phone):  # noqa: F811
    store = live_server.store()
    accounts.create_user(store, "xa.users", "viewer", password=PASSWORD)
    page = phone()
    login(page, live_server, "xa.users", PASSWORD)
    page.click("nav >> text=Tài khoản của tôi")
    page.fill("input[name=current_password]", PASSWORD)
    page.fill("input[name=password]", "ba tu de nho")
    page.fill("input[name=confirm]", "ba tu de nho")
    with page.expect_navigation():
        page.click("form[action$='/account/password'] button[type=submit]")
    assert "Đã đổi mật khẩu." in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "account")
    assert page.url.endswith("/account/")  # still logged in, on the new password
