"""The dashboards (issue 15, point 1): every figure computed again here in plain Python on
a generated province (tests/dashboard_province.py), the ranking's counts under
hypothesis, what each role sees, the charts' markup and the workbook's content."""
from __future__ import annotations

import io
import re
import statistics
from collections import Counter, defaultdict

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_app.domain.access import Scope
from inspect_app.domain.models import ITEM_CLOSED_STATUSES, Inspection, Unit, User
from inspect_app.domain.periods import parse_period
from inspect_app.domain.remediation import plan_figures
from inspect_app.domain.units import successor
from inspect_app.exports import charts
from inspect_app.services import accounts
from inspect_app.services import dashboards as service
from inspect_app.services.inspections import scope_for
from inspect_app.storage.memory import MemoryStore

from .dashboard_province import CHECKLIST, CHECKLIST_ID, SNAPSHOT, TODAY, TZ, fill
from .support import PASSWORD, login

ROUND = service.DashboardQuery(CHECKLIST_ID, "2025", "inspection")


def build(store, scope, query=ROUND):
    return service.build(store, scope, query, today=TODAY, tz=TZ, escalate_after_days=30)


def admin_scope(store):
    return Scope(User("boss", "admin"))


@pytest.fixture
def province(app):
    store = app.extensions["store"]
    found = fill(store)
    for name, role, unit in (("boss", "admin", None), ("insp1", "inspector", None),
                             ("insp2", "inspector", None), ("look", "viewer", None),
                             ("xa2", "unit", "C02")):
        accounts.create_user(store, name, role, unit=unit, password=PASSWORD)
    found.store = store
    return found


def newest(records, **match):
    """The newest finalized record per unit among those matching (plain Python)."""
    best = {}
    for r in records:
        if all(getattr(r, k) == v for k, v in match.items()):
            if r.unit not in best or r.finalized_at > best[r.unit].finalized_at:
                best[r.unit] = r
    return best


# ---------------------------------------------------------------- the figures

def test_league_ranks_bands_and_units_not_inspected(province):
    d = build(province.store, admin_scope(province.store))
    chosen = newest(province.records.values(), period="2025", kind="inspection")
    percents = {u: r.score["percent"] for u, r in chosen.items()}
    assert {r.unit: r.percent for r in d.league.rows} == percents
    for row in d.league.rows:
        assert row.rank == 1 + sum(1 for p in percents.values() if p > row.percent)
        assert row.inspection == chosen[row.unit].id  # the newest, not the older one of C02
    assert dict(d.league.bands) == dict(Counter(r.score["band"] for r in chosen.values()))
    # C08 waits; M1 was merged away before 2025 and the districts are groups: not listed
    assert [code for code, _name in d.league.not_inspected] == ["C08"]


def test_heat_map_is_each_sections_percent(province):
    d = build(province.store, admin_scope(province.store))
    assert [sid for sid, _t in d.heat.sections] == ["s1", "s2"]
    for row in d.heat.rows:
        answers = province.records[row.inspection].answers
        for (sid, _title), shown in zip(d.heat.sections, row.percents):
            got = maximum = 0
            for criterion in CHECKLIST.section(sid).criteria:
                answer = answers[criterion.id]
                if answer.na:
                    continue
                maximum += float(criterion.points)
                got += (criterion.points if answer.value is True else 0) \
                    if criterion.type == "yesno" else answer.value
            assert shown == pytest.approx(100 * float(got) / float(maximum), abs=0.01)


def test_most_failed_criteria_share_and_points_lost(province):
    d = build(province.store, admin_scope(province.store))
    ranked = [province.records[r.inspection] for r in d.league.rows]
    expected = {}
    for criterion in CHECKLIST.criteria:
        short, applied, lost, names = 0, 0, 0.0, []
        for record in ranked:
            answer = record.answers[criterion.id]
            if answer.na:
                continue
            applied += 1
            got = (criterion.points if answer.value else 0) if criterion.type == "yesno" \
                else answer.value
            if got < criterion.points:
                short += 1
                lost += float(criterion.points - got)
                names.append(record.id)
        if short:
            expected[criterion.id] = (short, applied, round(100 * short / applied, 2), lost,
                                      sorted(names))
    got = {f.criterion: (f.units_short, f.units_scored, f.share, f.points_lost,
                         sorted(rid for _n, rid in f.records)) for f in d.failed}
    assert got == expected
    shares = [f.share for f in d.failed]
    assert shares == sorted(shares, reverse=True)


def test_trend_follows_merges_and_averages_the_province(province):
    d = build(province.store, admin_scope(province.store))
    assert d.trend.periods == ["2023", "2024", "2025"]
    assert d.trend.labels == ["Năm 2023", "Năm 2024", "Năm 2025"]
    per = defaultdict(list)
    for period in d.trend.periods:
        for unit, r in newest(province.records.values(), period=period,
                              kind="inspection").items():
            per[(successor(unit, province.units), period)].append(r.score["percent"])
    series = {s.unit: s for s in d.trend.units}
    assert "M1" not in series  # its records count under C01
    for (unit, period), values in per.items():
        index = d.trend.periods.index(period)
        assert series[unit].percents[index] == pytest.approx(statistics.mean(values), abs=0.01)
    for index, period in enumerate(d.trend.periods):
        means = [statistics.mean(v) for (u, p), v in per.items() if p == period]
        assert d.trend.province[index] == pytest.approx(statistics.mean(means), abs=0.01)
    assert series["C01"].former == ["Xã Sáp Nhập", "Xã An Bình Cũ"]


def test_trend_of_weeks_keeps_to_weeks_up_to_the_chosen_one(province):
    store = province.store
    base = next(iter(province.records.values()))
    for n, period in enumerate(("2025-W50", "2025-W51", "2025-W52", "2026-W01", "2026-W02",
                                "2025-Q4")):
        copy = Inspection.from_dict({**base.to_dict(), "id": f"wk{n}", "period": period,
                                     "kind": "self_check", "items": [],
                                     "finalized_at": f"2026-01-0{n + 1}T00:00:00+00:00"})
        copy.score = {**base.score, "percent": 50 + n}
        store.add_inspection(copy)
    d = build(store, admin_scope(store), service.DashboardQuery(CHECKLIST_ID, "2026-W01",
                                                                "self_check"))
    assert d.trend.periods == ["2025-W50", "2025-W51", "2025-W52", "2026-W01"]
    assert d.trend.province == [50, 51, 52, 53]


def test_gaps_compare_the_newest_self_check_and_inspection(province):
    d = build(province.store, admin_scope(province.store))
    inspections = newest(province.records.values(), period="2025", kind="inspection")
    selves = newest(province.records.values(), period="2025", kind="self_check")
    assert {g.unit for g in d.gaps} == set(inspections) & set(selves)
    for g in d.gaps:
        own, team = selves[g.unit], inspections[g.unit]
        assert g.gap_percent == pytest.approx(own.score["percent"] - team.score["percent"], abs=.01)
        points = {line["id"]: line["points"] for line in team.score["criteria"]}
        diffs = [line["points"] - points[line["id"]] for line in own.score["criteria"]
                 if line["points"] is not None and points.get(line["id"]) is not None]
        assert g.gap_points == pytest.approx(sum(diffs))
        assert g.overrated == sum(1 for x in diffs if x > 0)
    gaps = [g.gap_percent for g in d.gaps]
    assert gaps == sorted(gaps, reverse=True)


def test_remediation_counts_overdue_and_on_time_as_the_plan_figures_do(province):
    d = build(province.store, admin_scope(province.store))
    items = defaultdict(list)
    for record in province.records.values():
        if record.period == "2025" and record.kind == "inspection":
            items[record.unit].extend(record.items)
    rows = {r.unit: r for r in d.remediation.rows}
    assert set(rows) == {u for u, found in items.items() if found}
    for unit, found in items.items():
        if not found:
            continue
        row = rows[unit]
        assert row.counts == {s: sum(1 for i in found if i.status == s) for s in row.counts}
        assert row.overdue == sum(1 for i in found if i.status not in ITEM_CLOSED_STATUSES
                                  and i.due < TODAY.isoformat())
        figures = plan_figures(found, TZ)  # criterion 1.5's own count
        assert (row.needing_action, row.on_time, row.late) == (figures.total, figures.on_time,
                                                                figures.late)
    every = [i for found in items.values() for i in found]
    assert d.remediation.total.overdue == sum(r.overdue for r in rows.values())
    open_items = sorted((i for i in every if i.status in service.OPEN_STATUSES),
                        key=lambda i: (i.due, i.inspection, i.id))
    assert [line.item.id for line in d.remediation.oldest] == [i.id for i in open_items[:10]]
    late = [i for i in open_items if (TODAY - __import__("datetime").date.fromisoformat(i.due)).days > 30]
    assert d.remediation.escalated_count == len(late)
    assert all(line.days_overdue > 30 for line in d.remediation.escalated)


def test_a_unit_group_narrows_every_panel(province):
    d = build(province.store, admin_scope(province.store),
              service.DashboardQuery(CHECKLIST_ID, "2025", "inspection", "H2"))
    h2 = {"C06", "C07", "C08"}
    assert {r.unit for r in d.league.rows} == {"C06", "C07"}
    assert [r.rank for r in sorted(d.league.rows, key=lambda r: r.rank)][0] == 1
    assert [c for c, _n in d.league.not_inspected] == ["C08"]
    assert {s.unit for s in d.trend.units} <= h2
    assert {r.unit for r in d.remediation.rows} <= h2
    assert d.gaps == []  # the self-checks are of H1's communes


# ---------------------------------------------------------------- who sees what

def unit_codes_in(d: service.Dashboard) -> set[str]:
    return ({r.unit for r in d.league.rows} | {c for c, _n in d.league.not_inspected}
            | {r.unit for r in d.heat.rows} | {s.unit for s in d.trend.units}
            | {g.unit for g in d.gaps} | {r.unit for r in d.remediation.rows}
            | {line.item.unit for line in d.remediation.oldest + d.remediation.escalated})


@pytest.mark.parametrize("user, expected", [
    ("insp1", {"C01", "C02", "C03", "C04", "C05", "M1"}),
    ("insp2", {"C06", "C07", "C08"}),
    ("xa2", {"C02"}),
])
def test_each_role_sees_only_its_units(province, user, expected):
    store = province.store
    d = build(store, scope_for(store, store.get_user(user)))
    assert unit_codes_in(d) <= expected
    assert {r.unit for r in d.league.rows} == expected - {"M1", "C08"}
    if user == "xa2":  # the officer's own figures only: one row, its own items
        assert d.units_seen == 1 and d.failed and all(
            rid == d.league.rows[0].inspection for f in d.failed for _n, rid in f.records)


def test_the_page_of_a_commune_officer_names_no_other_unit(province, client):
    login(client, "xa2")
    response = client.get("/dashboards/", query_string={"checklist": CHECKLIST_ID,
                                                        "period": "2025"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Xã Bình Minh" in html  # C02 itself
    for unit in province.units.values():
        if unit.code != "C02":
            assert unit.name not in html, unit.name
            assert "&lt;b&gt;Xã Đông" not in html
    ids = {r.id for r in province.records.values() if r.unit != "C02"}
    assert not any(i in html for i in ids)


def test_the_page_shows_every_panel_escaped_and_in_vietnamese(province, client):
    login(client, "boss")
    response = client.get("/dashboards/", query_string={"checklist": CHECKLIST_ID,
                                                        "period": "2025"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for heading in ("Xếp hạng", "Điểm theo lĩnh vực", "Tiêu chí chưa đạt nhiều nhất",
                    "Xu hướng", "Tự kiểm tra so với kết quả kiểm tra", "Khắc phục",
                    "Đơn vị chưa được kiểm tra (1)", "Tải về tệp Excel"):
        assert heading in html, heading
    assert html.count("<svg") >= 6 and 'viewBox="0 0 360' in html
    assert "<b>Xã Đông" not in html and "&lt;b&gt;Xã Đông" in html
    assert re.search(r"\d+,\d\d%", html)  # 88,95% — the Vietnamese way
    assert ' style="' not in html.split("<main", 1)[-1]  # the CSP allows no style attributes
    # the most-failed criteria link to the finding on its section page
    assert re.search(r'href="/inspections/[\w]+/s/s\d#k-\d\.\d"', html)


@pytest.mark.parametrize("args, field, message", [
    ({"checklist": CHECKLIST_ID, "period": "năm ngoái"}, "period", "kỳ"),
    ({"checklist": CHECKLIST_ID, "period": "2025", "kind": "all"}, "kind", "kind"),
    ({"checklist": CHECKLIST_ID, "period": "2025", "group": "XX"}, "group", "nhóm đơn vị"),
    ({"period": "2025"}, "checklist", ""),
])
def test_bad_filters_are_refused_with_a_message(province, client, args, field, message):
    login(client, "boss")
    response = client.get("/dashboards/", query_string=args)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert client.get("/dashboards/dashboard.xlsx", query_string=args).status_code == 400


def test_without_filters_the_newest_round_is_shown(province, client):
    login(client, "look")
    html = client.get("/dashboards/").get_data(as_text=True)
    assert "Danh mục thống kê · Năm 2025" in html


# ---------------------------------------------------------------- the workbook

def test_the_workbook_has_a_sheet_per_panel(province, client):
    login(client, "boss")
    response = client.get("/dashboards/dashboard.xlsx",
                          query_string={"checklist": CHECKLIST_ID, "period": "2025"})
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[:3] == ["Xếp hạng", "Chưa được kiểm tra", "Điểm theo lĩnh vực"]
    league = list(book["Xếp hạng"].iter_rows(values_only=True))
    d = build(province.store, admin_scope(province.store))
    assert [row[1] for row in league[1:]] == [r.unit for r in d.league.rows]
    percent = league[0].index("Tỷ lệ")
    assert [row[percent] for row in league[1:]] == [pytest.approx(r.percent / 100)
                                                     for r in d.league.rows]
    assert book["Xếp hạng"].cell(2, percent + 1).number_format == "0.00%"
    # a unit name that looks like a formula is text, never a formula
    cells = [c for ws in book for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=1+1")]
    assert cells and all(c.data_type == "s" for c in cells)
    trend = list(book["Xu hướng"].iter_rows(values_only=True))
    assert trend[0][3:] == ("2023", "2024", "2025")
    assert trend[1][1] == "Toàn tỉnh (bình quân các đơn vị)"
    c01 = next(row for row in trend if row[0] == "C01")
    assert "Xã Sáp Nhập" in c01[2]
    remediation = list(book["Khắc phục theo đơn vị"].iter_rows(values_only=True))
    assert remediation[-1][1] == "Tất cả đơn vị"
    overdue = remediation[0].index("Quá hạn")
    assert remediation[-1][overdue] == sum(row[overdue] for row in remediation[1:-1])
    assert remediation[-1][2:8] == tuple(d.remediation.total.counts.values())


def test_a_commune_officers_workbook_holds_only_its_unit(province, client):
    login(client, "xa2")
    response = client.get("/dashboards/dashboard.xlsx",
                          query_string={"checklist": CHECKLIST_ID, "period": "2025"})
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    text = " ".join(str(v) for ws in book for row in ws.iter_rows(values_only=True)
                    for v in row if v is not None)
    assert "Xã Bình Minh" in text
    for unit in province.units.values():
        if unit.code != "C02":
            assert unit.name not in text


# ---------------------------------------------------------------- the ranking under hypothesis

@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 20).map(lambda n: n * 5.0)),
                min_size=1, max_size=12))
def test_league_counts_under_any_scores(percents):
    """Any set of units, some not inspected: every inspected unit once, competition
    ranks, the bands count every row, and the others are listed as not inspected."""
    store = MemoryStore()
    store.save_units(Unit(f"U{n:02d}", f"Xã {n:02d}") for n in range(len(percents)))
    for n, percent in enumerate(percents):
        if percent is None:
            continue
        band = next(b["label"] for b in CHECKLIST.data["bands"] if percent >= b["min"])
        store.add_inspection(Inspection(
            id=f"r{n}", unit=f"U{n:02d}", checklist=SNAPSHOT, period="2025", kind="inspection",
            status="finalized", created_at="2025-01-01T00:00:00+00:00",
            finalized_at="2025-02-01T00:00:00+00:00",
            score={"total": percent, "max": 100, "percent": percent, "band": band,
                   "sections": [], "criteria": []}))
    d = build(store, admin_scope(store))
    given_ = {f"U{n:02d}": p for n, p in enumerate(percents) if p is not None}
    assert {r.unit: r.percent for r in d.league.rows} == given_
    for row in d.league.rows:
        assert row.rank == 1 + sum(1 for p in given_.values() if p > row.percent)
    assert sum(count for _band, count in d.league.bands) == len(given_)
    assert {c for c, _n in d.league.not_inspected} == {
        f"U{n:02d}" for n, p in enumerate(percents) if p is None}
    best_first = [b for b, _c in d.league.bands]
    order = [b["label"] for b in CHECKLIST.data["bands"]]
    assert best_first == sorted(best_first, key=order.index)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["2023", "2024"]),
                          st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 2))),
                min_size=1, max_size=10))
def test_trend_against_plain_python(rows):
    """pandas' grouping equals a plain loop: the newest record per unit and period, B
    merged into A (without a date: in effect in every period, so B's records count as A's,
    as the ranking counts them), the province the mean of the units."""
    from inspect_app.domain.models import InspectionSummary

    units = {"A": Unit("A", "Xã A"), "B": Unit("B", "Xã B", merged_into="A"),
             "C": Unit("C", "Xã C")}
    summaries = [InspectionSummary(id=f"i{n}", unit=u, checklist_id="x", checklist_version="1",
                                   checklist_title="x", period=p, kind="inspection",
                                   status="finalized", team=[], created_by="", created_at="",
                                   finalized_at=f"2025-01-01T00:00:{n:02d}", percent=v)
                 for n, (u, p, v) in enumerate(rows)]
    trend = service.trend_of(summaries, units, parse_period("2024"))
    newest_of = {}
    for s in summaries:
        newest_of[("A" if s.unit == "B" else s.unit, s.period)] = s.percent  # later: newer
    merged = defaultdict(list)
    for (unit, period), value in newest_of.items():
        merged[(unit, period)].append(value)
    periods = sorted({p for _u, p in merged})
    assert trend.periods == periods
    for s in trend.units:
        for index, period in enumerate(periods):
            values = merged.get((s.unit, period))
            expected = round(statistics.mean(values), 2) if values else None
            assert s.percents[index] == (pytest.approx(expected, abs=0.006) if expected is not None else None)
    for index, period in enumerate(periods):
        means = [statistics.mean(v) for (u, p), v in merged.items() if p == period]
        assert trend.province[index] == pytest.approx(statistics.mean(means), abs=0.006)


# ---------------------------------------------------------------- the charts

def test_charts_escape_labels_scale_and_write_numbers_the_vietnamese_way():
    svg = charts.bars([("<script>alert(1)</script>", 88.95), ("Xã Đông", None)],
                      title="Xếp hạng & điểm", desc="mô tả")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'viewBox="0 0 360 ' in svg and "width=" not in svg.split(">", 1)[0]
    assert "88,95%" in svg and 'role="img"' in svg and "Xếp hạng &amp; điểm" in svg
    heat = charts.heat_map([("Xã A", [12.5, None])], ["I", "II"], title="t", desc="d")
    assert "12,50%" in heat and "–" in heat
    assert charts.shade(5) != charts.shade(95)
    stacked = charts.stacked_bars([("Xã A", [3, 1])], [("Chưa thực hiện", "#b2182b"),
                                                       ("Đã xác nhận", "#2166ac")],
                                  title="t", desc="d")
    assert ">4</text>" in stacked  # the total after the bar
    lines = charts.lines(["2024", "2025"], [("Toàn tỉnh", [80.0, None])], title="t", desc="d")
    assert "80,00%" in lines and "<polyline" not in lines  # one point: no line to draw
    assert charts.bars([], title="t", desc="d", empty="Chưa có") == \
        '<p class="meta chart-empty">Chưa có</p>'
    assert " style=" not in svg + heat + stacked + lines
