"""Periods as the app writes them and the configured time zone: the export form and the
dashboards' period box take "Quý IV năm 2025" and "6 tháng cuối năm 2025"; the ranking
names a renamed unit by its record's day in INSPECT_TIMEZONE, as the lists do."""
from __future__ import annotations

import html
import re

from inspect_app import create_app
from inspect_app.services import accounts
from inspect_app.services import units as unit_service

from .conftest import app_config
from .support import PASSWORD, Api, csrf_of, login


def test_the_export_form_takes_a_quarter_written_as_the_app_writes_it(app, client):
    """A leader opens "Xuất Excel" and types the period as the app itself names it and as
    its own refusal message suggests ("Quý IV năm 2025"; parse_period reads it, and the
    start form was widened for exactly this). She expects the export of 2025-Q4 to start
    (303 to the job page). What happened: web/exports.ExportForm.period still had
    Length(max=10) (and the page an <input maxlength="10">): the post is refused 400
    "không được dài quá 10 ký tự" before the period is even read."""
    store = app.extensions["store"]
    accounts.create_user(store, "lanhdao", "admin", password=PASSWORD)
    login(client, "lanhdao")
    page = client.get("/exports/").get_data(as_text=True)
    response = client.post("/exports/jobs", data={
        "csrf_token": csrf_of(page), "lang": "vi", "checklist": "", "kind": "",
        "period": "Quý IV năm 2025"})
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)', text) \
        or text[-1500:]


def test_the_dashboard_period_box_holds_the_period_the_dashboard_names(app, client):
    """On the dashboards (and the rankings) page the leader chose 2025-H2; the heading
    names it "6 tháng cuối năm 2025" (Period.label). She types that same text into the
    period box to look again. What happened: the box was <input maxlength="20"> while the
    name is 21 characters, so the phone stops her at "6 tháng cuối năm 202" -- a period
    that cannot be read (refused), though the app printed it itself."""
    from inspect_app.domain.periods import parse_period

    store = app.extensions["store"]
    accounts.create_user(store, "lanhdao", "admin", password=PASSWORD)
    login(client, "lanhdao")
    label = parse_period("2025-H2").label("vi")
    for path in ("/dashboards/?checklist=cchc-xa&period=2025-H2",
                 "/rankings/?checklist=cchc-xa&period=2025-H2"):
        page = client.get(path).get_data(as_text=True)
        box = re.search(r'<input[^>]*name="period"[^>]*>', page).group(0)
        limit = re.search(r'maxlength="(\d+)"', box)
        assert limit is None or int(limit.group(1)) >= len(label), (path, box, label)


def test_the_ranking_names_a_renamed_unit_by_the_day_in_the_configured_zone(tmp_path):
    """INSPECT_TIMEZONE=UTC (docs/settings.md: the zone "for dates, deadlines ..."). Xã Mới
    was inspected and the record finalized at 20:00 UTC on 14/09/2025 -- the 14th in the
    configured zone (the 15th in Vietnam); the commune is renamed Phường Mới from
    15/09/2025. The record list, the documents and the Excel export (record_unit_name with
    the configured zone) call that record "Xã Mới". The leader expects the ranking to say
    the same ("record of Xã Mới"). What happened: services/rankings.ranking computed the
    record's day with clock.DEFAULT_TZ (Vietnam) whatever the setting, so the ranking (API
    and page) shows only "Phường Mới": one record, two names."""
    from .test_unit_merge import province, record

    app = create_app(app_config(tmp_path, TIMEZONE="UTC"))
    store = app.extensions["store"]
    province(store)
    record(store, "rn2", "N", finalized_at="2025-09-14T20:00:00+00:00")
    unit_service.rename_unit(store, "N", "Phường Mới", "15/09/2025")
    accounts.create_user(store, "lanhdao", "admin", password=PASSWORD)
    from inspect_app.domain.units import record_unit_name

    # the name every other place gives this record (the configured zone)
    units = {u.code: u for u in store.list_units()}
    assert record_unit_name(units, store.get_inspection("rn2"), "UTC") == "Xã Mới"
    api = Api(app.test_client(), accounts.issue_token(store, "lanhdao"))
    response = api.get("/rankings?checklist=t-dash&period=2025")
    assert response.status_code == 200, response.json
    row = next(r for r in response.json["rows"] if r["unit"] == "N")
    assert row.get("recorded_name") == "Xã Mới", row
