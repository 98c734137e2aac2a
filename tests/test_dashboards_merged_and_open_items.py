"""The dashboards over a merge and over many open items: the trend's point of the chosen
period is the ranking's figure for a unit that took another over during it; the workbook
lists every open remediation item (the page shows the first ten)."""
from __future__ import annotations

import dataclasses
import datetime as _dt
import io
import random
import re

import openpyxl

from inspect_app.domain.access import Scope
from inspect_app.domain.models import Unit, User
from inspect_app.domain.numbers import exact_mean, figure
from inspect_app.services import accounts
from inspect_app.services import dashboards as service

from .dashboard_province import CHECKLIST_ID, TODAY, TZ, record
from .support import PASSWORD, login

ROUND = service.DashboardQuery(CHECKLIST_ID, "2025", "inspection")


def _merged_mid_period(store):
    """Xã An (A) took over Xã Mới Nhập (M) on 15/06/2025: M was inspected in March,
    A in September; Xã Bình (B) in September too."""
    store.save_units([Unit("H", "Huyện"), Unit("A", "Xã An", parent="H"),
                      Unit("B", "Xã Bình", parent="H"),
                      Unit("M", "Xã Mới Nhập", parent="H", merged_into="A",
                           merged_on="2025-06-15")])
    rng = random.Random(3)
    for unit, quality, when in (("M", .2, "2025-03-01"), ("A", .5, "2025-09-01"),
                                ("B", .5, "2025-09-01")):
        store.add_inspection(record(unit, "2025", "inspection", rng, team="t", quality=quality,
                                    finalized=f"{when}T03:00:00+00:00"))


def test_trend_of_the_chosen_period_agrees_with_the_ranking_for_a_merged_unit(app):
    """The province looks at the 2025 dashboard. Xã An took over Xã Mới Nhập in June 2025;
    the ranking (DESIGN §11: a merged unit's records under its successor, one row per unit,
    its newest record) shows Xã An with its own September figure. The user expects the
    trend's 2025 point of Xã An (and the province mean) to be the same figure as the
    ranking above it on the same page and in the same workbook. The trend averaged
    Xã An's record with Xã Mới Nhập's older one (mean of both): Xã An reads 81,25 % in
    the ranking and 60,62 % in the trend for the same year, and the province mean is off."""
    store = app.extensions["store"]
    _merged_mid_period(store)
    d = service.build(store, Scope(User("boss", "admin")), ROUND, today=TODAY, tz=TZ,
                      escalate_after_days=30)
    league = {r.unit: r.percent for r in d.league.rows}
    assert set(league) == {"A", "B"}
    column = d.trend.periods.index("2025")
    trend = {s.unit: s.percents[column] for s in d.trend.units}
    assert trend["A"] == league["A"], (trend, league)
    mean = figure(exact_mean(league.values()))  # half-up: 78,125 → 78,13
    assert d.trend.province[column] == mean


def test_the_workbook_lists_every_open_remediation_item(app, client):
    """An admin downloads the dashboard workbook to chase the communes' open remediation
    items. The page says "(N open)" and shows the ten oldest; the workbook (the sheet
    "Nhiệm vụ chưa xong", the file one uses to follow up) is expected to hold every open
    item, as the criteria sheet holds every criterion the page cuts short. It held
    only the same ten: the other open items were in no sheet."""
    store = app.extensions["store"]
    store.save_units([Unit("H", "Huyện")] + [Unit(f"X{n}", f"Xã Số {n}", parent="H")
                                             for n in range(1, 6)])
    rng = random.Random(5)
    due = (_dt.date.today() + _dt.timedelta(days=30)).isoformat()
    for n in range(1, 6):
        inspection = record(f"X{n}", "2025", "inspection", rng, team="t", quality=0.0,
                            finalized=f"2025-06-0{n}T03:00:00+00:00")
        inspection.items = [dataclasses.replace(item, status="open", due=due, done_at=None)
                            for item in inspection.items]
        store.add_inspection(inspection)
    accounts.create_user(store, "boss", "admin", password=PASSWORD)
    login(client, "boss")
    args = {"checklist": CHECKLIST_ID, "period": "2025"}
    html = client.get("/dashboards/", query_string=args).get_data(as_text=True)
    response = client.get("/dashboards/dashboard.xlsx", query_string=args)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    rows = list(book["Nhiệm vụ chưa xong"].iter_rows(values_only=True))[1:]
    count = int(re.search(r"\((\d+) chưa xong\)", html).group(1))
    assert count > 10
    assert len(rows) == count, (len(rows), count)
