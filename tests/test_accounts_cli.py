"""Units and users from the command line (DESIGN §5) and in the admin pages."""
from __future__ import annotations

import re

import pytest

from inspect_app.services import accounts
from inspect_app.services import units as unit_service
from inspect_app.storage import open_store


def store_of(app):
    return app.extensions["store"]


def codes(app) -> set[str]:
    return {u.code for u in store_of(app).list_units()}


# ---------------------------------------------------------------- units add

def test_units_add_and_rename(app, runner):
    result = runner.invoke(args=["units", "add", "H1", "Huyện Một"])
    assert result.exit_code == 0, result.output
    assert "H1" in result.output
    result = runner.invoke(args=["units", "add", "TN", "Xã Thiện Nghiệp", "--parent", "H1"])
    assert result.exit_code == 0, result.output
    unit = store_of(app).get_unit("TN")
    assert (unit.name, unit.parent) == ("Xã Thiện Nghiệp", "H1")
    assert runner.invoke(args=["units", "add", "TN", "Xã Thiện Nghiệp mới"]).exit_code == 0
    assert store_of(app).get_unit("TN").name == "Xã Thiện Nghiệp mới"


@pytest.mark.parametrize("args, message", [
    (["units", "add", "TN", "Xã A", "--parent", "NOPE"], "parent 'NOPE' is not a known unit"),
    (["units", "add", "TN", "Xã A", "--parent", "TN"], "own parent"),
    (["units", "add", "../x", "Xã A"], "code '../x'"),
    (["units", "add", "TN", "   "], "name is empty"),
    (["units", "add", "TN", "x" * 201], "Name is longer than 200 characters"),
])
def test_units_add_refuses_bad_input(app, runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert "TN" not in codes(app)


def test_units_add_refuses_a_parent_cycle(app, runner):
    assert runner.invoke(args=["units", "add", "H1", "Huyện Một"]).exit_code == 0
    assert runner.invoke(args=["units", "add", "TN", "Xã A", "--parent", "H1"]).exit_code == 0
    result = runner.invoke(args=["units", "add", "H1", "Huyện Một", "--parent", "TN"])
    assert result.exit_code != 0 and "cycle" in result.output
    assert store_of(app).get_unit("H1").parent is None


# ---------------------------------------------------------------- units import

def write(tmp_path, text: str | bytes, name="units.csv"):
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return str(path)


GOOD_FILES = {
    "english header": "code,name,parent\nH1,Huyện Một,\nTN,Xã Thiện Nghiệp,H1\nKL,Xã Kim Long,H1\n",
    "vietnamese header": "mã,tên,cấp trên\nH1,Huyện Một,\nTN,Xã Thiện Nghiệp,H1\nKL,Xã Kim Long,H1\n",
    "capitalised vietnamese header": "Mã đơn vị,Tên đơn vị,Đơn vị cấp trên\nH1,Huyện Một,\n"
                                     "TN,Xã Thiện Nghiệp,H1\nKL,Xã Kim Long,H1\n",
    "semicolons": "mã;tên;cấp trên\nH1;Huyện Một;\nTN;Xã Thiện Nghiệp;H1\nKL;Xã Kim Long;H1\n",
    "semicolons, parent left out on some lines":
        "mã;tên;cấp trên\nH1;Huyện Một\nTN;Xã Thiện Nghiệp;H1\nKL;Xã Kim Long;H1\n",
    "semicolons, commas in names": "mã;tên;cấp trên\nH1;Huyện Một, tỉnh A;\n"
                                   "TN;Xã Thiện Nghiệp;H1\nKL;Xã Kim Long, huyện Một;H1\n",
    "BOM and CRLF": "\ufeffcode,name,parent\r\nH1,Huyện Một,\r\nTN,Xã Thiện Nghiệp,H1\r\n"
                    "KL,Xã Kim Long,H1\r\n",
    "tabs": "code\tname\tparent\nH1\tHuyện Một\t\nTN\tXã Thiện Nghiệp\tH1\nKL\tXã Kim Long\tH1\n",
    "parent listed after its children": "code,name,parent\nTN,Xã Thiện Nghiệp,H1\n"
                                        "KL,Xã Kim Long,H1\nH1,Huyện Một,\n",
    "blank lines and quoted names": 'code,name,parent\n\nH1,"Huyện Một",\n\nTN,"Xã Thiện Nghiệp",H1\n'
                                    'KL,Xã Kim Long,H1\n\n',
    "decomposed unicode (macOS)": "code,name,parent\nH1,Huyện Một,\nTN,Xã Thiện Nghiệp,H1\n"
                                  "KL,Xã Kim Long,H1\n".replace("ệ", "e\u0323\u0302"),
}


@pytest.mark.parametrize("text", GOOD_FILES.values(), ids=GOOD_FILES.keys())
def test_units_import_good_files(app, runner, tmp_path, text):
    result = runner.invoke(args=["units", "import", write(tmp_path, text)])
    assert result.exit_code == 0, result.output
    assert "imported 3 unit(s)" in result.output
    store = store_of(app)
    assert codes(app) == {"H1", "TN", "KL"}
    assert store.get_unit("TN").name == "Xã Thiện Nghiệp"  # NFC, as typed
    assert store.get_unit("TN").parent == "H1" and store.get_unit("H1").parent is None


def test_units_import_parent_may_be_an_existing_unit(app, runner, tmp_path):
    unit_service.add_unit(store_of(app), "H1", "Huyện Một")
    result = runner.invoke(args=["units", "import", write(tmp_path, "code,name,parent\nTN,Xã A,H1\n")])
    assert result.exit_code == 0, result.output
    assert store_of(app).get_unit("TN").parent == "H1"


BAD_FILE = """code,name,parent
H1,Huyện Một,
TN,,H1
../x,Xã Xấu,
KL,Xã Kim Long,NOPE
H1,Huyện Một lần nữa,
DV,Xã Đồng Văn,DV
OK,Xã Tốt,H1
A,B,C,D
"""


def test_units_import_reports_every_bad_line_and_imports_nothing(app, runner, tmp_path):
    result = runner.invoke(args=["units", "import", write(tmp_path, BAD_FILE)])
    assert result.exit_code != 0
    out = result.output
    expected = {3: "name is empty", 4: "code '../x'", 5: "parent 'NOPE'", 6: "repeats line 2",
                7: "own parent", 9: "4 columns"}
    for line, message in expected.items():
        assert re.search(rf"line {line}: .*{re.escape(message)}", out), (line, out)
    assert not re.search(r"line (2|8):", out)  # the good lines are not blamed
    assert "nothing was imported" in out
    assert codes(app) == set()


def test_units_import_line_numbers_count_lines_of_the_file(app, runner, tmp_path):
    """A quoted name over two lines (or a name with a line break) is reported on the line
    where its row starts, and later rows keep their own line numbers."""
    text = 'code,name\nTN,"Xã\nThiện Nghiệp"\nKL,\n'
    result = runner.invoke(args=["units", "import", write(tmp_path, text)])
    assert result.exit_code != 0
    assert "line 2: " in result.output and "line break" in result.output
    assert "line 4: name is empty" in result.output


def test_units_import_refuses_a_parent_cycle(app, runner, tmp_path):
    text = "code,name,parent\nA1,Đơn vị A,B1\nB1,Đơn vị B,A1\nC1,Đơn vị C,\n"
    result = runner.invoke(args=["units", "import", write(tmp_path, text)])
    assert result.exit_code != 0 and "cycle" in result.output
    assert codes(app) == set()


@pytest.mark.parametrize("content, message", [
    ("code,name\nKL,Xã Kim Long\n".encode("cp1252"), "not UTF-8"),  # a Windows code page
    ("code,name\nTN,Xã Thiện Nghiệp\n".encode("utf-16"), "not UTF-8"),
    (b"", "empty"),
    ("name,other\nX,Y\n", "header"),
    ("code,name\n", "no units"),
])
def test_units_import_refuses_unreadable_files(app, runner, tmp_path, content, message):
    result = runner.invoke(args=["units", "import", write(tmp_path, content)])
    assert result.exit_code != 0
    assert message in result.output
    assert codes(app) == set()


def test_units_import_missing_file(runner, tmp_path):
    result = runner.invoke(args=["units", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code != 0 and "nope.csv" in result.output


# ---------------------------------------------------------------- users create and token

@pytest.fixture
def with_units(app):
    unit_service.add_unit(store_of(app), "TN", "Xã Thiện Nghiệp")
    return app


@pytest.mark.parametrize("role, extra", [("admin", []), ("inspector", []), ("viewer", []),
                                         ("unit", ["--unit", "TN"])])
def test_users_create_each_role(with_units, runner, role, extra):
    result = runner.invoke(args=["users", "create", f"Nguoi.{role}", "--role", role,
                                 "--password-stdin", *extra],
                           input="mat khau rat dai\n")
    assert result.exit_code == 0, result.output
    user = store_of(with_units).get_user(f"nguoi.{role}")  # usernames are lower-case
    assert user.role == role and user.unit == ("TN" if role == "unit" else None)
    assert user.password_hash.startswith("scrypt:")
    assert accounts.authenticate(store_of(with_units), f"nguoi.{role}", "mat khau rat dai")


@pytest.mark.parametrize("args, stdin, message", [
    (["users", "create", "xa1", "--role", "unit", "--password-stdin"], "mat-khau-dai\n", "--unit"),
    (["users", "create", "xa1", "--role", "unit", "--unit", "ZZ", "--password-stdin"],
     "mat-khau-dai\n", "unknown unit 'ZZ'"),
    (["users", "create", "tt1", "--role", "inspector", "--unit", "TN", "--password-stdin"],
     "mat-khau-dai\n", "only unit users"),
    (["users", "create", "tt1", "--role", "inspector", "--password-stdin"], "short\n",
     "at least 8"),
    (["users", "create", "tt1", "--role", "inspector", "--password-stdin"], "", "at least 8"),
    (["users", "create", "tt1", "--role", "god", "--password-stdin"], "mat-khau-dai\n", "god"),
    (["users", "create", "../x", "--role", "viewer", "--password-stdin"], "mat-khau-dai\n",
     "username"),
])
def test_users_create_refuses(with_units, runner, args, stdin, message):
    result = runner.invoke(args=args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert store_of(with_units).list_users() == []


def test_users_create_refuses_a_duplicate(with_units, runner):
    args = ["users", "create", "tt1", "--role", "inspector", "--password-stdin"]
    assert runner.invoke(args=args, input="mat-khau-dai\n").exit_code == 0
    first = store_of(with_units).get_user("tt1").password_hash
    result = runner.invoke(args=["users", "create", "TT1", "--role", "viewer", "--password-stdin"],
                           input="khac-mat-khau\n")
    assert result.exit_code != 0 and "already exists" in result.output
    assert store_of(with_units).get_user("tt1").password_hash == first


def test_users_create_keeps_spaces_inside_the_password(with_units, runner):
    runner.invoke(args=["users", "create", "tt1", "--role", "inspector", "--password-stdin"],
                  input=" mat khau co dau cach \r\n")
    assert accounts.authenticate(store_of(with_units), "tt1", " mat khau co dau cach ")


@pytest.mark.tinydb
def test_users_token_works_as_bearer(app, runner, client):
    store = store_of(app)
    unit_service.add_unit(store, "TN", "Xã Thiện Nghiệp")
    runner.invoke(args=["users", "create", "tt1", "--role", "inspector", "--password-stdin"],
                  input="mat-khau-dai\n")
    result = runner.invoke(args=["users", "token", "tt1", "--label", "phone"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith(accounts.TOKEN_PREFIX) and len(token) > 40
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/v1/inspections", headers=headers, json={
        "unit": "TN", "checklist": "cchc-xa", "period": "2025", "kind": "inspection"})
    assert created.status_code == 201, created.json
    response = client.get(f"/api/v1/inspections/{created.json['id']}", headers=headers)
    assert response.status_code == 200 and response.json["unit"] == "TN"
    wrong = client.get(f"/api/v1/inspections/{created.json['id']}",
                       headers={"Authorization": f"Bearer {token[:-2]}xx"})
    assert wrong.status_code == 401 and wrong.is_json
    # only the hash is kept, with the label
    users_file = (open_store(app.config["DATA_DIR"]).root / "users.json").read_text("utf-8")
    assert token not in users_file
    (entry,) = store.get_user("tt1").tokens
    assert entry.label == "phone" and entry.hash == accounts.hash_token(token)


def test_users_token_gives_a_new_token_each_time(app, runner):
    runner.invoke(args=["users", "create", "tt1", "--role", "viewer", "--password-stdin"],
                  input="mat-khau-dai\n")
    first = runner.invoke(args=["users", "token", "tt1"]).output.strip()
    second = runner.invoke(args=["users", "token", "tt1"]).output.strip()
    assert first != second
    assert accounts.user_for_token(store_of(app), first).username == "tt1"
    assert accounts.user_for_token(store_of(app), second).username == "tt1"


def test_users_token_unknown_user(runner):
    result = runner.invoke(args=["users", "token", "nobody"])
    assert result.exit_code != 0 and "nobody" in result.output


# ---------------------------------------------------------------- the admin pages

NAMES = {"TN": "Xã Thiện Nghiệp", "DV": "Xã Đồng Văn", "DH": "Xã Định Hòa", "AP": "Xã An Phú",
         "AT": "Xã Ân Thi", "BS": "Xã Bắc Sơn", "ZE": "Xã Zê", "HB": "Xã Hòa Bình",
         "dn": "Phường Đông Ngàn"}


@pytest.fixture
def admin_client(app):
    """The test client logged in as an admin (through the login form)."""
    store = store_of(app)
    for code, name in NAMES.items():
        unit_service.add_unit(store, code, name)
    accounts.create_user(store, "quantri", "admin", password="mat-khau-dai")
    accounts.create_user(store, "xem", "viewer", password="mat-khau-dai")
    client = app.test_client()
    login(client, "quantri")
    return client


def csrf_of(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def login(client, username, password="mat-khau-dai"):
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_of(client)})
    assert response.status_code == 302
    with client.session_transaction() as sess:
        sess["lang"] = "en"


def listed_names(html: str) -> list[str]:
    return re.findall(r'<a class="list-link" href="/units/[^"]+">\s*<strong>([^<]+)</strong>', html)


@pytest.mark.parametrize("query, expected", [
    ("thien nghiep", ["Xã Thiện Nghiệp"]),
    ("THIỆN", ["Xã Thiện Nghiệp"]),
    ("DONG VAN", ["Xã Đồng Văn"]),
    ("đồng", ["Phường Đông Ngàn", "Xã Đồng Văn"]),
    ("dong", ["Phường Đông Ngàn", "Xã Đồng Văn"]),
    ("dinh hoa", ["Xã Định Hòa"]),
    ("hoà bình", ["Xã Hòa Bình"]),  # old-style accent placement
    ("an", ["Xã An Phú", "Xã Ân Thi", "Phường Đông Ngàn", "Xã Đồng Văn"]),  # văn, ngàn
    ("TN", ["Xã Thiện Nghiệp"]),  # by code
    ("zzz", []),
])
def test_unit_search_folds_diacritics(admin_client, query, expected):
    html = admin_client.get("/units/", query_string={"q": query}).get_data(as_text=True)
    assert sorted(listed_names(html)) == sorted(expected)


def test_unit_list_sorts_ignoring_diacritics(admin_client):
    html = admin_client.get("/units/").get_data(as_text=True)
    assert listed_names(html) == [
        "Phường Đông Ngàn", "Xã An Phú", "Xã Ân Thi", "Xã Bắc Sơn", "Xã Định Hòa",
        "Xã Đồng Văn", "Xã Hòa Bình", "Xã Thiện Nghiệp", "Xã Zê"]


def test_admin_adds_a_unit_in_the_browser(app, admin_client):
    token = csrf_of(admin_client, "/units/")
    response = admin_client.post("/units/", data={"code": "MOI", "name": "Xã Mới",
                                                  "parent": "TN", "csrf_token": token})
    assert response.status_code == 302
    assert store_of(app).get_unit("MOI").parent == "TN"
    response = admin_client.post("/units/", data={"code": "BAD", "name": "Xã Xấu",
                                                  "parent": "NOPE", "csrf_token": token},
                                 follow_redirects=True)
    assert "parent &#39;NOPE&#39; is not a known unit code" in response.get_data(as_text=True) \
        or "parent 'NOPE' is not a known unit code" in response.get_data(as_text=True)
    assert store_of(app).get_unit("BAD") is None


def test_admin_imports_units_in_the_browser(app, admin_client):
    import io

    token = csrf_of(admin_client, "/units/")
    response = admin_client.post("/units/import", data={
        "csrf_token": token, "file": (io.BytesIO(BAD_FILE.encode()), "u.csv")})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for line in (3, 4, 5, 6, 7, 9):
        assert f"line {line}:" in html
    assert "Nothing was imported" in html
    assert store_of(app).get_unit("OK") is None
    good = "mã;tên;cấp trên\nMOI1;Xã Mới Một;TN\nMOI2;Xã Mới Hai\n".encode("utf-8-sig")
    response = admin_client.post("/units/import", data={
        "csrf_token": token, "file": (io.BytesIO(good), "u.csv")}, follow_redirects=True)
    assert response.status_code == 200
    assert "2 units imported" in response.get_data(as_text=True)
    assert store_of(app).get_unit("MOI1").parent == "TN"
    latin = "code,name\nX1,Xã Kim Long\n".encode("cp1252")
    response = admin_client.post("/units/import", data={
        "csrf_token": token, "file": (io.BytesIO(latin), "u.csv")}, follow_redirects=True)
    assert "not UTF-8" in response.get_data(as_text=True)
    assert store_of(app).get_unit("X1") is None


def test_admin_creates_users_in_the_browser(app, admin_client):
    token = csrf_of(admin_client, "/users/")
    response = admin_client.post("/users/", data={
        "username": "xa.tn", "role": "unit", "unit": "TN", "password": "mat-khau-dai",
        "full_name": "Công chức xã", "csrf_token": token})
    assert response.status_code == 302
    user = store_of(app).get_user("xa.tn")
    assert (user.role, user.unit, user.full_name) == ("unit", "TN", "Công chức xã")
    page = admin_client.get("/users/").get_data(as_text=True)
    assert "xa.tn" in page and "Xã Thiện Nghiệp" in page
    assert "scrypt" not in page and "password_hash" not in page
    refused = admin_client.post("/users/", data={
        "username": "xa.x", "role": "unit", "unit": "", "password": "mat-khau-dai",
        "csrf_token": token}, follow_redirects=True)
    assert "--unit" not in refused.get_data(as_text=True)  # a web user is told to pick a unit
    assert store_of(app).get_user("xa.x") is None
    short = admin_client.post("/users/", data={
        "username": "tt9", "role": "inspector", "unit": "", "password": "short",
        "csrf_token": token}, follow_redirects=True)
    assert store_of(app).get_user("tt9") is None
    assert "8" in short.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/users/", "/units/import"])
def test_user_pages_are_admin_only(app, admin_client, path):
    client = app.test_client()
    login(client, "xem")
    if path == "/users/":
        assert client.get(path).status_code == 403
    token = csrf_of(client, "/")
    assert client.post(path, data={"csrf_token": token, "username": "x", "role": "admin",
                                   "password": "mat-khau-dai"}).status_code == 403
    assert store_of(app).get_user("x") is None
