"""The home page, rankings and dashboards give a leader the same figures: one row and rank per
unit, the round's own items, a merged commune paired under its successor, on time as 1.5 counts it."""
from __future__ import annotations

import re
import uuid

import pytest

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, login


def _inspect(store, library, lead, unit, value):
    inspection = service.start(store, library, lead, commands.StartRequest(
        unit=unit, checklist="cchc-xa", period="2025", kind="inspection"))
    service.save_answer(store, lead, inspection.id, commands.answer_op(
        "1.6", {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": value}))
    service.finalize(store, lead, inspection.id,
                     commands.finalize_op({"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    return inspection.id


@pytest.fixture
def ticking(monkeypatch):
    """Each moment the app asks for is a minute after the previous one."""
    import datetime as _dt

    from inspect_app.services import clock

    moments = iter(_dt.datetime(2025, 11, 1, 1, 0, tzinfo=_dt.UTC) + _dt.timedelta(minutes=n)
                   for n in range(100000))
    monkeypatch.setattr(clock, "now_utc", lambda: next(moments))


@pytest.fixture
def twice(app, ticking):
    """Three communes of 2025; Xã Thiện Nghiệp (A) inspected twice (a follow-up visit)."""
    store, library = app.extensions["store"], app.extensions["checklists"]
    for code, name in (("A", "Xã Thiện Nghiệp"), ("B", "Xã Đồng Văn"), ("C", "Xã Kim Long")):
        unit_service.add_unit(store, code, name)
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    accounts.create_user(store, "viewer", "viewer", password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    _inspect(store, library, lead, "A", False)
    _inspect(store, library, lead, "B", False)
    _inspect(store, library, lead, "C", True)
    _inspect(store, library, lead, "A", True)  # the follow-up visit, newest
    return store


def test_home_ranking_of_a_unit_inspected_twice_prints_no_none(client, twice):
    """A viewer opens the home page after Xã Thiện Nghiệp was inspected twice in 2025
    (a follow-up visit). The ranking table lists every finalized record of the round; the
    older record of Xã Thiện Nghiệp is not ranked. The user expects an empty rank cell
    (as the dashboards' table leaves it) — the page prints the word "None" in the rank
    column of a Vietnamese page."""
    login(client, "viewer")
    page = client.get("/").get_data(as_text=True)
    table = re.search(r'<table class="data ranking">(.*?)</table>', page, re.S).group(1)
    ranks = re.findall(r'<tr><td class="num">([^<]*)</td>', table)
    assert len(ranks) == 4, ranks
    assert "None" not in table, ranks


def test_dashboard_remediation_counts_the_round_as_the_ranking_does(app, twice):
    """The province opens the 2025 dashboard after Xã Thiện Nghiệp's follow-up visit. The
    ranking, the sections and the most-failed criteria count each commune once, by its
    newest record (DESIGN §11). The user expects the remediation panel of the same round
    to count Xã Thiện Nghiệp's items once too (those of the record the ranking shows):
    it adds the items of both visits, the same shortcomings twice, so the commune and the
    province total carry about twice the items the commune has to fix."""
    from inspect_app.domain.access import Scope
    from inspect_app.domain.models import User
    from inspect_app.services import dashboards as dash

    store = twice
    d = dash.build(store, Scope(User("boss", "admin")),
                   dash.DashboardQuery("cchc-xa", "2025", "inspection"),
                   today=__import__("datetime").date(2026, 1, 10), tz="Asia/Ho_Chi_Minh",
                   escalate_after_days=30)
    ranked = {r.unit: r.inspection for r in d.league.rows}
    assert len(ranked) == 3
    expected = {unit: len(store.get_inspection(rid).items) for unit, rid in ranked.items()}
    got = {r.unit: sum(r.counts.values()) for r in d.remediation.rows}
    assert got == expected, (got, expected)


def test_a_refused_period_keeps_the_chosen_unit_group(client, twice):
    """A viewer looks at the 2025 dashboard of the district Huyện Phong Điền (the unit group
    filter) and then types a period the app refuses ("2025-Q5"). They expect the error
    message with their filters still in the form, the district still chosen, so that they
    correct the period and press Show again. The page drops the unit group box
    altogether: after correcting the period the dashboard shows the whole province."""
    store = twice
    unit_service.add_unit(store, "PD", "Huyện Phong Điền")
    for code, name in (("A", "Xã Thiện Nghiệp"), ("B", "Xã Đồng Văn")):
        unit_service.add_unit(store, code, name, parent="PD")
    login(client, "viewer")
    good = client.get("/dashboards/?checklist=cchc-xa&period=2025&group=PD")
    assert good.status_code == 200
    assert re.search(r'<option value="PD" selected>', good.get_data(as_text=True))
    bad = client.get("/dashboards/?checklist=cchc-xa&period=2025-Q5&group=PD")
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert 'class="flash error"' in page
    assert re.search(r'<option value="PD" selected>', page), "the unit group was dropped"


def test_gap_panel_pairs_a_merged_communes_self_check_with_its_successors_inspection(app):
    """Xã Mới Nhập (M) did its 2025 self-check in March and was merged into Xã An (A) in
    June; the province inspected Xã An in September. The 2025 rankings of self-checks and
    of inspections both list the commune as Xã An (DESIGN §11: a merged unit's record under
    its successor). The user expects the self-check-versus-inspection panel to compare the
    two for Xã An, as both rankings on the same dashboard name them. The panel pairs records
    by the unit written on them, finds no pair and says no unit has both."""
    import random

    from inspect_app.domain.access import Scope
    from inspect_app.domain.models import Unit, User
    from inspect_app.services import dashboards as dash

    from .dashboard_province import CHECKLIST_ID, TODAY, TZ, record

    store = app.extensions["store"]
    store.save_units([Unit("H", "Huyện"), Unit("A", "Xã An", parent="H"),
                      Unit("M", "Xã Mới Nhập", parent="H", merged_into="A",
                           merged_on="2025-06-15")])
    rng = random.Random(4)
    store.add_inspection(record("M", "2025", "self_check", rng, team="t", quality=.9,
                                finalized="2025-03-01T03:00:00+00:00"))
    store.add_inspection(record("A", "2025", "inspection", rng, team="t", quality=.4,
                                finalized="2025-09-01T03:00:00+00:00"))
    admin = Scope(User("boss", "admin"))
    selves = dash.build(store, admin, dash.DashboardQuery(CHECKLIST_ID, "2025", "self_check"),
                        today=TODAY, tz=TZ, escalate_after_days=30)
    assert [r.unit for r in selves.league.rows] == ["A"]
    d = dash.build(store, admin, dash.DashboardQuery(CHECKLIST_ID, "2025", "inspection"),
                   today=TODAY, tz=TZ, escalate_after_days=30)
    assert [r.unit for r in d.league.rows] == ["A"]
    assert [g.unit for g in d.gaps] == ["A"], d.gaps


def test_dashboard_on_time_rate_counts_an_old_late_item_as_criterion_1_5_does(app):
    """A store kept from before items recorded ``done_at``: Xã An's item of 2025, due
    01/03/2025, was marked done on 01/05/2025 (its history says so). Criterion 1.5 of the
    next cycle (domain/remediation.plan_figures, reading the history) counts it done late.
    The user expects the dashboard's remediation panel ("Done on time", "Done late", the
    on-time rate) to count it the same: it counts it done on time (rate 100,00% instead
    of 0,00%)."""
    import dataclasses
    import random

    from inspect_app.domain.access import Scope
    from inspect_app.domain.models import Event, Unit, User
    from inspect_app.domain.remediation import plan_figures
    from inspect_app.services import dashboards as dash

    from .dashboard_province import CHECKLIST_ID, TODAY, TZ, record

    store = app.extensions["store"]
    store.save_units([Unit("A", "Xã An")])
    inspection = record("A", "2025", "inspection", random.Random(2), team="t", quality=.3,
                        finalized="2025-01-10T03:00:00+00:00")
    first = inspection.items[0]
    item = dataclasses.replace(first, status="done", due="2025-03-01", done_at=None, history=[
        Event(at="2025-05-01T03:00:00+00:00", by="ua", action="item_updated",
              detail={"changes": [{"field": "status", "old": "open", "new": "done"}]})])
    inspection.items = [item]
    store.add_inspection(inspection)
    figures = plan_figures(store.get_inspection(inspection.id).items, TZ)
    assert (figures.on_time, figures.late) == (0, 1)
    d = dash.build(store, Scope(User("boss", "admin")),
                   dash.DashboardQuery(CHECKLIST_ID, "2025", "inspection"),
                   today=TODAY, tz=TZ, escalate_after_days=30)
    total = d.remediation.total
    assert (total.on_time, total.late) == (figures.on_time, figures.late), \
        (total.on_time, total.late, total.on_time_rate)


def test_dashboard_score_is_the_points_the_percent_and_rank_are_of(app, client, ticking):
    """The province inspected Xã Thiện Nghiệp in 2025: criterion 1.6 met (0,5 points), a bonus
    of 2 and a penalty of 0,5 (section IX, outside the maximum). Its score card and the main
    export give the score 0,5 + 2 − 0,5 = 2, the figure its percent is of (DESIGN §4). The
    user expects the dashboard's ranking table, its workbook and the ranking page to show
    that score beside the percent: all showed the criteria points (0,5 of the maximum)
    beside a percent of 2."""
    import io

    import openpyxl

    store, library = app.extensions["store"], app.extensions["checklists"]
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    accounts.create_user(store, "viewer", "viewer", password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    inspection = service.start(store, library, lead, commands.StartRequest(
        unit="A", checklist="cchc-xa", period="2025", kind="inspection"))
    for criterion, value in (("1.6", True), ("9.1", 2), ("9.2", 0.5)):
        service.save_answer(store, lead, inspection.id, commands.answer_op(
            criterion, {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": value}))
    service.finalize(store, lead, inspection.id,
                     commands.finalize_op({"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    card = store.get_inspection(inspection.id).score
    assert (card["total"], card["bonus"], card["penalty"]) == (0.5, 2, 0.5)
    assert card["percent"] == round(100 * 2 / card["max"], 2)

    login(client, "viewer")
    maximum = f"{card['max']:,}".replace(",", ".")
    # the dashboard's table and the ranking page (DESIGN §11) say the same
    for url in ("/dashboards/?checklist=cchc-xa&period=2025",
                "/rankings/?checklist=cchc-xa&period=2025&kind=inspection"):
        page = client.get(url).get_data(as_text=True)
        table = re.search(r'<table class="data ranking">(.*?)</table>', page, re.S).group(1)
        assert f"2/{maximum}" in table, (url, table)
        assert "Điểm các tiêu chí 0,5, điểm thưởng 2, điểm trừ 0,5" in table, (url, table)

    book = openpyxl.load_workbook(io.BytesIO(client.get(
        "/dashboards/dashboard.xlsx", query_string={"checklist": "cchc-xa",
                                                     "period": "2025"}).data))
    header, row = list(book["Xếp hạng"].iter_rows(values_only=True))[:2]
    row = dict(zip(header, row))
    assert (row["Điểm các tiêu chí"], row["Điểm thưởng"], row["Điểm trừ"], row["Điểm"]) == \
        (0.5, 2, 0.5, 2), row
    assert row["Tỷ lệ"] == pytest.approx(row["Điểm"] / row["Điểm tối đa"], abs=0.00005), row
