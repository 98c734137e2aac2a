"""Units as people type and see them: a code in another case or with spaces is the stored
unit (in every command, form and the API that takes one; a user name, likewise, is that
user), a merged unit's officer is offered no start, refusals name the new unit by its
name."""
from __future__ import annotations

from inspect_app.domain.models import Unit
from inspect_app.services import Invalid, accounts
from inspect_app.services import units as unit_service
from inspect_app.storage.memory import MemoryStore

from .support import PASSWORD, logged_in
from .support import page_text as text
from .support import post_page as post


def test_importing_a_stored_code_in_lower_case_corrects_that_commune():
    """The province imports its units again from a spreadsheet where the code was typed
    " xa-tn " (lower case, spaces) for the stored unit XA-TN "Xã Thiện Nghiệp". They
    expect the row to correct XA-TN (or the file refused). What happens: a second unit
    "xa-tn" with the same name is added: the commune now appears twice in every list and
    select, and records started on one are not the other's."""
    store = MemoryStore()
    unit_service.add_unit(store, "XA-TN", "Xã Thiện Nghiệp")
    try:
        unit_service.import_units(store, "code,name\n xa-tn ,Xã Thiện Nghiệp\n")
    except Invalid:
        pass  # refused: acceptable, nothing duplicated
    assert sorted(u.code for u in store.list_units()) == ["XA-TN"]


def test_adding_a_unit_whose_code_differs_only_in_case_is_refused_as_taken():
    """An administrator uses "Thêm đơn vị" with code "xa-tn" for a commune already stored
    as XA-TN. The form promises to refuse a taken code (naming its unit). What happens:
    a new, second unit "xa-tn" is saved."""
    store = MemoryStore()
    unit_service.add_unit(store, "XA-TN", "Xã Thiện Nghiệp")
    try:
        unit_service.add_unit(store, "xa-tn", "Xã Thiện Nghiệp", new=True)
    except Invalid:
        pass
    assert sorted(u.code for u in store.list_units()) == ["XA-TN"]


def _many_units(store, count=301):
    store.save_units([Unit(f"X{i:03d}", f"Xã Số {i:03d}") for i in range(count)])
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "quantri", "admin", password=PASSWORD, full_name="Quản Trị")


def test_typed_unit_code_with_a_trailing_space_makes_the_officer(app):
    """With more than 300 units the new user's unit is a typed code ("as on the Units
    page"). The administrator copies "NT " (with a trailing space, as copying a table
    cell gives) and creates a commune officer. They expect the officer of NT. What
    happens: refused, "Đơn vị này không tồn tại." (that unit does not exist), although NT
    is right there."""
    store = app.extensions["store"]
    _many_units(store)
    client = logged_in(app, "quantri")
    response = post(client, "/users/", {"username": "xa.nt", "full_name": "Cán Bộ",
                                        "position": "", "role": "unit", "unit": "NT ",
                                        "password": PASSWORD})
    assert store.get_user("xa.nt") is not None, text(response)[:2000]
    assert store.get_user("xa.nt").unit == "NT"


def _merged_officer(app):
    """Units A "Xã An" and N "Xã Mới", officer "ua" of A, A merged into N."""
    store = app.extensions["store"]
    unit_service.add_unit(store, "A", "Xã An")
    unit_service.add_unit(store, "N", "Xã Mới")
    accounts.create_user(store, "ua", "unit", unit="A", password=PASSWORD)
    unit_service.merge_units(store, ["A"], "N", "01/07/2025")
    return logged_in(app, "ua")


def test_home_of_a_merged_units_officer_offers_no_self_check_that_cannot_start(app):
    """The officer of commune A, merged into N, opens the home page. A merged unit gets
    no new self-check (docs/units.md: "its unit page offers none"), so they expect no
    "Bắt đầu tự kiểm tra" button. What happens: the button is there; it opens a start
    form whose unit list is empty, and submitting it says "hãy chọn đơn vị" with nothing
    to choose: a dead end."""
    client = _merged_officer(app)
    home = text(client.get("/"))
    form = client.get("/inspections/new?kind=self_check").get_data(as_text=True)
    assert '<select id="unit" name="unit"></select>' in form  # the dead end it leads to
    assert "/inspections/new?kind=self_check" not in home
    assert "Bắt đầu tự kiểm tra" not in home


def test_refusal_to_start_a_merged_unit_names_the_new_unit_by_its_name(app):
    """Someone starts a self-check of commune A, merged into N "Xã Mới". The refusal
    names the old unit by its name ("Xã An") and should name the new one the same way
    (docs/units.md: "refused with a message naming the new unit"). What happens: it says
    "…sáp nhập vào N … hãy tạo phiếu của N": the new unit's bare code."""
    client = _merged_officer(app)
    response = post(client, "/inspections/new", {"kind": "self_check", "unit": "A",
                                                 "checklist": "cchc-xa", "period": "2025"},
                    page="/inspections/new?kind=self_check")
    shown = text(response)
    assert response.status_code == 400
    assert "Xã An đã được sáp nhập" in shown
    assert "sáp nhập vào Xã Mới" in shown


def _province_file(lines: int) -> str:
    return "code,name,parent\nH,Huyện Một,\n" + "".join(
        f"x{i:05d},Xã số {i},h\n" for i in range(lines - 1))


def test_a_province_file_of_20000_units_typed_in_lower_case_is_imported():
    """What happened: each row's code (and parent) was matched case-blind against every
    code read so far, in a new set built for every row: a province's 12.000-line units
    file took 11 s, 20.000 lines about a minute (past the worker's timeout). Codes typed
    in lower case still name the stored units and the file's own rows."""
    store = MemoryStore()
    unit_service.add_unit(store, "X00000", "Xã số 0 (cũ)")
    unit_service.import_units(store, _province_file(20_000))
    units = {u.code: u for u in store.list_units()}
    assert len(units) == 20_000
    assert "x00000" not in units and units["X00000"].name == "Xã số 0"
    assert units["x19998"].parent == "H"


def test_a_units_file_over_the_line_limit_is_refused_naming_the_limit():
    """What happened: the units import had no line limit (the survey import stops at
    20.000 lines): a file of any length was read, row by row, inside the request."""
    store = MemoryStore()
    try:
        unit_service.import_units(store, _province_file(20_001))
    except Invalid as exc:
        assert "20000" in str(exc.details) or "20000" in str(exc), exc.details
    else:
        raise AssertionError("a file over the line limit was imported")
    assert store.list_units() == []


def test_units_import_merged_into_a_stored_code_typed_in_another_case():
    """What happened: the province imports a units file that merges XA-2 into the
    stored commune XA-1, the merged_into cell typed "xa-1" (lower case, as the code
    column and the parent column already accept: "a stored code typed in another case ...
    is that unit").
    What they expect: XA-2 merged into XA-1.
    What happens: the whole file is refused: "merged_into 'xa-1' is not a known unit
    code" (the parent column takes the same spelling)."""
    from inspect_app.services.units import parse_units_csv

    as_parent = parse_units_csv("code,name,parent\nXA-2,Xã B,xa-1\n", {"XA-1": None})
    assert as_parent.errors == [] and as_parent.units[0].parent == "XA-1"

    result = parse_units_csv("code,name,merged_into,merged_on\nXA-2,Xã B,xa-1,01/07/2025\n",
                             {"XA-1": None})
    assert result.errors == [], result.errors
    assert result.units[0].merged_into == "XA-1"


def _no_traceback(result):
    """A command's refusal: a message and a non-zero exit, never a Python exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"traceback: {result.exception!r}")


def _three_communes(app):
    store = app.extensions["store"]
    for code, name in (("TN", "Xã Tân Nhựt"), ("DT", "Xã Đông Thạnh"), ("NT", "Xã Nhơn Thạnh")):
        unit_service.add_unit(store, code, name)
    return store


def test_export_of_a_unit_typed_in_lower_case_exports_that_unit(app, runner, tmp_path):
    """What happened: ``export --out tn.xlsx --unit tn`` said ``export: unknown unit tn``
    (exit 2), though ``users create --unit tn`` and ``units add --parent tn`` take it."""
    _three_communes(app)
    result = runner.invoke(args=["export", "--out", str(tmp_path / "tn.xlsx"), "--unit", "tn"])
    _no_traceback(result)
    assert result.exit_code == 0, result.output


def test_units_merge_with_codes_typed_in_lower_case_merges_those_units(app, runner):
    """What happened: ``units merge dt --into tn --on 01/07/2025`` said "không có đơn vị
    'tn'" / "'dt'" (exit 2), nothing merged."""
    store = _three_communes(app)
    result = runner.invoke(args=["units", "merge", "dt", "--into", "tn", "--on", "01/07/2025"])
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    assert store.unit_merges().get("DT") == "TN"


def test_units_rename_with_a_code_typed_in_lower_case_renames_that_unit(app, runner):
    """What happened: ``units rename nt "Phường Nhơn Thạnh" --on 01/07/2025`` said "không
    có đơn vị 'nt'" (exit 2)."""
    store = _three_communes(app)
    result = runner.invoke(args=["units", "rename", "nt", "Phường Nhơn Thạnh", "--on",
                                 "01/07/2025"])
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    assert store.get_unit("NT").name == "Phường Nhơn Thạnh"


def test_assessments_open_for_a_unit_typed_in_lower_case_opens_its_assessment(app, runner):
    """What happened: ``assessments open cchc-xa 2025 --unit tn …`` said "không có đơn vị
    tn" (exit 2) and opened no round, though the survey import of that round reads ``tn``
    as TN."""
    _three_communes(app)
    result = runner.invoke(args=["assessments", "open", "cchc-xa", "2025", "--unit", "tn",
                                 "--self-due", "2099-01-01", "--explain-due", "2099-02-01"])
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "TN\t" in result.output


def test_assessments_open_led_by_a_user_name_typed_in_another_case(app, runner):
    """What happened: ``assessments open … --lead ThanhTra1`` for the inspector
    ``thanhtra1`` said "--lead ThanhTra1: not an inspector or administrator" (exit 2),
    though ``users token ThanhTra1`` prints that user's token."""
    store = _three_communes(app)
    accounts.create_user(store, "thanhtra1", "inspector", password="mat-khau-dai-1")
    result = runner.invoke(args=["assessments", "open", "cchc-xa", "2025", "--unit", "TN",
                                 "--self-due", "2099-01-01", "--explain-due", "2099-02-01",
                                 "--lead", "ThanhTra1"])
    _no_traceback(result)
    assert result.exit_code == 0, result.output


def test_dashboard_group_and_list_filter_typed_in_lower_case_are_that_unit():
    """What happened: a unit group or list filter typed ``?group=tn`` / ``?unit=tn`` was
    "there is no unit group 'tn'" (or found nothing), the stored code being TN."""
    from inspect_app.services import dashboards
    store = MemoryStore()
    unit_service.add_unit(store, "TN", "Xã Tân Nhựt")
    units = {u.code: u for u in store.list_units()}
    assert dashboards.dashboard_query({"checklist": "cchc-xa", "period": "2025",
                                       "group": "tn"}, units).group == "TN"
    assert unit_service.typed_code(store, " tn ") == "TN"
    assert unit_service.typed_codes(store, ["tn", "TN", "", "zz"]) == ["TN", "zz"]


def test_unit_and_user_names_are_stored_with_one_space_between_words():
    """A commune's name copied from a web page or a Word file carries a no-break space
    ("Xã\\u00a0Nông Thượng"); one copied from a spreadsheet a tab ("Xã\\tThiện Nghiệp").
    Both were stored as typed: the commune sorted and was told apart from the same name
    typed, and renaming it to its own name was taken. A name (of a unit, of a person) is
    stored with one space for every run of spaces, tabs and no-break spaces, whether it
    is added, imported or renamed; search folding finds it either way."""
    store = MemoryStore()
    assert unit_service.add_unit(store, "NT", "Xã\u00a0Nông  Thượng").name == "Xã Nông Thượng"
    result = unit_service.import_units(store, "code\tname\nTN\tXã\u00a0\u00a0Thiện\u00a0Nghiệp\n")
    assert [u.name for u in result] == ["Xã Thiện Nghiệp"]
    assert store.get_unit("TN").name == "Xã Thiện Nghiệp"
    unit_service.add_unit(store, "KL", "Xã\tKim \t Long")
    assert store.get_unit("KL").name == "Xã Kim Long"
    try:
        unit_service.rename_unit(store, "NT", " Xã\u00a0Nông\tThượng", "01/07/2025")
    except Invalid as refused:
        assert "already called Xã Nông Thượng" in str(refused.message)
    else:
        raise AssertionError("renaming a unit to its own name, spaced otherwise, is refused")
    assert [u.code for u in unit_service.list_units(store, "nong thuong")] == ["NT"]
    assert [u.code for u in unit_service.list_units(store)] == ["KL", "NT", "TN"]

    user = accounts.create_user(store, "xa.nt", "unit", unit="NT", password=PASSWORD,
                                full_name="Nguyễn\u00a0Văn\tAn")
    assert user.full_name == "Nguyễn Văn An"
