"""Guesses of the current password on the account page count with the failed logins."""
from __future__ import annotations

import pytest

from .access_world import PASSWORD, build_world, login_client


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("world"))


def test_current_password_guesses_on_the_account_page_count_as_failed_logins(world, tmp_path):
    """Someone holding a user's session (a shared phone left logged in, a copied cookie)
    guesses the user's password on *Tài khoản của tôi* → *Đổi mật khẩu*, where the
    current password must be typed. The user expects guesses to be limited as on the
    login page (10 failures in 15 minutes, then 429 even for the right password:
    docs/security.md "Login throttling"). What happens: the current-password check is
    never counted; after 15 wrong guesses the right one is still accepted and the
    password is changed, so the login lockout is bypassed and the account taken over."""
    app = world.app(world.copy_data(tmp_path / "data"))
    client, token = login_client(app, world, "unit_a")
    new = "mat-khau-cua-ke-gian-2026"
    for n in range(15):
        r = client.post("/account/password", data={
            "csrf_token": token, "current_password": f"doan-sai-{n:04d}-mat-khau",
            "password": new, "confirm": new})
        assert r.status_code == (400 if n < 9 else 429), (n, r.status_code)
    r = client.post("/account/password", data={
        "csrf_token": token, "current_password": PASSWORD, "password": new, "confirm": new})
    assert r.status_code == 429, (
        f"the 16th guess of the current password was answered {r.status_code}: guesses "
        "are not counted, the right one changed the password")
