"""The audit log of administrators' actions (issue 14 point 3, last part): every admin
write leaves exactly one entry (who, what, when, the fields before and after) written in
the same ``store.atomic()`` block as the change; a refused action leaves none; no entry
holds a password or a token; the ``/audit/`` page (admins only) pages and filters them,
and ``/audit/audit.xlsx`` gives the same entries as a workbook with text neutralised.

The actions run on the memory, TinyDB and PostgreSQL stores (the last skipped without
INSPECT_TEST_DATABASE_URL)."""
from __future__ import annotations

import datetime as _dt
import html as html_lib
import io
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from inspect_app import create_app
from inspect_app.domain.access import Scope
from inspect_app.domain.models import AuditEntry, Unit, User
from inspect_app.services import Invalid, ServiceError, accounts, assessments, audit, clock
from inspect_app.services import checklists as checklist_service
from inspect_app.services import province as province_service
from inspect_app.services import survey as survey_service
from inspect_app.services import units as unit_service
from inspect_app.services.commands import UserEdit
from inspect_app.storage.base import AuditQuery

from .conftest import app_config
from .support import PASSWORD, csrf_of, login
from .test_survey import CHECKLIST_YAML as SURVEY_YAML

SEED = Path(__file__).resolve().parents[1] / "checklists" / "cchc-xa.yaml"
NEW_CHECKLIST = ("format: 1\nid: moi\nversion: '1'\ntitle: Bảng kiểm mới\nkind: any\nsections:\n"
                 "- id: s\n  title: Phần\n  criteria:\n  - {id: c, text: Tiêu chí, type: yesno, "
                 "points: 1}\n")
FUTURE = _dt.date(2099, 3, 31)


def _make_app(tmp_path, kind: str, request):
    folder = tmp_path / "checklists"
    folder.mkdir()
    shutil.copy(SEED, folder / "cchc-xa.yaml")
    (folder / "chi-so-thu.yaml").write_text(SURVEY_YAML, encoding="utf-8")
    overrides = {"CHECKLISTS_DIR": str(folder)}
    if kind == "postgres":
        overrides["DATABASE_URL"] = request.getfixturevalue("pg_empty_url")
    return create_app(app_config(tmp_path, tinydb=kind == "tinydb", **overrides))


@pytest.fixture(params=["memory", "tinydb", "postgres"])
def app(request, tmp_path):
    """An app on each store, with the commune checklist and a PAR-index one with a survey
    section."""
    app = _make_app(tmp_path, request.param, request)
    yield app
    if request.param == "postgres":
        from inspect_app import storage

        app.extensions["store"].close()
        storage.forget_store(app.extensions["store"])


@pytest.fixture
def web_app(tmp_path, request):
    """The same app on the memory store, for the pages."""
    return _make_app(tmp_path, "memory", request)


def entries(store) -> list[AuditEntry]:
    return store.page_audit().rows


class Log:
    """What each step added to the audit log."""

    def __init__(self, store):
        self.store, self.seen = store, store.page_audit(limit=0).total
        self.all: list[AuditEntry] = []

    def one(self) -> AuditEntry:
        """The only entry written since the last call (fails on none or several)."""
        total = self.store.page_audit(limit=0).total
        assert total == self.seen + 1, f"{total - self.seen} entries, expected one"
        self.seen = total
        entry = self.store.page_audit(limit=1).rows[0]
        self.all.append(entry)
        return entry

    def none(self) -> None:
        assert self.store.page_audit(limit=0).total == self.seen, "a refused action was logged"


def shape(entry: AuditEntry) -> tuple:
    return entry.by, entry.action, entry.target, entry.before, entry.after


# ---------------------------------------------------------------- every admin action

def test_every_admin_action_leaves_exactly_one_entry_with_before_and_after(app):
    store, library = app.extensions["store"], app.extensions["checklists"]
    log = Log(store)

    # units: add, rename, import
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp", by="quantri")
    assert shape(log.one()) == ("quantri", "unit.add", "A", None, {
        "code": "A", "name": "Xã Thiện Nghiệp", "parent": None, "address": ""})
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp Mới", by="quantri")
    assert shape(log.one()) == ("quantri", "unit.add", "A", {"name": "Xã Thiện Nghiệp"},
                                {"name": "Xã Thiện Nghiệp Mới"})
    unit_service.import_units(store, "code,name\nB,Xã Kim Long\nA,Xã Thiện Nghiệp\n",
                              by="quantri")
    assert shape(log.one()) == ("quantri", "unit.import", "", None,
                                {"count": 2, "added": ["B"], "changed": ["A"]})

    # users: create (command line, then an admin), edit, disable, enable
    accounts.create_user(store, "quantri", "admin", password=PASSWORD, full_name="Quản Trị")
    assert shape(log.one()) == ("cli", "user.create", "quantri", None, {
        "username": "quantri", "full_name": "Quản Trị", "position": "", "email": "",
        "role": "admin", "unit": None, "active": True, "password": "set"})
    admin = store.get_user("quantri")
    accounts.create_user(store, "xa.a", "unit", unit="A", by="quantri")
    created = log.one()
    assert (created.by, created.action, created.after["unit"], created.after["password"]) == (
        "quantri", "user.create", "A", "")
    accounts.create_user(store, "tra", "inspector", password=PASSWORD, by="quantri")
    log.one()
    edit = UserEdit(full_name="Nguyễn Văn Tra", position="Thanh tra viên", email="",
                    role="inspector", unit=None, active=True)
    accounts.edit_user(store, admin, "tra", edit)
    assert shape(log.one()) == ("quantri", "user.edit", "tra",
                                {"full_name": "", "position": ""},
                                {"full_name": "Nguyễn Văn Tra", "position": "Thanh tra viên"})
    accounts.edit_user(store, admin, "tra", UserEdit(**{**edit.__dict__, "active": False}))
    assert shape(log.one()) == ("quantri", "user.disable", "tra", {"active": True},
                                {"active": False})
    accounts.edit_user(store, admin, "tra", edit)
    assert shape(log.one()) == ("quantri", "user.enable", "tra", {"active": False},
                                {"active": True})
    accounts.set_email(store, "tra", "tra@example.vn")
    assert shape(log.one()) == ("cli", "user.edit", "tra", {"email": ""},
                                {"email": "tra@example.vn"})

    # passwords: an admin's reset (generated), the user's own change
    one_time = accounts.reset_password(store, admin, "tra")
    assert shape(log.one()) == ("quantri", "user.password_reset", "tra", None,
                                {"password": "set", "must_change_password": True})
    accounts.change_own_password(store, "tra", one_time, "mot-mat-khau-moi-dai")
    assert shape(log.one()) == ("tra", "user.password_change", "tra", None, {"password": "set"})

    # API tokens: created (by an admin, by the command line), revoked
    token = accounts.issue_token(store, "tra", "Máy chủ báo cáo", by="quantri")
    token_id = accounts.token_id(store.get_user("tra").tokens[0])
    assert shape(log.one()) == ("quantri", "token.create", "tra", None,
                                {"token": token_id, "label": "Máy chủ báo cáo"})
    cli_token = accounts.issue_token(store, "quantri", "")
    assert log.one().action == "token.create"
    accounts.revoke_token(store, "tra", token_id, by="tra")
    assert shape(log.one()) == ("tra", "token.revoke", "tra",
                                {"token": token_id, "label": "Máy chủ báo cáo"}, None)

    # province settings: only the values that changed
    values = {**province_service.current(store, app.config).to_dict(),
              "one_stop_centre": "Trung tâm Phục vụ hành chính công tỉnh",
              "public_url": "https://cchc.example.vn"}
    province_service.save(store, values, by="quantri", config=app.config)
    assert shape(log.one()) == ("quantri", "settings.edit", "", {
        "one_stop_centre": "Trung tâm Phục vụ hành chính công", "public_url": ""}, {
        "one_stop_centre": "Trung tâm Phục vụ hành chính công tỉnh",
        "public_url": "https://cchc.example.vn"})

    # checklists: publish a new one, a new version of a seed one, retire, restore
    version = checklist_service.publish(
        library, checklist_service.save_draft(library, NEW_CHECKLIST), by="quantri")
    assert shape(log.one()) == ("quantri", "checklist.publish", "moi", None, {
        "version": 1, "hash": version.checklist.hash, "retired": False})
    seed = library.get("cchc-xa")
    changed_text = (SEED.read_text(encoding="utf-8").replace("title:", "title: Mới -", 1)
                    .replace('version: "2025.1"', 'version: "2026.1"', 1))  # a new version text
    _checklist, text = checklist_service.check_upload("cchc-xa.yaml", changed_text.encode())
    version = checklist_service.publish(
        library, checklist_service.save_draft(library, text), by="quantri")
    assert shape(log.one()) == ("quantri", "checklist.publish", "cchc-xa",
                                {"version": 0, "hash": seed.hash},
                                {"version": 1, "hash": version.checklist.hash})
    checklist_service.retire(library, "moi", True, by="quantri")
    assert shape(log.one()) == ("quantri", "checklist.retire", "moi", {"retired": False},
                                {"retired": True})
    checklist_service.retire(library, "moi", False, by="quantri")
    assert shape(log.one()) == ("quantri", "checklist.restore", "moi", {"retired": True},
                                {"retired": False})

    # assessment rounds: open (one entry for the whole round), extend
    scope = Scope(admin)
    opened = assessments.open_round(store, library, scope, checklist="chi-so-thu", period="2025",
                                    units=None, self_due=FUTURE, explain_due=FUTURE)
    assert shape(log.one()) == ("quantri", "round.open", "chi-so-thu 2025", None, {
        "checklist": "chi-so-thu", "period": "2025", "units": ["A", "B"],
        "self_due": "2099-03-31", "explain_due": "2099-03-31"})
    record = opened.records["A"]
    assessments.extend(store, scope, record, explain_due=_dt.date(2099, 6, 30))
    assert shape(log.one()) == ("quantri", "round.extend", f"{record} (A)",
                                {"explain_due": "2099-03-31"}, {"explain_due": "2099-06-30"})

    # survey figures: one entry for the file
    survey_service.import_survey(store, scope, checklist="chi-so-thu", period="2025",
                                 raw="Mã đơn vị;ks;9.2;9.3\nA;8,57;4;3,5\nB;9;5;5\n".encode(),
                                 source="khao-sat.csv")
    assert shape(log.one()) == ("quantri", "survey.import", "chi-so-thu 2025", None, {
        "file": "khao-sat.csv", "units": ["A", "B"], "figures": 6})

    # newest first, each entry's moment a stored UTC time, every action labelled
    assert [e.id for e in entries(store)] == [e.id for e in reversed(log.all)]
    for entry in log.all:
        assert entry.at.endswith("+00:00") and entry.action in audit.ACTIONS
    # no secret in any entry: passwords, one-time password, tokens, their hashes
    secrets = [PASSWORD, one_time, "mot-mat-khau-moi-dai", token, cli_token,
               accounts.hash_token(token), accounts.hash_token(cli_token)]
    secrets += [u.password_hash for u in store.list_users() if u.password_hash]
    for entry in entries(store):
        text = json.dumps(entry.to_dict(), ensure_ascii=False)
        assert not [s for s in secrets if s in text], entry


def test_refused_actions_leave_no_entry_and_change_nothing(app):
    store, library = app.extensions["store"], app.extensions["checklists"]
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    accounts.create_user(store, "tra", "inspector", password=PASSWORD)
    admin = store.get_user("quantri")
    scope = Scope(admin)
    token = accounts.issue_token(store, "tra", "cũ")
    opened = assessments.open_round(store, library, scope, checklist="chi-so-thu", period="2025",
                                    units=["A"], self_due=FUTURE, explain_due=FUTURE)
    log = Log(store)
    users_before = {u.username: u for u in store.list_users()}
    units_before = store.list_units()
    past = _dt.date(2000, 1, 1)
    refusals = [
        lambda: accounts.create_user(store, "tra", "viewer", password=PASSWORD, by="quantri"),
        lambda: accounts.create_user(store, "moi", "viewer", password="12345678", by="quantri"),
        lambda: accounts.create_user(store, "moi", "unit", unit="KHONG", by="quantri"),
        lambda: accounts.edit_user(store, admin, "quantri", UserEdit(
            full_name="", position="", email="", role="viewer", unit=None, active=True)),
        lambda: accounts.edit_user(store, admin, "tra", UserEdit(
            full_name="", position="", email="không-phải-thư", role="inspector", unit=None,
            active=True)),
        lambda: accounts.reset_password(store, admin, "tra", "ngan"),
        lambda: accounts.reset_password(store, admin, "khongco"),
        lambda: accounts.change_own_password(store, "tra", "sai-mat-khau", "mot-mat-khau-moi"),
        lambda: accounts.change_own_password(store, "tra", PASSWORD, "password"),
        lambda: accounts.issue_token(store, "khongco", "x", by="quantri"),
        lambda: accounts.revoke_token(store, "tra", "0" * 16, by="quantri"),
        lambda: accounts.set_email(store, "tra", "a@b"),
        lambda: unit_service.add_unit(store, "có dấu", "Xã", by="quantri"),
        lambda: unit_service.add_unit(store, "B", "Xã", parent="KHONG", by="quantri"),
        lambda: unit_service.import_units(store, "code,name\nB,Xã B\nB,Xã B lại\n", by="quantri"),
        lambda: province_service.save(store, {"inspecting_body": "Sở Nội vụ",
                                              "public_url": "ftp://x"}, by="quantri"),
        lambda: checklist_service.publish(library, "khong-co-ban-nhap-nay", by="quantri"),
        lambda: checklist_service.retire(library, "khongco", True, by="quantri"),
        lambda: assessments.open_round(store, library, scope, checklist="chi-so-thu",
                                       period="2026", units=None, self_due=past,
                                       explain_due=FUTURE),
        lambda: assessments.open_round(store, library, scope, checklist="chi-so-thu",
                                       period="2025", units=["A"], self_due=FUTURE,
                                       explain_due=FUTURE),
        lambda: assessments.extend(store, scope, opened.records["A"], self_due=past),
        lambda: survey_service.import_survey(store, scope, checklist="chi-so-thu",
                                             period="2025", raw=b"M\xe3;ks\nA;12\n"),
        lambda: survey_service.import_survey(store, scope, checklist="chi-so-thu",
                                             period="2025", raw="Mã đơn vị;ks\nA;12\n".encode()),
    ]
    for refuse in refusals:
        with pytest.raises(ServiceError):
            refuse()
        log.none()
    # publishing the current version again, and retiring twice, are refused or no-ops
    text = checklist_service.check_upload("cchc-xa.yaml", SEED.read_bytes())[1]
    with pytest.raises(Invalid):
        checklist_service.publish(library, checklist_service.save_draft(library, text))
    checklist_service.retire(library, "cchc-xa", False, by="quantri")  # not retired: nothing
    log.none()
    assert {u.username: u for u in store.list_users()} == users_before
    assert store.list_units() == units_before
    assert accounts.user_for_token(store, token) is not None


def test_the_store_filters_the_logged_actions_by_user_and_action(app):
    """The filters the page uses, on what the services logged, newest first."""
    store = app.extensions["store"]
    unit_service.add_unit(store, "A", "Xã A", by="quantri")
    accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    accounts.create_user(store, "tra", "inspector", password=PASSWORD, by="quantri")
    assert [e.action for e in store.page_audit(AuditQuery(by="quantri")).rows] == [
        "user.create", "unit.add"]
    assert [e.target for e in store.page_audit(AuditQuery(action="user.")).rows] == [
        "tra", "quantri"]


# ---------------------------------------------------------------- the command line and the web

def test_commands_are_logged_as_the_command_line(app, tmp_path):
    store, runner = app.extensions["store"], app.test_cli_runner()
    assert runner.invoke(args=["units", "add", "A", "Xã A"]).exit_code == 0
    csv = tmp_path / "units.csv"
    csv.write_text("code,name\nB,Xã B\n", encoding="utf-8")
    assert runner.invoke(args=["units", "import", str(csv)]).exit_code == 0
    result = runner.invoke(args=["users", "create", "quantri", "--role", "admin",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "token", "quantri", "--label", "báo cáo"])
    assert result.exit_code == 0
    token = result.output.strip()
    result = runner.invoke(args=["assessments", "open", "chi-so-thu", "2025",
                                 "--self-due", "2099-03-31", "--explain-due", "2099-04-30"])
    assert result.exit_code == 0, result.output
    record = result.output.split("\t")[1].split()[0]
    result = runner.invoke(args=["assessments", "extend", record, "--self-due", "2099-04-15"])
    assert result.exit_code == 0, result.output
    logged = entries(store)
    assert [(e.by, e.action) for e in reversed(logged)] == [
        ("cli", "unit.add"), ("cli", "unit.import"), ("cli", "user.create"),
        ("cli", "token.create"), ("cli", "round.open"), ("cli", "round.extend")]
    text = json.dumps([e.to_dict() for e in logged])
    assert token not in text and PASSWORD not in text
    # a refused command logs nothing
    assert runner.invoke(args=["units", "add", "có dấu", "Xã"]).exit_code != 0
    assert len(entries(store)) == len(logged)


@pytest.fixture
def people(web_app):
    """A unit and a user of each role, written straight into the store (the log empty)."""
    store = web_app.extensions["store"]
    store.save_units([Unit(code="A", name="Xã Thiện Nghiệp")])
    for name, role, unit in (("quantri", "admin", None), ("tra", "inspector", None),
                             ("xem", "viewer", None), ("xa.a", "unit", "A")):
        store.add_user(User(username=name, role=role, unit=unit,
                            password_hash=accounts.hash_password(PASSWORD)))
    assert entries(store) == []
    return store


def post(client, path, data, page):
    return client.post(path, data={**data, "csrf_token": csrf_of(
        client.get(page).get_data(as_text=True))})


def test_the_web_app_logs_the_acting_user(web_app, people):
    store = people
    log = Log(store)
    admin = login(web_app.test_client(), "quantri")
    response = post(admin, "/users/tra/", {"full_name": "Nguyễn Văn Tra", "position": "",
                                           "email": "", "role": "inspector", "unit": ""},
                    "/users/tra/")  # no "active": the box unticked disables the account
    assert response.status_code == 302
    assert shape(log.one()) == ("quantri", "user.disable", "tra",
                                {"full_name": "", "active": True},
                                {"full_name": "Nguyễn Văn Tra", "active": False})
    response = post(admin, "/users/xem/tokens", {"label": "máy in"}, "/users/xem/")
    assert response.status_code == 200
    token = re.search(r"insp_[A-Za-z0-9_-]+", response.get_data(as_text=True)).group(0)
    assert shape(log.one())[:3] == ("quantri", "token.create", "xem")
    viewer = login(web_app.test_client(), "xem")
    response = post(viewer, "/account/password", {
        "current_password": PASSWORD, "password": "mot-mat-khau-moi-dai",
        "confirm": "mot-mat-khau-moi-dai"}, "/account/")
    assert response.status_code == 302
    assert shape(log.one()) == ("xem", "user.password_change", "xem", None, {"password": "set"})
    response = post(admin, "/units/", {"code": "B", "name": "Xã Kim Long"}, "/units/")
    assert response.status_code == 302
    assert shape(log.one())[:3] == ("quantri", "unit.add", "B")
    response = post(admin, "/assessments/rounds/new", {
        "checklist": "chi-so-thu", "period": "2025", "units": ["A", "B"],
        "self_due": "2099-03-31", "explain_due": "31/05/2099"}, "/assessments/rounds/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert shape(log.one())[:3] == ("quantri", "round.open", "chi-so-thu 2025")
    response = post(admin, "/checklists/cchc-xa/retire", {"retired": "1"}, "/checklists/cchc-xa")
    assert response.status_code == 302
    assert shape(log.one()) == ("quantri", "checklist.retire", "cchc-xa", {"retired": False},
                                {"retired": True})
    # a refused form logs nothing
    response = post(admin, "/units/", {"code": "có dấu", "name": "Xã"}, "/units/")
    log.none()
    response = post(viewer, "/account/password", {
        "current_password": "sai", "password": "mot-mat-khau-khac-dai",
        "confirm": "mot-mat-khau-khac-dai"}, "/account/")
    assert response.status_code == 400
    log.none()
    text = json.dumps([e.to_dict() for e in entries(store)], ensure_ascii=False)
    assert token not in text and "mot-mat-khau-moi-dai" not in text


# ---------------------------------------------------------------- the page

def add(store, at: str, by="quantri", action="user.edit", target="tra", before=None, after=None,
        **_):
    entry = AuditEntry(id=f"e{at}{by}{action}", at=at, by=by, action=action, target=target,
                       before=before, after=after)
    store.add_audit(entry)
    return entry


def page_text(client, path="/audit/", **query):
    response = client.get(path, query_string=query)
    return response, html_lib.unescape(response.get_data(as_text=True))


def test_only_admins_see_the_log(web_app, people):
    add(people, "2026-03-01T01:00:00+00:00")
    anonymous = web_app.test_client()
    for path in ("/audit/", "/audit/audit.xlsx"):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    for name in ("tra", "xem", "xa.a"):
        client = login(web_app.test_client(), name)
        assert client.get("/audit/").status_code == 403
        assert client.get("/audit/audit.xlsx").status_code == 403
        assert "/audit/" not in client.get("/").get_data(as_text=True)  # no menu link
    admin = login(web_app.test_client(), "quantri")
    home = admin.get("/").get_data(as_text=True)
    assert 'href="/audit/"' in home and "Nhật ký quản trị" in home


def test_a_line_reads_when_who_what_target_and_before_after(web_app, people):
    add(people, "2026-03-01T17:30:00+00:00", action="user.edit",
        before={"full_name": "", "role": "viewer", "active": True},
        after={"full_name": "Nguyễn Văn Tra", "role": "inspector", "active": False})
    add(people, "2026-03-02T02:00:00+00:00", action="user.password_reset", after={
        "password": "set", "must_change_password": True})
    add(people, "2026-03-02T03:00:00+00:00", action="token.revoke", before={
        "token": "0123456789abcdef", "label": "máy in"})
    admin = login(web_app.test_client(), "quantri")
    response, text = page_text(admin)
    assert response.status_code == 200
    rows = re.findall(r'<tr data-role="audit-entry".*?</tr>', text, re.S)
    assert len(rows) == 3
    newest, reset, edit = rows
    assert "Thu hồi mã truy cập API" in newest and "0123456789abcdef" in newest
    assert "máy in" in newest
    assert "Đặt mật khẩu cho người dùng" in reset and "Mật khẩu</strong>: <span class=\"after\">đã đặt" in reset
    assert "Phải đổi mật khẩu</strong>: <span class=\"after\">có" in reset
    # 17:30 UTC on 1 March is 00:30 on 2 March in Vietnam
    assert "02/03/2026 00:30" in edit and "quantri" in edit and "Sửa người dùng" in edit
    assert re.search(r"Họ và tên</strong>: <span class=\"before\">—</span> → "
                     r"<span class=\"after\">Nguyễn Văn Tra</span>", edit)
    assert re.search(r"Vai trò</strong>: <span class=\"before\">Người xem</span> → "
                     r"<span class=\"after\">Thành viên đoàn kiểm tra</span>", edit)
    assert re.search(r"Đang hoạt động</strong>: <span class=\"before\">có</span> → "
                     r"<span class=\"after\">không</span>", edit)


def test_the_page_pages_newest_first_and_keeps_the_filters(web_app, people):
    start = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)
    for i in range(120):
        add(people, (start + _dt.timedelta(hours=i)).isoformat(), by="quantri" if i % 2 else "tra",
            action="unit.add" if i % 3 else "user.edit", target=f"T{i:03d}")
    admin = login(web_app.test_client(), "quantri")
    _response, text = page_text(admin)
    targets = re.findall(r">(T\d{3})</td>", text)
    assert targets[:2] == ["T119", "T118"] and len(targets) == 50
    assert "120" in text
    _response, text = page_text(admin, page=3)
    assert re.findall(r">(T\d{3})</td>", text)[-1] == "T000"
    # by user: 60 entries, its page links keep the filter
    _response, text = page_text(admin, by="tra")
    found = re.findall(r">(T\d{3})</td>", text)
    assert found[0] == "T118" and all(int(t[1:]) % 2 == 0 for t in found)
    assert 'href="/audit/?by=tra&amp;page=2"' in _response.get_data(as_text=True)
    _response, text = page_text(admin, by="tra", page=2)
    assert len(re.findall(r">(T\d{3})</td>", text)) == 10
    # by action
    _response, text = page_text(admin, action="user.edit")
    found = re.findall(r">(T\d{3})</td>", text)
    assert len(found) == 40 and all(int(t[1:]) % 3 == 0 for t in found)
    assert '<option value="user.edit" selected>' in _response.get_data(as_text=True)
    # a date range in Vietnam time: 2 January (local) is 1 Jan 17:00 to 2 Jan 17:00 UTC
    _response, text = page_text(admin, **{"from": "02/01/2026", "to": "2026-01-02"})
    found = re.findall(r">(T\d{3})</td>", text)
    assert found == [f"T{i:03d}" for i in range(40, 16, -1)]
    assert 'name="from" value="2026-01-02"' in _response.get_data(as_text=True)
    # nothing matches: said so
    _response, text = page_text(admin, by="khongco")
    assert "Không có mục nào khớp với bộ lọc này." in text


def test_bad_filters_are_a_clear_message_not_an_error(web_app, people):
    add(people, "2026-03-01T01:00:00+00:00")
    admin = login(web_app.test_client(), "quantri")
    for query, message in (({"from": "31/02/2026"}, "không phải là ngày"),
                           ({"from": "2026-03-05", "to": "2026-03-01"}, "kết thúc trước khi bắt đầu"),
                           ({"action": "user.xoa"}, "không có thao tác user.xoa")):
        response, text = page_text(admin, **query)
        assert response.status_code == 400 and message in text, text[-800:]
        response = admin.get("/audit/audit.xlsx", query_string=query)
        assert response.status_code == 400


def test_the_workbook_has_the_filtered_entries_with_text_neutralised(web_app, people):
    add(people, "2026-03-01T01:00:00+00:00", by="=HYPERLINK(\"http://x\",\"y\")",
        action="user.edit", target="=1+2", before={"full_name": "@SUM(A1)"},
        after={"full_name": "+cmd|' /C calc'!A0"})
    add(people, "2026-03-02T01:00:00+00:00", by="quantri", action="unit.add", target="B",
        after={"code": "B", "name": "Xã Kim Long"})
    add(people, "2026-03-03T01:00:00+00:00", by="tra", action="unit.add", target="C")
    admin = login(web_app.test_client(), "quantri")
    response = admin.get("/audit/audit.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "no-store" in response.headers["Cache-Control"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Thời điểm", "Người thực hiện", "Thao tác", "Mã thao tác", "Đối tượng",
                       "Thay đổi (trước → sau)")
    assert [r[1] for r in rows[1:]] == ["tra", "quantri", "=HYPERLINK(\"http://x\",\"y\")"]
    assert rows[2][:5] == ("02/03/2026 08:00", "quantri", "Thêm hoặc đổi tên đơn vị", "unit.add",
                           "B")
    assert rows[2][5] == "Mã: B\nTên: Xã Kim Long"
    assert rows[3][5] == "Họ và tên: @SUM(A1) → +cmd|' /C calc'!A0"
    for cell in (sheet.cell(4, 2), sheet.cell(4, 5), sheet.cell(4, 6)):
        assert cell.data_type == "s"  # text, never a formula
    # the filters of the page
    response = admin.get("/audit/audit.xlsx", query_string={"by": "quantri"})
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
                .iter_rows(values_only=True))
    assert [r[4] for r in rows[1:]] == ["B"]
    page = admin.get("/audit/", query_string={"by": "quantri"}).get_data(as_text=True)
    assert 'href="/audit/audit.xlsx?by=quantri"' in page


def test_record_keeps_only_the_changed_fields_and_knows_every_action(app):
    store = app.extensions["store"]
    with pytest.raises(ValueError):
        audit.record(store, "quantri", "user.delete", "x")
    entry = audit.record(store, "quantri", "user.edit", "tra", {"a": 1, "b": 2}, {"a": 1, "b": 3})
    assert (entry.before, entry.after) == ({"b": 2}, {"b": 3})
    assert entries(store) == [entry]
    assert clock.now_iso()[:10] == entry.at[:10]


def test_on_postgresql_a_change_never_lands_without_its_entry(app, monkeypatch):
    """The change and its entry are one transaction: an entry that cannot be written
    takes the change back with it (the file and memory stores write the change first)."""
    store = app.extensions["store"]
    if type(store).__name__ != "PostgresStore":
        pytest.skip("the file and memory stores write each of the two on its own")
    accounts.create_user(store, "quantri", "admin", password=PASSWORD)

    def broken(entry):
        raise RuntimeError("disk full")
    monkeypatch.setattr(store, "add_audit", broken)
    with pytest.raises(RuntimeError):
        accounts.create_user(store, "tra", "inspector", password=PASSWORD, by="quantri")
    with pytest.raises(RuntimeError):
        unit_service.add_unit(store, "A", "Xã A", by="quantri")
    with pytest.raises(RuntimeError):
        accounts.issue_token(store, "quantri", "x", by="quantri")
    assert store.get_user("tra") is None and store.list_units() == []
    assert store.get_user("quantri").tokens == []
