"""Users and API tokens in the web app (issue 14 point 3): an administrator edits,
disables and re-enables users, sets passwords and manages tokens; every user changes
their own password and manages their own tokens. The refusals change nothing."""
from __future__ import annotations

import re

import pytest

from inspect_app.services import Invalid, accounts
from inspect_app.services import units as unit_service
from inspect_app.services.commands import UserEdit

from .support import PASSWORD, logged_in, post_login
from .support import page_text as text
from .support import post_page as post


@pytest.fixture
def people(app):
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    unit_service.add_unit(store, "TN", "Xã Thiện Nghiệp")
    accounts.create_user(store, "quantri", "admin", password=PASSWORD, full_name="Quản Trị")
    accounts.create_user(store, "thanhtra", "inspector", password=PASSWORD,
                         full_name="Nguyễn Văn Tra")
    accounts.create_user(store, "xa.nt", "unit", unit="NT", password=PASSWORD)
    return store








#: What the API answers a known token asking for a record that does not exist.
AUTHENTICATED = 404


def api_status(client, token) -> int:
    """The API's answer to ``token``: 401 when refused, else 404 (no such record)."""
    return client.get("/api/v1/inspections/khongco",
                      headers={"Authorization": f"Bearer {token}"}).status_code


EDIT = {"full_name": "Nguyễn Văn Tra", "position": "Thanh tra viên", "role": "inspector",
        "unit": "", "active": "y"}


# ---------------------------------------------------------------- editing a user

def test_admin_edits_name_position_role_and_unit(app, people):
    admin = logged_in(app, "quantri")
    page = admin.get("/users/thanhtra/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # the page is about the user opened (not the admin looking at it)
    assert "<h1>Nguyễn Văn Tra</h1>" in html and 'value="Nguyễn Văn Tra"' in html
    assert 'action="/users/thanhtra/"' in html and 'action="/users/thanhtra/tokens"' in html
    response = post(admin, "/users/thanhtra/", {**EDIT, "full_name": "Trần Thị Mới",
                                                 "position": "Trưởng đoàn", "role": "unit",
                                                 "unit": "TN"})
    assert response.status_code == 302
    user = people.get_user("thanhtra")
    assert (user.full_name, user.position, user.role, user.unit) == (
        "Trần Thị Mới", "Trưởng đoàn", "unit", "TN")
    assert "Đã lưu thay đổi của thanhtra." in text(admin.get(response.location))
    # back to an inspector: the unit goes with the role, whatever the form still holds
    assert post(admin, "/users/thanhtra/", {**EDIT, "unit": "TN"}).status_code == 302
    assert people.get_user("thanhtra").unit is None
    assert people.get_user("thanhtra").role == "inspector"


@pytest.mark.parametrize("change, message", [
    ({"role": "unit", "unit": ""}, "Hãy chọn đơn vị của công chức xã."),
    ({"role": "unit", "unit": "KHONGCO"}, "Đơn vị này không tồn tại."),
    ({"role": "chief"}, "Vai trò"),
    ({"full_name": "x" * 201}, "Họ và tên"),
])
def test_bad_edits_are_refused_with_a_message_and_change_nothing(app, people, change, message):
    before = people.get_user("thanhtra")
    admin = logged_in(app, "quantri")
    response = post(admin, "/users/thanhtra/", {**EDIT, **change})
    assert response.status_code == 400
    assert message in text(response)
    assert people.get_user("thanhtra") == before


def test_admin_sets_and_clears_the_reminder_address(app, people):
    admin = logged_in(app, "quantri")
    assert post(admin, "/users/thanhtra/", {**EDIT, "email": " Tra@SoNoiVu.Gov.VN "}).status_code == 302
    assert people.get_user("thanhtra").email == "Tra@sonoivu.gov.vn"
    assert 'value="Tra@sonoivu.gov.vn"' in admin.get("/users/thanhtra/").get_data(as_text=True)
    before = people.get_user("thanhtra")
    refused = post(admin, "/users/thanhtra/", {**EDIT, "email": "Tra <tra@x.vn>"})
    assert refused.status_code == 400 and people.get_user("thanhtra") == before
    assert post(admin, "/users/thanhtra/", {**EDIT, "email": ""}).status_code == 302
    assert people.get_user("thanhtra").email == ""


def test_an_admin_cannot_disable_or_demote_themselves(app, people):
    admin = logged_in(app, "quantri")
    for change in ({"role": "admin", "active": ""}, {"role": "viewer", "active": "y"}):
        response = post(admin, "/users/quantri/", {**EDIT, **change}, page="/users/quantri/")
        assert response.status_code == 400
        assert ("Bạn không thể tự khóa tài khoản của mình hoặc tự bỏ vai trò quản trị của mình."
                in text(response))
    user = people.get_user("quantri")
    assert (user.role, user.active) == ("admin", True)
    # an admin may still change their own name
    ok = post(admin, "/users/quantri/", {**EDIT, "role": "admin", "full_name": "Quản Trị Hai"})
    assert ok.status_code == 302 and people.get_user("quantri").full_name == "Quản Trị Hai"


def test_the_last_active_admin_stays_one(app, people):
    accounts.create_user(people, "quantri2", "admin", password=PASSWORD)
    actor = people.get_user("quantri2")
    edit = UserEdit(full_name="", position="", role="viewer", unit=None, active=True)
    # two active admins: one may demote the other
    accounts.edit_user(people, actor, "quantri", edit)
    assert people.get_user("quantri").role == "viewer"
    # now quantri2 is the only one: nobody (here: a script acting as another user) demotes it
    with pytest.raises(Invalid) as refused:
        accounts.edit_user(people, people.get_user("quantri"), "quantri2",
                           UserEdit(full_name="", position="", role="admin", unit=None,
                                    active=False))
    assert refused.value.details["reason"] == "last_admin"
    assert people.get_user("quantri2").active


def test_disabling_ends_a_session_and_a_token_in_use(app, people):
    store = people
    officer = logged_in(app, "thanhtra")
    token = accounts.issue_token(store, "thanhtra", "báo cáo")
    assert officer.get("/inspections/").status_code == 200
    assert api_status(app.test_client(), token) == AUTHENTICATED
    admin = logged_in(app, "quantri")
    response = post(admin, "/users/thanhtra/", {**EDIT, "active": ""})
    assert response.status_code == 302
    assert not store.get_user("thanhtra").active
    assert "không đăng nhập được nữa" in text(admin.get(response.location))
    # the very next request of the session and of the token is refused
    page = officer.get("/inspections/")
    assert page.status_code == 302 and page.location.startswith("/login")
    assert api_status(app.test_client(), token) == 401
    # nor can the user log in again
    assert post_login(app.test_client(), "thanhtra").status_code == 401
    # enabled again: the token works again, the old session stays ended
    assert post(admin, "/users/thanhtra/", EDIT).status_code == 302
    assert api_status(app.test_client(), token) == AUTHENTICATED
    assert officer.get("/inspections/").status_code == 302
    assert logged_in(app, "thanhtra").get("/inspections/").status_code == 200


def test_user_pages_are_for_admins_and_unknown_users_are_404(app, people):
    inspector = logged_in(app, "thanhtra")
    assert inspector.get("/users/xa.nt/").status_code == 403
    assert inspector.post("/users/xa.nt/", data=EDIT).status_code in (400, 403)
    admin = logged_in(app, "quantri")
    assert admin.get("/users/khongco/").status_code == 404
    assert admin.get("/users/" + "a" * 5000 + "/").status_code == 404
    # no CSRF token: refused, nothing changed
    before = people.get_user("thanhtra")
    assert admin.post("/users/thanhtra/", data={**EDIT, "active": ""}).status_code == 400
    assert people.get_user("thanhtra") == before


def test_the_list_links_each_user_and_marks_disabled_ones(app, people):
    admin = logged_in(app, "quantri")
    post(admin, "/users/thanhtra/", {**EDIT, "active": ""})
    page = text(admin.get("/users/"))
    assert 'href="/users/thanhtra/"' in page
    assert "Đã khóa" in page


# ---------------------------------------------------------------- passwords

def test_admin_sets_a_one_time_password_shown_once(app, people):
    officer = logged_in(app, "thanhtra")
    admin = logged_in(app, "quantri")
    response = post(admin, "/users/thanhtra/password", {"password": "", "confirm": ""},
                    page="/users/thanhtra/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = re.search(r"<code>([a-z2-9-]{14})</code>", text(response)).group(1)
    assert password not in text(admin.get("/users/thanhtra/"))  # shown once
    # the old session has ended, the old password is refused
    assert officer.get("/inspections/").status_code == 302
    assert post_login(app.test_client(), "thanhtra").status_code == 401
    # the new one works, and the user must choose their own before anything else
    client = logged_in(app, "thanhtra", password)
    page = client.get("/inspections/")
    assert page.status_code == 302 and page.location.split("?")[0].endswith("/account/")
    assert "mật khẩu được cấp chỉ dùng một lần" in text(client.get("/account/"))
    response = post(client, "/account/password", {
        "current_password": password, "password": "mat-khau-rieng-cua-toi",
        "confirm": "mat-khau-rieng-cua-toi"}, page="/account/")
    assert response.status_code == 302
    assert client.get("/inspections/").status_code == 200
    assert not people.get_user("thanhtra").must_change_password


@pytest.mark.parametrize("password, confirm, message", [
    ("mat-khau-moi-1", "mat-khau-moi-2", "Hai mật khẩu không khớp"),
    ("ngan", "ngan", "Mật khẩu phải có ít nhất 8 ký tự."),
    ("matkhau123", "matkhau123", "Mật khẩu này quá phổ biến hoặc quá dễ đoán"),
])
def test_admin_typed_password_must_match_and_be_strong(app, people, password, confirm, message):
    before = people.get_user("thanhtra")
    admin = logged_in(app, "quantri")
    response = post(admin, "/users/thanhtra/password", {"password": password, "confirm": confirm},
                    page="/users/thanhtra/")
    assert response.status_code == 400
    assert message in text(response)
    assert people.get_user("thanhtra") == before


def test_admin_typed_password_twice(app, people):
    admin = logged_in(app, "quantri")
    response = post(admin, "/users/thanhtra/password",
                    {"password": "mot-mat-khau-tam", "confirm": "mot-mat-khau-tam"},
                    page="/users/thanhtra/")
    assert response.status_code == 200
    assert "mot-mat-khau-tam" not in text(response)
    assert "Đã đổi mật khẩu của thanhtra." in text(response)
    assert people.get_user("thanhtra").must_change_password
    logged_in(app, "thanhtra", "mot-mat-khau-tam")


@pytest.mark.parametrize("current, new, confirm, message", [
    ("sai-mat-khau-roi", "mat-khau-moi-dai", "mat-khau-moi-dai", "Mật khẩu hiện tại không đúng."),
    (PASSWORD, "ngan", "ngan", "Mật khẩu phải có ít nhất 8 ký tự."),
    (PASSWORD, "password123", "password123", "Mật khẩu này quá phổ biến"),
    (PASSWORD, "aaaaaaaaaaaa", "aaaaaaaaaaaa", "Mật khẩu này quá phổ biến"),
    (PASSWORD, PASSWORD, PASSWORD, "Mật khẩu mới phải khác mật khẩu hiện tại."),
    (PASSWORD, "mat-khau-moi-dai", "mat-khau-moi-khac", "Hai mật khẩu không khớp"),
])
def test_changing_own_password_refusals(app, people, current, new, confirm, message):
    before = people.get_user("xa.nt")
    client = logged_in(app, "xa.nt")
    response = post(client, "/account/password", {"current_password": current, "password": new,
                                                  "confirm": confirm}, page="/account/")
    assert response.status_code == 400
    assert message in text(response)
    assert people.get_user("xa.nt") == before


def test_changing_own_password_ends_the_other_sessions_only(app, people):
    phone = logged_in(app, "xa.nt")
    laptop = logged_in(app, "xa.nt")
    response = post(laptop, "/account/password", {
        "current_password": PASSWORD, "password": "mat-khau-moi-dai",
        "confirm": "mat-khau-moi-dai"}, page="/account/")
    assert response.status_code == 302
    assert "Đã đổi mật khẩu." in text(laptop.get(response.location))
    assert laptop.get("/remediation/").status_code == 200  # this session goes on
    assert phone.get("/remediation/").status_code == 302  # the other one has ended
    assert post_login(app.test_client(), "xa.nt").status_code == 401
    logged_in(app, "xa.nt", "mat-khau-moi-dai")


def test_the_cli_refuses_a_common_password_too(app, runner):
    result = runner.invoke(args=["users", "create", "moi", "--role", "viewer",
                                 "--password-stdin"], input="12345678\n")
    assert result.exit_code != 0
    assert "too common" in result.output
    assert app.extensions["store"].get_user("moi") is None


# ---------------------------------------------------------------- API tokens

def test_admin_creates_lists_and_revokes_a_token(app, people):
    admin = logged_in(app, "quantri")
    response = post(admin, "/users/thanhtra/tokens", {"label": "Báo cáo tỉnh"},
                    page="/users/thanhtra/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = re.search(r"<code>(insp_[A-Za-z0-9_-]+)</code>", text(response)).group(1)
    stored = people.get_user("thanhtra").tokens
    assert [t.label for t in stored] == ["Báo cáo tỉnh"]
    assert stored[0].hash == accounts.hash_token(token)
    assert token not in str(people.get_user("thanhtra").to_dict())  # only its hash
    # in use: its last use is shown, never the token
    assert api_status(app.test_client(), token) == AUTHENTICATED
    page = text(admin.get("/users/thanhtra/"))
    assert "Báo cáo tỉnh" in page and token not in page
    assert "dùng lần cuối" in page and people.get_user("thanhtra").tokens[0].last_used_at
    # revoked: the next request is refused
    token_id = stored[0].hash[:accounts.TOKEN_ID_LENGTH]
    response = post(admin, f"/users/thanhtra/tokens/{token_id}/revoke", {},
                    page="/users/thanhtra/")
    assert response.status_code == 302
    assert "Đã thu hồi token API “Báo cáo tỉnh”" in text(admin.get(response.location))
    assert api_status(app.test_client(), token) == 401
    assert people.get_user("thanhtra").tokens == []
    # a token id that is not (or no longer) the user's: 404
    assert post(admin, f"/users/thanhtra/tokens/{token_id}/revoke", {},
                page="/users/thanhtra/").status_code == 404


def test_a_token_needs_a_label_within_limits(app, people):
    admin = logged_in(app, "quantri")
    for label in ("", "x" * 201):
        response = post(admin, "/users/thanhtra/tokens", {"label": label}, page="/users/thanhtra/")
        assert response.status_code == 400
        assert "Token dùng để làm gì" in text(response)
    assert people.get_user("thanhtra").tokens == []


def test_every_user_manages_their_own_tokens_only(app, people):
    mine = accounts.issue_token(people, "xa.nt", "điện thoại")
    theirs = accounts.issue_token(people, "thanhtra", "của thanh tra")
    client = logged_in(app, "xa.nt")
    page = text(client.get("/account/"))
    assert "điện thoại" in page and "của thanh tra" not in page
    response = post(client, "/account/tokens", {"label": "máy tính"}, page="/account/")
    assert response.status_code == 200
    assert re.search(r"<code>insp_", text(response))
    assert sorted(t.label for t in people.get_user("xa.nt").tokens) == ["máy tính", "điện thoại"]
    # somebody else's token cannot be revoked here (404), one's own can
    their_id = accounts.hash_token(theirs)[:accounts.TOKEN_ID_LENGTH]
    assert post(client, f"/account/tokens/{their_id}/revoke", {},
                page="/account/").status_code == 404
    assert len(people.get_user("thanhtra").tokens) == 1
    my_id = accounts.hash_token(mine)[:accounts.TOKEN_ID_LENGTH]
    assert post(client, f"/account/tokens/{my_id}/revoke", {}, page="/account/").status_code == 302
    assert api_status(app.test_client(), mine) == 401
    assert api_status(app.test_client(), theirs) == AUTHENTICATED


def test_last_use_is_written_at_most_once_per_period(app, people, monkeypatch):
    token = accounts.issue_token(people, "thanhtra", "x")
    writes = []
    original = people.update_user
    monkeypatch.setattr(people, "update_user",
                        lambda *a, **k: writes.append(a[0]) or original(*a, **k))
    client = app.test_client()
    for _ in range(5):
        assert api_status(client, token) == AUTHENTICATED
    assert writes == ["thanhtra"]


def test_a_user_has_a_bounded_number_of_tokens(app, people):
    for n in range(accounts.MAX_TOKENS):
        accounts.issue_token(people, "thanhtra", f"t{n}")
    admin = logged_in(app, "quantri")
    response = post(admin, "/users/thanhtra/tokens", {"label": "một nữa"}, page="/users/thanhtra/")
    assert response.status_code == 400
    assert "tối đa 20 token API" in text(response)
    assert len(people.get_user("thanhtra").tokens) == accounts.MAX_TOKENS


def test_an_admin_resetting_their_own_password_stays_logged_in(app, people):
    admin = logged_in(app, "quantri")
    response = post(admin, "/users/quantri/password",
                    {"password": "mat-khau-quan-tri-moi", "confirm": "mat-khau-quan-tri-moi"},
                    page="/users/quantri/")
    assert response.status_code == 200
    assert admin.get("/users/").status_code == 200  # this session renewed, no forced change
    assert not people.get_user("quantri").must_change_password
    logged_in(app, "quantri", "mat-khau-quan-tri-moi")
