"""Logging in and out as people do: a long passphrase set on the command line logs in, a
username with the space a phone keyboard adds logs in, logging out in a second tab ends on
the login page, a deep link is kept through login, a new password and a login in another
tab."""
from __future__ import annotations

import html
import re

from inspect_app.services import accounts

from .support import PASSWORD, World, csrf_of, login, post_login

LONG_PASSPHRASE = "toi di lam o uy ban xa moi ngay " * 7  # 224 characters, a passphrase


def test_a_user_created_on_the_command_line_with_a_long_passphrase_can_log_in(app, client,
                                                                               runner):
    """The administrator creates a user with `flask users create NAME --password-stdin`
    and a long passphrase (docs/security.md: "length over composition"; the service
    accepts passwords up to 1000 characters). The user types it on the login page and
    expects to be logged in. The login form refuses any password over 200 characters
    (400, "too long"): the account can never log in with the password it was given."""
    World(app, client)
    result = runner.invoke(args=["users", "create", "chutich", "--role", "viewer",
                                 "--password-stdin"], input=LONG_PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    response = post_login(app.test_client(), "chutich", LONG_PASSPHRASE)
    assert response.status_code == 302, response.status_code


def test_a_forty_letter_username_with_the_space_a_phone_keyboard_adds_logs_in(app, client):
    """Phone keyboards add a space after a word chosen from their suggestions. The login
    trims the username (docs/security.md: "lower-cased and trimmed"; " viewer" logs in),
    but the form checks its length before trimming: a user whose username has the
    allowed 40 characters, typed with that trailing space, gets 400 instead of logging in."""
    World(app, client)
    name = "can-bo-van-phong-uy-ban-xa-nong-thuong-1"
    assert len(name) == 40
    accounts.create_user(app.extensions["store"], name, "viewer", password=PASSWORD)
    assert post_login(app.test_client(), name, PASSWORD).status_code == 302
    response = post_login(app.test_client(), name + " ", PASSWORD)
    assert response.status_code == 302, response.status_code


def test_logging_out_in_a_second_tab_after_the_first_goes_to_the_login_page(app, client):
    """A user has two tabs open and logs out in one, then presses "Đăng xuất" in the other
    (whose page still shows them logged in). They expect the login page ("You are logged
    out."). The logout form's CSRF token belonged to the session that ended, so the app
    answers 400 "Form expired ... reload the page and send it again": an error page for
    pressing logout."""
    World(app, client)
    login(client, "lead")
    first_tab = csrf_of(client.get("/").get_data(as_text=True))
    second_tab = csrf_of(client.get("/inspections/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": first_tab}).status_code == 302
    response = client.post("/logout", data={"csrf_token": second_tab})
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"].startswith("/login")


def test_after_choosing_an_own_password_the_user_goes_on_to_the_page_they_opened(app, client):
    """An administrator reset the password of inspector "mate". Mate opens a deep link
    (/inspections/?unit=NT), logs in with the given password, is sent to "Tài khoản của
    tôi" to choose their own (as documented), and does. They expect to go on to the page
    they opened; the link is forgotten and they stay on the account page."""
    world = World(app, client)
    accounts.reset_password(world.store, world.store.get_user("admin"), "mate",
                            "mot-mat-khau-moi-tam")
    target = "/inspections/?unit=NT"
    login_url = client.get(target).headers["Location"]
    page = client.get(login_url).get_data(as_text=True)
    logged = client.post(login_url, data={"username": "mate", "password": "mot-mat-khau-moi-tam",
                                          "csrf_token": csrf_of(page)})
    assert logged.headers["Location"] == target
    gate = client.get(target).headers["Location"]
    assert gate.startswith("/account/")
    account = client.get(gate).get_data(as_text=True)
    action = html.unescape(re.search(r'<form method="post" action="([^"]*password[^"]*)"',
                                     account).group(1))
    changed = client.post(action, data={
        "csrf_token": csrf_of(account), "current_password": "mot-mat-khau-moi-tam",
        "password": "mot-mat-khau-rieng-cua-toi", "confirm": "mot-mat-khau-rieng-cua-toi"})
    assert changed.status_code == 302
    assert changed.headers["Location"] == target, changed.headers["Location"]


def test_the_login_link_of_a_deep_page_opened_while_logged_in_goes_to_that_page(app, client):
    """A user opened a deep link in one tab while logged out (the login page,
    /login?next=/inspections/?unit=NT) and logged in meanwhile in another tab. Submitting
    or reloading the first tab's login page, they expect the page they asked for; the app
    sends them to the start page, dropping the remembered "next"."""
    World(app, client)
    target = "/inspections/?unit=NT"
    login_url = client.get(target).headers["Location"]
    login(client, "lead")
    response = client.get(login_url)
    assert response.status_code == 302
    assert response.headers["Location"] == target, response.headers["Location"]
