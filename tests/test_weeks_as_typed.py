"""A week typed the way the pages write it ("Tuần 1 năm 2027") starts the weekly self-check
and finds its records in the list filter."""
from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, csrf_of, login

WEEKLY = "tu-kiem-tra-mot-cua-tuan"


@pytest.fixture
def commune(app):
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "ua", "unit", unit="NT", password=PASSWORD, full_name="Chị Lan")
    accounts.create_user(store, "ua2", "unit", unit="NT", password=PASSWORD, full_name="Anh Minh")
    return store


def _start_weekly(client, period):
    page = client.get("/inspections/new?kind=self_check").get_data(as_text=True)
    response = client.post("/inspections/new", data={
        "kind": "self_check", "unit": "NT", "checklist": WEEKLY, "period": period,
        "csrf_token": csrf_of(page)})
    return response, html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("typed", ["Tuần 1 năm 2027", "Tuần 53 năm 2026", "tuần 1/2027"])
def test_a_week_typed_the_vietnamese_way_starts_the_weekly_self_check(app, client, commune,
                                                                       typed):
    """The commune officer starts the weekly self-check on the web start form and types the
    week as the app itself prints it ("Tuần 1 năm 2027", as every list and document labels
    it; the service reads it, domain/periods._WRITTEN). She expects the self-check of
    2027-W01 to start. What happens: the form's period field has Length(max=10) (and the
    page an <input maxlength="10">, so a phone stops her typing at "Tuần 1 năm"): the
    post is refused with "Trường này không được dài quá 10 ký tự." — even the app's own
    refusal message suggests "Quý I năm 2025", 14 characters, which this field refuses."""
    login(client, "ua")
    response, text = _start_weekly(client, typed)
    assert response.status_code == 302, re.findall(r"không được dài quá[^<]*", text)
    assert [s.period for s in commune.list_inspections(unit="NT")] in (
        ["2027-W01"], ["2026-W53"])


@pytest.mark.parametrize("typed", ["Tuần 1 năm 2027", "2027-w01", "tuần 1/2027"])
def test_the_list_filter_finds_a_week_typed_the_vietnamese_way(app, client, commune, typed):
    """The officer has started the self-check of week 1 of 2027. On the list of records she
    types that week in the "Kỳ" filter as the app labels it ("Tuần 1 năm 2027") or in
    lower case, and expects her self-check. What happens: web/inspections.index passes the
    typed text unparsed as the period filter (no parse_period, unlike the start form and
    the rankings), so only the exact code "2027-W01" matches and the list says there is
    nothing ("0 trong số 0") although the record exists."""
    scope = service.scope_for(commune, commune.get_user("ua"))
    service.start(commune, app.extensions["checklists"], scope, commands.StartRequest(
        unit="NT", checklist=WEEKLY, period="2027-W01", kind="self_check"))
    login(client, "ua")
    exact = client.get("/inspections/?period=2027-W01").get_data(as_text=True)
    assert "records" in exact and "2027-W01" in exact  # the code itself finds it
    page = client.get(f"/inspections/?period={quote(typed)}").get_data(as_text=True)
    assert 'class="list-link"' in page, re.findall(r'pager-count">([^<]*)', page)
