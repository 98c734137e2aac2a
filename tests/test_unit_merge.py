"""Units that merge and rename (issue 14 point 4): the history of the old communes follows
them into the new one, open remediation items move, and every refusal changes nothing."""
from __future__ import annotations

import datetime as _dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_app.domain.models import Inspection, RemediationItem, Unit
from inspect_app.services import Invalid
from inspect_app.services import inspections as inspection_service
from inspect_app.services import units as unit_service
from inspect_app.storage.memory import MemoryStore

from .dashboard_province import SNAPSHOT


def record(store, rid: str, unit: str, *, period: str = "2025", percent: float = 80.0,
           items: tuple[tuple[str, str], ...] = (), finalized_at="2025-05-01T03:00:00+00:00",
           kind: str = "inspection") -> Inspection:
    """A finalized record of ``unit`` straight into the store, with items (id, status)."""
    inspection = Inspection(
        id=rid, unit=unit, checklist=SNAPSHOT, period=period, kind=kind, status="finalized",
        created_at="2025-04-01T03:00:00+00:00", finalized_at=finalized_at,
        score={"total": percent, "max": 100, "percent": percent, "band": "Khá",
               "sections": [], "criteria": []},
        items=[RemediationItem(id=f"{rid}-{n}", inspection=rid, unit=unit, criterion=None,
                               finding=f"Việc {n}", status=status)
               for n, (_iid, status) in enumerate(items, 1)])
    store.add_inspection(inspection)
    return inspection


def province(store) -> None:
    store.save_units([Unit("H", "Huyện Cũ"), Unit("A", "Xã An", parent="H"),
                      Unit("B", "Xã Bình", parent="H"), Unit("N", "Xã Mới", parent="H"),
                      Unit("Z", "Xã Khác", parent="H")])


@pytest.fixture
def store():
    found = MemoryStore()
    province(found)
    record(found, "ra", "A", items=(("x", "open"), ("y", "verified"), ("z", "in_progress")))
    record(found, "rb", "B", percent=60.0, items=(("x", "done"),))
    record(found, "rn", "N", percent=70.0)
    return found


def snapshot(store) -> tuple:
    """Everything a merge could touch, to check a refusal changed nothing."""
    return ([u.to_dict() for u in sorted(store.list_units(), key=lambda u: u.code)],
            [store.get_inspection(s.id).to_dict() for s in store.list_inspections()],
            store.page_audit().total)


# ---------------------------------------------------------------- the service

def test_merge_points_old_units_at_the_new_one_and_moves_open_items(store):
    plan = unit_service.plan_merge(store, ["A", "B"], "N", "01/07/2025")
    assert (plan.on, plan.records, plan.open_items) == (
        "2025-07-01", {"A": 1, "B": 1}, {"A": 2, "B": 0})
    unit_service.merge_units(store, ["A", "B"], "N", "01/07/2025", by="quantri")
    a, b = store.get_unit("A"), store.get_unit("B")
    assert (a.merged_into, a.merged_on, b.merged_into, b.merged_on) == (
        "N", "2025-07-01", "N", "2025-07-01")
    items = {i.id: i for i in store.get_inspection("ra").items}
    assert {k: (i.unit, i.status) for k, i in items.items()} == {
        "ra-1": ("N", "open"), "ra-2": ("A", "verified"), "ra-3": ("N", "in_progress")}
    assert items["ra-1"].history[-1].detail == {"from": "A", "to": "N", "on": "2025-07-01"}
    assert not items["ra-2"].history  # closed items are untouched
    assert store.get_inspection("rb").items[0].unit == "B"  # done: closed, stays
    assert store.get_inspection("ra").unit == "A"  # the record stays the old unit's
    entry = store.page_audit().rows[0]
    assert (entry.action, entry.by, entry.target) == ("unit.merge", "quantri", "N")


@pytest.mark.parametrize("olds, into, on, message", [
    (["A"], "A", "01/07/2025", "cannot be merged into itself"),
    (["Q"], "N", "01/07/2025", "there is no unit 'Q'"),
    (["A"], "Q", "01/07/2025", "there is no unit 'Q'"),
    ([], "N", "01/07/2025", "at least one unit"),
    (["A"], "N", "31/02/2025", "must be a date DD/MM/YYYY"),
    (["A"], "N", "ngày mai", "must be a date DD/MM/YYYY"),
    (["A"], "N", "", "must be a date DD/MM/YYYY"),
])
def test_a_bad_merge_is_refused_and_changes_nothing(store, olds, into, on, message):
    before = snapshot(store)
    with pytest.raises(Invalid) as refused:
        unit_service.merge_units(store, olds, into, on)
    assert message in refused.value.message
    assert snapshot(store) == before


def test_a_merge_that_would_make_a_cycle_or_repeat_is_refused(store):
    unit_service.merge_units(store, ["A"], "N", "2025-07-01")
    before = snapshot(store)
    with pytest.raises(Invalid, match="cycle: N → A → N"):
        unit_service.merge_units(store, ["N"], "A", "2025-08-01")
    with pytest.raises(Invalid, match="already merged into N on 01/07/2025"):
        unit_service.merge_units(store, ["A"], "Z", "2025-08-01")
    with pytest.raises(Invalid, match="itself merged into N: merge into N"):
        unit_service.merge_units(store, ["Z"], "A", "2025-08-01")
    assert snapshot(store) == before


def test_rename_keeps_the_old_name_for_the_days_before(store):
    from inspect_app.domain.units import name_on

    unit = unit_service.rename_unit(store, "N", "Phường Mới", "15/09/2025", by="quantri")
    assert unit.former_names == [{"name": "Xã Mới", "until": "2025-09-14"}]
    stored = store.get_unit("N")
    assert (name_on(stored, "2025-09-14"), name_on(stored, "2025-09-15")) == (
        "Xã Mới", "Phường Mới")
    assert stored.parent == "H"
    # an edit of the unit (units add) keeps its former names
    unit_service.add_unit(store, "N", "Phường Mới", "H", "1 Đường Lớn")
    assert store.get_unit("N").former_names == unit.former_names


@pytest.mark.parametrize("code, name, on, message", [
    ("Q", "Xã Q", "01/01/2026", "there is no unit 'Q'"),
    ("N", "Xã Mới", "01/01/2026", "already called"),
    ("N", "", "01/01/2026", "name is empty"),
    ("N", "Xã Mới 2", "2026-13-01", "must be a date"),
])
def test_a_bad_rename_is_refused_and_changes_nothing(store, code, name, on, message):
    before = snapshot(store)
    with pytest.raises(Invalid) as refused:
        unit_service.rename_unit(store, code, name, on)
    assert message in refused.value.message
    assert snapshot(store) == before


def test_a_rename_before_the_last_one_and_of_a_merged_unit_are_refused(store):
    unit_service.rename_unit(store, "N", "Phường Mới", "15/09/2025")
    unit_service.merge_units(store, ["A"], "N", "2025-07-01")
    before = snapshot(store)
    with pytest.raises(Invalid, match="after the last renaming"):
        unit_service.rename_unit(store, "N", "Phường Mới Hơn", "01/09/2025")
    with pytest.raises(Invalid, match="was merged into N"):
        unit_service.rename_unit(store, "A", "Xã An Mới", "01/09/2025")
    assert snapshot(store) == before


# ---------------------------------------------------------------- units CSV import

def test_the_csv_import_takes_the_tree_and_merges(store):
    units = unit_service.import_units(store, (
        "mã,tên,cấp trên,sáp nhập vào,ngày sáp nhập\n"
        "T,Tỉnh,,,\nH,Huyện Cũ,T,,\nA,Xã An,H,N,01/07/2025\nC,Xã Cũ,H,N,2025-07-01\n"))
    assert {u.code for u in units} == {"T", "H", "A", "C"}
    assert store.get_unit("H").parent == "T"
    assert (store.get_unit("A").merged_into, store.get_unit("A").merged_on) == ("N", "2025-07-01")
    assert store.get_unit("C").merged_on == "2025-07-01"
    # A's open items moved as with units merge
    assert {i.unit for i in store.get_inspection("ra").items if i.status != "verified"} == {"N"}
    # a file without the merge columns keeps the stored merge
    unit_service.import_units(store, "code,name,parent\nA,Xã An Cũ,H\n")
    assert store.get_unit("A").merged_into == "N" and store.get_unit("A").name == "Xã An Cũ"


@pytest.mark.parametrize("rows, message", [
    ("A,Xã An,H,A,01/07/2025", "line 2: a unit cannot be merged into itself"),
    ("A,Xã An,H,Q,01/07/2025", "line 2: merged_into 'Q' is not a known unit code"),
    ("A,Xã An,H,N,", "line 2: merged_into 'N' needs merged_on"),
    ("A,Xã An,H,,01/07/2025", "line 2: merged_on is given without merged_into"),
    ("A,Xã An,H,N,1.7.2025", "line 2: merged_on must be a date"),
    ("A,Xã An,H,B,01/07/2025\nB,Xã Bình,H,A,01/07/2025", "cycle"),
    ("Z,Xã Khác,H,B,01/07/2025", "line 2: Z was already merged into N: a file cannot merge"),
])
def test_a_bad_merge_in_the_csv_rejects_the_file(store, rows, message):
    unit_service.merge_units(store, ["Z"], "N", "01/07/2025")
    before = snapshot(store)
    with pytest.raises(Invalid) as refused:
        unit_service.import_units(store, "code,name,parent,merged_into,merged_on\n" + rows + "\n")
    assert message in refused.value.message
    assert snapshot(store) == before


# ---------------------------------------------------------------- the command line

def test_units_merge_and_rename_from_the_command_line(app, runner):
    store = app.extensions["store"]
    province(store)
    record(store, "ra", "A", items=(("x", "open"),))
    result = runner.invoke(args=["units", "merge", "A", "B", "--into", "N", "--on", "01/07/2025",
                                 "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "A → N (2025-07-01): 1 record(s), 1 open item(s)" in result.output
    assert store.get_unit("A").merged_into is None  # a dry run changes nothing
    result = runner.invoke(args=["units", "merge", "A", "B", "--into", "N", "--on", "01/07/2025"])
    assert result.exit_code == 0, result.output
    assert "merged 2 unit(s) into N on 2025-07-01" in result.output
    assert store.get_inspection("ra").items[0].unit == "N"
    result = runner.invoke(args=["units", "rename", "N", "Phường Mới", "--on", "2025-09-15"])
    assert result.exit_code == 0, result.output
    assert store.get_unit("N").former_names == [{"name": "Xã Mới", "until": "2025-09-14"}]


@pytest.mark.parametrize("args, message", [
    (["merge", "A", "--into", "A", "--on", "01/07/2025"], "không thể sáp nhập vào chính nó"),
    (["merge", "A", "--into", "N", "--on", "32/07/2025"], "phải là một ngày"),
    (["merge", "Q", "--into", "N", "--on", "01/07/2025"], "không có đơn vị 'Q'"),
    (["rename", "Q", "Xã Q", "--on", "01/07/2025"], "không có đơn vị 'Q'"),
    (["rename", "N", "Xã Mới", "--on", "01/07/2025"], "đã mang tên"),
])
def test_a_refused_command_says_why_in_vietnamese_and_exits_2(app, runner, args, message):
    store = app.extensions["store"]
    province(store)
    before = snapshot(store)
    result = runner.invoke(args=["units", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert snapshot(store) == before


# ---------------------------------------------------------------- history follows the merge

@pytest.fixture
def merged(app):
    """A province where A and B were merged into N on 01/07/2025 (and N renamed on
    15/09/2025): records of 2024 and 2025 of A, B, N; a user of every role."""
    from inspect_app.services import accounts

    from .support import PASSWORD

    store = app.extensions["store"]
    province(store)
    record(store, "a24", "A", period="2024", percent=90.0, finalized_at="2024-11-01T03:00:00+00:00")
    record(store, "ra", "A", percent=85.0, items=(("x", "open"), ("y", "verified")))
    record(store, "rb", "B", percent=60.0, finalized_at="2025-04-01T03:00:00+00:00")
    record(store, "rn", "N", percent=70.0, finalized_at="2025-03-01T03:00:00+00:00")
    record(store, "rz", "Z", percent=50.0)
    for name, role, unit in (("quantri", "admin", None), ("xa_n", "unit", "N"),
                             ("xa_z", "unit", "Z"), ("xa_a", "unit", "A"),
                             ("xem", "viewer", None)):
        accounts.create_user(store, name, role, unit=unit, password=PASSWORD)
    unit_service.merge_units(store, ["A", "B"], "N", "01/07/2025")
    unit_service.rename_unit(store, "N", "Phường Mới", "15/09/2025")
    return store


def scope_of(store, username):
    from inspect_app.services.inspections import scope_for
    return scope_for(store, store.get_user(username))


def test_the_new_units_user_sees_the_old_units_records(merged):
    from inspect_app.services import inspections as service

    seen = {s.id for s in service.visible(merged, scope_of(merged, "xa_n"))}
    assert seen == {"a24", "ra", "rb", "rn"}
    assert {s.id for s in service.visible(merged, scope_of(merged, "xa_z"))} == {"rz"}
    n = scope_of(merged, "xa_n")
    ra = merged.get_inspection("ra")
    assert n.can_view(ra) and n.can_view_unit("A") and n.can_update_item(ra)
    assert not scope_of(merged, "xa_z").can_view(ra)
    # a list of the new unit lists its history; of the old unit, only its own records
    admin = scope_of(merged, "quantri")
    assert {s.id for s in service.visible(merged, admin, unit="N")} == {"a24", "ra", "rb", "rn"}
    assert {s.id for s in service.visible(merged, admin, unit="A")} == {"a24", "ra"}


def test_rankings_put_the_merged_units_records_under_the_successor(merged):
    from inspect_app.services import rankings

    admin = scope_of(merged, "quantri")
    rows = rankings.ranking(merged, admin, rankings.RankingQuery("t-dash", "2025"))
    by_unit = {r["unit"]: r for r in rows["rows"]}
    assert set(by_unit) == {"N", "Z"}  # one row per unit today: A and B rank as N
    row = by_unit["N"]
    # N's newest record of 2025 is A's (finalized last), shown with A's name
    assert (row["inspection"], row["unit_name"], row["recorded_unit"], row["recorded_name"]) == (
        "ra", "Phường Mới", "A", "Xã An")
    assert (row["rank"], by_unit["Z"]["rank"]) == (1, 2)
    assert rows["not_inspected"] == []  # neither the merged units nor the district H wait
    # a period that ended before the merge ranks the old units as themselves
    old = rankings.ranking(merged, admin, rankings.RankingQuery("t-dash", "2024"))
    assert [(r["unit"], r["unit_name"]) for r in old["rows"]] == [("A", "Xã An")]
    assert "recorded_unit" not in old["rows"][0]
    assert "A" not in old["not_inspected"] and "N" in old["not_inspected"]
    # the unit's own user sees the same row
    mine = rankings.ranking(merged, scope_of(merged, "xa_n"), rankings.RankingQuery("t-dash", "2025"))
    assert [r["inspection"] for r in mine["rows"]] == ["ra"]


def test_the_dashboards_trend_follows_the_merge(merged):
    from inspect_app.domain.periods import parse_period
    from inspect_app.services import dashboards

    units = {u.code: u for u in merged.list_units()}
    history = [s for s in merged.list_inspections() if s.status == "finalized"]
    trend = dashboards.trend_of(history, units, parse_period("2025"))
    assert {s.unit for s in trend.units} == {"N", "Z"}
    n = next(s for s in trend.units if s.unit == "N")
    # 2025 (the merge by its end): N's figure is the ranking's, its newest record (A's)
    assert n.percents[-1] == 85.0
    assert n.percents[0] == 90.0  # 2024 (before the merge): A's, drawn on N's line


def test_a_merged_unit_gets_no_new_records(merged, app):
    from inspect_app.services import commands
    from inspect_app.services import inspections as service

    before = len(merged.list_inspections())
    for who, kind in (("quantri", "inspection"), ("quantri", "self_check"), ("xa_a", "self_check")):
        with pytest.raises(Invalid) as refused:
            service.start(merged, app.extensions["checklists"], scope_of(merged, who),
                          commands.StartRequest(unit="A", checklist="cchc-xa", period="2025",
                                                kind=kind))
        assert "was merged into Phường Mới on 01/07/2025" in refused.value.message
    assert len(merged.list_inspections()) == before
    options = service.start_options(merged, app.extensions["checklists"],
                                    scope_of(merged, "quantri"), "inspection",
                                    _dt.date(2025, 8, 1))
    assert {u.code for u in options.units} == {"H", "N", "Z"}


def test_pages_list_the_history_under_the_new_unit_with_the_old_names(merged, client):
    from .support import login

    login(client, "xa_n")
    page = client.get("/inspections/").get_data(as_text=True)
    assert "Xã An" in page and "Xã Bình" in page
    assert "Xã Mới" in page  # N's record of March, before its renaming
    assert "Xã Khác" not in page
    assert client.get("/inspections/ra").status_code == 200
    assert client.get("/inspections/rz").status_code == 404


def test_the_unit_page_of_the_new_unit_lists_the_old_units_records(merged, client):
    from .support import login

    login(client, "quantri")
    page = client.get("/units/N").get_data(as_text=True)
    for rid in ("a24", "ra", "rb", "rn"):
        assert f"/inspections/{rid}" in page
    assert "Xã An" in page and "Xã Bình" in page and "Xã Mới" in page
    old = client.get("/units/A").get_data(as_text=True)
    assert "/inspections/rb" not in old and "Phường Mới" in old
    assert "/inspections/new?unit=A" not in old  # no new inspection of a merged unit


# ---------------------------------------------------------------- the units page

def test_merge_in_the_web_app_shows_what_moves_then_merges(app, client):
    from inspect_app.services import accounts

    from .support import PASSWORD, csrf_of, login

    store = app.extensions["store"]
    province(store)
    record(store, "ra", "A", items=(("x", "open"), ("y", "verified"), ("z", "in_progress")))
    record(store, "rb", "B")
    accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    login(client, "quantri")
    form = client.get("/units/merge").get_data(as_text=True)
    assert 'name="olds"' in form and "Xã An" in form
    data = {"csrf_token": csrf_of(form), "olds": ["A", "B"], "into": "N", "on": "01/07/2025"}
    confirm = client.post("/units/merge", data=data)
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Xác nhận sáp nhập" in page
    assert "Xã An" in page and "Xã Bình" in page and "01/07/2025" in page
    assert store.get_unit("A").merged_into is None  # nothing changed before confirming
    moving = re.findall(r'data-unit="(\w+)" data-records="(\d+)" data-items="(\d+)"', page)
    assert moving == [("A", "1", "2"), ("B", "1", "0")]  # A: 1 record, 2 open items; B: none
    assert "Tổng cộng: 2 phiếu đi theo, 2 việc chưa xong được chuyển." in page
    done = client.post("/units/merge", data={**data, "csrf_token": csrf_of(page), "confirm": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/units/N")
    assert store.get_unit("A").merged_into == "N" and store.get_unit("B").merged_on == "2025-07-01"
    assert "2 phiếu đi theo, 2 việc chưa xong" in client.get("/units/N").get_data(as_text=True)
    entry = store.page_audit().rows[0]
    assert (entry.action, entry.by, entry.target, entry.after["units"]) == (
        "unit.merge", "quantri", "N", ["A", "B"])
    log = client.get("/audit/").get_data(as_text=True)
    assert "Sáp nhập đơn vị" in log and "Việc chưa xong đã chuyển" in log


@pytest.mark.parametrize("data, message", [
    ({"olds": ["A"], "into": "A", "on": "01/07/2025"}, "không thể sáp nhập vào chính nó"),
    ({"olds": ["A"], "into": "N", "on": "1 tháng 7"}, "phải là một ngày dạng DD/MM/YYYY"),
    ({"olds": ["A", "Q"], "into": "N", "on": "01/07/2025"}, "không có đơn vị &#39;Q&#39;"),
    ({"into": "N", "on": "01/07/2025"}, "hãy chọn ít nhất một đơn vị"),
    ({"olds": ["A"], "on": "01/07/2025"}, "hãy chọn đơn vị được sáp nhập vào"),
    ({"olds": ["A"], "into": "<b>x</b>", "on": "01/07/2025", "confirm": "1"},
     "không có đơn vị &#39;&lt;b&gt;x&lt;/b&gt;&#39;"),
])
def test_a_bad_merge_in_the_web_app_says_why_and_changes_nothing(app, client, data, message):
    from inspect_app.services import accounts

    from .support import PASSWORD, csrf_of, login

    store = app.extensions["store"]
    province(store)
    accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    login(client, "quantri")
    before = snapshot(store)
    token = csrf_of(client.get("/units/merge").get_data(as_text=True))
    response = client.post("/units/merge", data={**data, "csrf_token": token, "confirm": "1"})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot(store) == before


def test_a_merge_without_the_csrf_token_is_refused(app, client):
    from inspect_app.services import accounts

    from .support import PASSWORD, login

    store = app.extensions["store"]
    province(store)
    accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    login(client, "quantri")
    before = snapshot(store)
    response = client.post("/units/merge", data={"olds": ["A"], "into": "N", "on": "01/07/2025",
                                                 "confirm": "1"})
    assert response.status_code == 400
    assert snapshot(store) == before


def test_rename_in_the_web_app(app, client):
    from inspect_app.services import accounts

    from .support import PASSWORD, csrf_of, login

    store = app.extensions["store"]
    province(store)
    record(store, "rn", "N")
    accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    login(client, "quantri")
    page = client.get("/units/N").get_data(as_text=True)
    token = csrf_of(page)
    bad = client.post("/units/N/rename", data={"csrf_token": token, "name": "Phường Mới",
                                               "on": "31/06/2025"}, follow_redirects=True)
    assert "phải là một ngày" in bad.get_data(as_text=True)
    assert store.get_unit("N").name == "Xã Mới"
    done = client.post("/units/N/rename", data={"csrf_token": token, "name": "Phường Mới",
                                                "on": "15/09/2025"}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "N mang tên Phường Mới từ ngày 15/09/2025" in text
    assert "Tên cũ: Xã Mới" in text
    assert "Xã Mới · Danh mục thống kê" in text  # the record of May keeps the old name
    assert store.get_unit("N").former_names == [{"name": "Xã Mới", "until": "2025-09-14"}]
    assert client.post("/units/Q/rename", data={"csrf_token": token, "name": "X",
                                                "on": "15/09/2025"}).status_code == 404


# ---------------------------------------------------------------- every store

def _merge_round_trip(store):
    province(store)
    record(store, "ra", "A", items=(("x", "open"), ("y", "verified")))
    unit_service.merge_units(store, ["A"], "N", "01/07/2025")
    unit_service.rename_unit(store, "N", "Phường Mới", "15/09/2025")
    a, n = store.get_unit("A"), store.get_unit("N")
    assert (a.merged_into, a.merged_on) == ("N", "2025-07-01")
    assert n.former_names == [{"name": "Xã Mới", "until": "2025-09-14"}]
    assert {u.code: u.merged_into for u in store.list_units()}["A"] == "N"
    assert [i.unit for i in store.get_inspection("ra").items] == ["N", "A"]
    assert [e.action for e in store.page_audit().rows] == ["unit.rename", "unit.merge"]
    assert store.unit_merges() == {"A": "N"}
    before = snapshot(store)
    with pytest.raises(Invalid):
        unit_service.merge_units(store, ["N"], "A", "01/08/2025")
    assert snapshot(store) == before


@pytest.mark.every_store
def test_merge_and_rename_on_the_memory_and_postgres_stores(app):
    _merge_round_trip(app.extensions["store"])


@pytest.mark.tinydb
def test_merge_and_rename_on_the_file_store(app):
    _merge_round_trip(app.extensions["store"])


def test_an_assessment_round_leaves_merged_units_out(merged, app):
    from inspect_app.services import assessments

    library = app.extensions["checklists"]
    admin = scope_of(merged, "quantri")
    before = len(merged.list_inspections())
    with pytest.raises(Invalid, match="merged into others and get no new records: A"):
        assessments.open_round(merged, library, admin, checklist="cchc-xa", period="2026",
                               units=["A", "N"], self_due=_dt.date(2099, 3, 31),
                               explain_due=_dt.date(2099, 5, 31))
    assert len(merged.list_inspections()) == before
    opened = assessments.open_round(merged, library, admin, checklist="cchc-xa", period="2026",
                                    units=None, self_due=_dt.date(2099, 3, 31),
                                    explain_due=_dt.date(2099, 5, 31))
    assert set(opened.records) == {"H", "N", "Z"}


def test_an_export_of_the_new_unit_holds_its_history(merged, app):
    from inspect_app.exports import workbook
    from inspect_app.services import exports as export_service

    with app.test_request_context():
        report = export_service.report(merged, scope_of(merged, "quantri"),
                                       workbook.Filters(units=("N",)))
        cells = {str(value) for _key, row in report.rows() for value in row.cells}
    assert {"Xã An", "Xã Bình"} <= cells and "Xã Khác" not in cells


def test_the_new_units_user_carries_out_a_moved_item_and_the_inspector_sees_history(
        merged, client, api):
    from inspect_app.domain.models import TeamMember
    from inspect_app.services import accounts

    from .support import PASSWORD

    item = merged.get_inspection("ra").item("ra-1")
    assert item.unit == "N"
    response = api("xa_n").patch("ra-1", item.rev, progress_note="Đã giao công chức thực hiện")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert api("xa_z").patch("ra-1", item.rev + 1, progress_note="x").status_code == 404
    # an inspector on the team of an inspection of N sees the history of N
    accounts.create_user(merged, "tra", "inspector", password=PASSWORD)
    record(merged, "rn2", "N", period="2026")
    merged.update_inspection("rn2", lambda r: r.team.append(TeamMember("tra", "lead")))
    seen = {s.id for s in inspection_service.visible(merged, scope_of(merged, "tra"))}
    assert seen == {"a24", "ra", "rb", "rn", "rn2"}


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from("ABCDEF"), st.sampled_from("ABCDEFG"), max_size=6),
       st.sets(st.sampled_from("ABCDEFG"), min_size=1, max_size=3))
def test_history_from_the_merges_alone_equals_history_codes(merges, codes):
    """What a request computes from ``Store.unit_merges`` equals ``history_codes`` over
    every unit, loops and chains included."""
    from inspect_app.domain.units import history_codes, merged_into_any

    units = {c: Unit(c, c, merged_into=merges.get(c)) for c in "ABCDEFG"}
    expected = set().union(*(history_codes(c, units) for c in codes))
    assert merged_into_any(codes, merges) == expected


def test_every_store_lists_its_merges(tmp_path):
    from inspect_app.storage.tinydb_store import TinyDBStore

    for store in (MemoryStore(), TinyDBStore(tmp_path / "data")):
        province(store)
        assert store.unit_merges() == {}
        unit_service.merge_units(store, ["A", "B"], "N", "01/07/2025")
        assert store.unit_merges() == {"A": "N", "B": "N"}


@pytest.mark.parametrize("finalized_at, shown", [
    ("2025-09-14T16:59:59+00:00", "Xã Mới"),  # 23:59 on 14/09 in Vietnam: the old name
    ("2025-09-14T17:00:00+00:00", None),  # 00:00 on 15/09 in Vietnam: today's name
])
def test_the_name_on_a_records_day_is_taken_in_vietnam_time(store, finalized_at, shown):
    from inspect_app.domain.access import Scope
    from inspect_app.domain.models import User
    from inspect_app.services import rankings

    record(store, "rn2", "N", finalized_at=finalized_at)
    unit_service.rename_unit(store, "N", "Phường Mới", "15/09/2025")
    ranked = rankings.ranking(store, Scope(User("boss", "admin")),
                              rankings.RankingQuery("t-dash", "2025"))
    row = next(r for r in ranked["rows"] if r["unit"] == "N")
    assert row["inspection"] == "rn2" and row.get("recorded_name") == shown


def test_the_new_units_remediation_list_holds_the_moved_items(merged, app):
    from .support import login

    page = login(app.test_client(), "xa_n").get("/remediation/").get_data(as_text=True)
    assert "Việc 1" in page and "Việc 2" in page  # A's plan is part of N's now
    other = login(app.test_client(), "xa_z").get("/remediation/").get_data(as_text=True)
    assert "Việc 1" not in other


def test_unit_names_are_escaped_on_the_merge_pages(app, client):
    from inspect_app.services import accounts

    from .support import PASSWORD, csrf_of, login

    store = app.extensions["store"]
    store.save_units([Unit("A", "<script>alert(1)</script>"), Unit("N", "Xã <b>Mới</b>")])
    accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    login(client, "quantri")
    form = client.get("/units/merge").get_data(as_text=True)
    confirm = client.post("/units/merge", data={"csrf_token": csrf_of(form), "olds": ["A"],
                                                "into": "N", "on": "01/07/2025"})
    unit_service.merge_units(store, ["A"], "N", "01/07/2025")
    for page in (form, confirm.get_data(as_text=True), client.get("/units/A").get_data(as_text=True),
                 client.get("/units/N").get_data(as_text=True)):
        assert "<script>alert(1)</script>" not in page and "<b>Mới</b>" not in page
        assert "&lt;script&gt;" in page or "&lt;b&gt;" in page


def test_a_merged_unit_takes_no_new_users_but_keeps_its_own(store):
    """A commune officer of an old commune keeps their account (and may be edited); a new
    account, or moving another one, onto the merged commune is refused with a message."""
    from inspect_app.i18n import translate
    from inspect_app.services import accounts
    from inspect_app.services.commands import UserEdit

    accounts.create_user(store, "quantri", "admin", password="mat-khau-dai-du")
    accounts.create_user(store, "canbo_a", "unit", unit="A", password="mat-khau-dai-du")
    accounts.create_user(store, "canbo_z", "unit", unit="Z", password="mat-khau-dai-du")
    unit_service.merge_units(store, ["A"], "N", "01/07/2025", by="quantri")
    admin = store.get_user("quantri")
    with pytest.raises(Invalid) as refused:
        accounts.create_user(store, "moi", "unit", unit="A", password="mat-khau-dai-du")
    assert translate(refused.value.message, "vi") == (
        "đơn vị A đã được sáp nhập vào Xã Mới (N) từ ngày 01/07/2025: hãy gắn người dùng với Xã Mới (N)")
    assert store.get_user("moi") is None
    with pytest.raises(Invalid):
        accounts.edit_user(store, admin, "canbo_z", UserEdit("Cán bộ Z", "", "unit", "A", True))
    assert store.get_user("canbo_z").unit == "Z"
    edited = accounts.edit_user(store, admin, "canbo_a",
                                UserEdit("Cán bộ xã An", "Công chức", "unit", "A", True))
    assert (edited.full_name, edited.unit) == ("Cán bộ xã An", "A")
    assert accounts.edit_user(store, admin, "canbo_a",
                              UserEdit("Cán bộ xã An", "", "unit", "N", True)).unit == "N"


def test_items_of_a_draft_finalized_after_its_unit_merged_carry_the_new_unit(
        app, make_inspection):
    """An inspection of Xã XA is still a draft when the admin merges XA into Xã Mới (XM);
    the team finishes and finalizes it afterwards. The merge promised that open
    remediation items carry the new unit (docs/units.md: "open items carry the new unit
    (digests and reminders of its users)"), as the items that existed on the merge day
    were moved. What happens: the items this finalize creates carry the merged-away XA
    (domain/remediation.py takes ``inspection.unit``), so the dashboards' remediation
    panel counts them under the old commune's name beside XM's moved items, and they
    never move: a later merge of XM only moves items whose unit is XM."""
    from inspect_app.services import commands
    from inspect_app.services import inspections as service
    from inspect_app.services import units as unit_service

    from .support import op

    store = app.extensions["store"]
    draft = make_inspection(unit="XA")
    unit_service.add_unit(store, "XM", "Xã Mới")
    lead = service.scope_for(store, store.get_user("lead"))
    service.save_answer(store, lead, draft.id, commands.AnswerOp(
        op_id=op(), criterion="1.6", base_rev=0, value=False))
    unit_service.merge_units(store, ["XA"], "XM", "01/07/2025")
    service.finalize(store, lead, draft.id, commands.FinalizeOp(op_id=op(), allow_unanswered=True))
    items = store.get_inspection(draft.id).items
    assert items, "the shortcomings became items"
    assert {item.unit for item in items} == {"XM"}, (
        f"open items created after the merge carry {sorted({i.unit for i in items})}")


def test_a_second_merge_moves_the_items_the_first_merge_gave_the_unit(app, make_inspection):
    """Xã XA's finalized inspection has open items; XA is merged into XM (the items move
    to XM, as promised). A year later XM is merged in turn into XN. The admin expects the
    confirmation to count those open items and the merge to move them to XN. The plan
    said 0 and they stayed with the merged-away XM (services/units.py _with_open_items
    looked for records whose own unit is merged, not items whose unit is)."""
    from inspect_app.services import commands
    from inspect_app.services import inspections as service
    from inspect_app.services import units as unit_service

    from .support import op

    store = app.extensions["store"]
    record = make_inspection(unit="XA")
    unit_service.add_unit(store, "XM", "Xã Mới")
    unit_service.add_unit(store, "XN", "Xã Mới Hơn")
    lead = service.scope_for(store, store.get_user("lead"))
    service.save_answer(store, lead, record.id, commands.AnswerOp(
        op_id=op(), criterion="1.6", base_rev=0, value=False))
    service.finalize(store, lead, record.id, commands.FinalizeOp(op_id=op(), allow_unanswered=True))
    unit_service.merge_units(store, ["XA"], "XM", "01/07/2025")
    moved = store.get_inspection(record.id).items
    assert moved and {i.unit for i in moved} == {"XM"}  # the first merge moved them
    plan = unit_service.plan_merge(store, ["XM"], "XN", "01/07/2026")
    unit_service.merge_units(store, ["XM"], "XN", "01/07/2026")
    units = {i.unit for i in store.get_inspection(record.id).items}
    assert (plan.open_items["XM"], units) == (len(moved), {"XN"}), (
        f"the confirmation counted {plan.open_items['XM']} of {len(moved)} open items; "
        f"they carry {sorted(units)} after the second merge")


def test_excel_summary_ranks_a_merged_commune_like_the_rankings_page(app):
    """Xã An and Xã Bình were merged into Xã Mới on 01/07/2025; all three had a finalized
    2025 record, as did Xã Khác. The rankings page (DESIGN §11, services/rankings.py)
    ranks the merged communes under their successor: Xã Mới 1st (its newest record, Xã
    An's 85 %), Xã Khác 2nd. The province exports the round to Excel and the summary
    sheet says Xã Khác is 4th: the workbook ranks the old communes as units of their own."""
    from inspect_app.exports.workbook import Filters
    from inspect_app.services import accounts
    from inspect_app.services import exports as export_service
    from inspect_app.services import inspections as service
    from inspect_app.services import units as unit_service
    from inspect_app.services.rankings import RankingQuery, ranking

    from .support import PASSWORD

    store = app.extensions["store"]
    province(store)
    record(store, "ra", "A", percent=85.0, finalized_at="2025-06-01T03:00:00+00:00")
    record(store, "rb", "B", percent=60.0, finalized_at="2025-04-01T03:00:00+00:00")
    record(store, "rn", "N", percent=70.0, finalized_at="2025-03-01T03:00:00+00:00")
    record(store, "rz", "Z", percent=50.0)
    unit_service.merge_units(store, ["A", "B"], "N", "01/07/2025")
    admin = accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    scope = service.scope_for(store, admin)

    checklist_id = SNAPSHOT["id"]
    page = {r["inspection"]: r["rank"] for r in ranking(
        store, scope, RankingQuery(checklist_id, "2025"))["rows"]}
    assert page == {"ra": 1, "rz": 2}
    report = export_service.report(store, scope, Filters(period="2025"))
    excel = {row.cells[1]: row.cells[-1] for key, row in report.rows() if key == "summary"}
    assert excel["Z"] == page["rz"], f"Xã Khác is {excel['Z']} in Excel, {page['rz']} on the page"
    assert excel["A"] == 1
    assert {excel["B"], excel["N"]} == {None}, "the merged communes' older records are ranked"


def test_dashboard_counts_the_units_its_league_is_about(app):
    """Xã An and Xã Bình were merged into Xã Mới on 01/07/2025 under Huyện Cũ; Xã Mới
    and Xã Khác have their 2025 results. The dashboard's league ranks those two and
    waits for nobody, yet the heading says "5 đơn vị trong phạm vi xem": it counts the
    district (never ranked among its communes) and the two communes merged away (never
    waited for) — services/dashboards.py build: units_seen=len(seen)."""
    import datetime as _dt

    from inspect_app.services import accounts, dashboards
    from inspect_app.services import inspections as service
    from inspect_app.services import units as unit_service

    from .support import PASSWORD

    store = app.extensions["store"]
    province(store)
    record(store, "ra", "A", percent=85.0, finalized_at="2025-06-01T03:00:00+00:00")
    record(store, "rb", "B", percent=60.0)
    record(store, "rz", "Z", percent=50.0)
    unit_service.merge_units(store, ["A", "B"], "N", "01/07/2025")
    admin = accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    scope = service.scope_for(store, admin)
    d = dashboards.build(store, scope, dashboards.DashboardQuery(SNAPSHOT["id"], "2025"),
                         today=_dt.date(2026, 1, 10), tz="Asia/Ho_Chi_Minh",
                         escalate_after_days=30)
    assert [r.unit for r in d.league.rows] == ["N", "Z"] and d.league.not_inspected == []
    assert d.units_seen == len(d.league.rows) + len(d.league.not_inspected), (
        f"{d.units_seen} units in view, the league is about "
        f"{len(d.league.rows) + len(d.league.not_inspected)}")
