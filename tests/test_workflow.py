"""Workflow slips seen on the phone (issue 9, points 13 and 14): starting a second draft
next to an open one, a period that does not follow the checklist's cadence, review counts
that disagree, finalizing without a confirmation, evidence needs shown only on failure."""
from __future__ import annotations

import datetime as _dt
import json
import re
import uuid

import pytest

from inspect_app.domain.periods import default_period, fits_cadence, parse_period
from inspect_app.domain.scoring import score
from inspect_app.services import Conflict, Invalid, accounts, clock
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .factories import checklist_data, criterion_data, make_checklist
from .test_fill_html import csrf_of, form_fields

PASSWORD = "mat-khau-dai"
# Tuesday 1 December 2026, 09:00 in Vietnam: ISO week 2026-W49.
MOMENT = _dt.datetime(2026, 12, 1, 2, 0, tzinfo=_dt.timezone.utc)
WEEKLY, YEARLY = "tu-kiem-tra-mot-cua-tuan", "cchc-xa"


def op() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def world(app, monkeypatch):
    monkeypatch.setattr(clock, "now_utc", lambda: MOMENT)
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    for name, role, unit in (("lead", "inspector", None), ("other", "inspector", None),
                             ("ua", "unit", "NT"), ("ua2", "unit", "NT"),
                             ("admin", "admin", None)):
        accounts.create_user(store, name, role, unit=unit, password=PASSWORD,
                             full_name=name.title())
    return {"app": app, "store": store, "library": app.extensions["checklists"],
            "tokens": {}}


def scope(world, name):
    return service.scope_for(world["store"], world["store"].get_user(name))


def start(world, by, checklist=WEEKLY, period="2026-W49", kind="self_check", **extra):
    return service.start(world["store"], world["library"], scope(world, by), unit="NT",
                         checklist=checklist, period=period, kind=kind, **extra)


def api(client, world, by):
    token = world["tokens"].get(by) or accounts.issue_token(world["store"], by)
    world["tokens"][by] = token

    def post(path, body):
        return client.post(f"/api/v1{path}", json=body,
                           headers={"Authorization": f"Bearer {token}"})
    return post


def login(client, username):
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_of(page)})
    assert response.status_code == 302


# ---------------------------------------------------------------- 13. cadence

@pytest.mark.parametrize("cadence, period, fits", [
    ("weekly", "2026-W49", True), ("weekly", "2026", False), ("weekly", "2026-12", False),
    ("monthly", "2026-12", True), ("monthly", "2026-Q4", False),
    ("quarterly", "2026-Q4", True), ("quarterly", "2026-H2", False),
    ("half_yearly", "2026-H2", True), ("half_yearly", "2026", False),
    ("yearly", "2026", True), ("yearly", "2026-W49", False),
    (None, "2026-W49", True), (None, "2026", True), (None, "2026-Q4", True),
])
def test_a_period_fits_the_checklists_cadence(cadence, period, fits):
    checklist = make_checklist(**({"cadence": cadence} if cadence else {}))
    assert fits_cadence(parse_period(period), checklist.period_kind) is fits


@pytest.mark.parametrize("cadence, kind, expected", [
    ("weekly", "self_check", "2026-W49"), ("weekly", "inspection", "2026-W49"),
    ("monthly", "self_check", "2026-12"), ("quarterly", "inspection", "2026-Q4"),
    ("half_yearly", "inspection", "2026-H2"), ("yearly", "self_check", "2026"),
    (None, "self_check", "2026-W49"), (None, "inspection", "2026"),  # implied by the kind
])
def test_the_default_period_follows_the_cadence(cadence, kind, expected):
    checklist = make_checklist(**({"cadence": cadence} if cadence else {}))
    assert default_period(checklist.period_kind, kind, MOMENT.date()) == expected


def test_the_shipped_checklists_declare_their_cadence(world):
    assert world["library"].get(WEEKLY).cadence == "weekly"
    assert world["library"].get(YEARLY).cadence == "yearly"


@pytest.mark.parametrize("checklist, period, kind, example", [
    (YEARLY, "2026-W49", "self_check", "2026"),   # the slip seen on the phone
    (YEARLY, "2026-Q4", "inspection", "2026"),
    (WEEKLY, "2026", "self_check", "2026-W49"),
    (WEEKLY, "2026-12", "self_check", "2026-W49"),
])
def test_a_period_of_another_cadence_is_refused_everywhere(client, world, checklist, period,
                                                           kind, example):
    by = "ua" if kind == "self_check" else "lead"
    with pytest.raises(Invalid) as refused:
        start(world, by, checklist=checklist, period=period, kind=kind)
    assert set(refused.value.details["fields"]) == {"period"}
    response = api(client, world, by)("/inspections", {
        "unit": "NT", "checklist": checklist, "period": period, "kind": kind})
    assert response.status_code == 400
    assert f"like {example}" in response.json["fields"]["period"]
    assert f"ví dụ {example}" in response.json["error"]  # in the user's language
    assert world["store"].list_inspections() == []


# ---------------------------------------------------------------- 13. one draft per period

def test_a_second_self_check_of_the_same_period_is_refused_with_the_draft(client, world):
    first = start(world, "ua")
    post = api(client, world, "ua2")  # a colleague of the same unit, on another phone
    body = {"unit": "NT", "checklist": WEEKLY, "period": "2026-W49", "kind": "self_check"}
    response = post("/inspections", body)
    assert response.status_code == 409
    assert (response.json["existing"], response.json["another_allowed"]) == (first.id, False)
    assert "Tiếp tục" in response.json["error"] or "tiếp tục" in response.json["error"]
    # asking for "another" changes nothing for a self-check
    assert post("/inspections", {**body, "another": True}).status_code == 409
    assert len(world["store"].list_inspections()) == 1
    # another week, or once the draft is finalized, starts as usual
    assert post("/inspections", {**body, "period": "2026-W48"}).status_code == 201
    world["store"].update_inspection(first.id, lambda r: setattr(r, "status", "finalized"))
    assert post("/inspections", body).status_code == 201


def test_a_second_inspection_needs_a_clear_choice(client, world):
    first = start(world, "lead", checklist=YEARLY, period="2026", kind="inspection")
    post = api(client, world, "lead")
    body = {"unit": "NT", "checklist": YEARLY, "period": "2026", "kind": "inspection"}
    response = post("/inspections", body)
    assert response.status_code == 409
    assert (response.json["existing"], response.json["another_allowed"]) == (first.id, True)
    assert post("/inspections", {**body, "another": "yes"}).status_code == 400
    assert post("/inspections", {**body, "another": True}).status_code == 201
    # another team's draft is not one this inspector could continue: no conflict
    assert api(client, world, "other")("/inspections", body).status_code == 201
    assert len(world["store"].list_inspections()) == 3


def test_the_start_form_prefills_the_period_of_the_chosen_checklist(client, world):
    login(client, "ua")
    page = client.get("/inspections/new?kind=self_check").get_data(as_text=True)
    fields = form_fields(page, "start-form")
    assert fields["period"] == "2026-W49"  # the weekly checklist comes first
    periods = json.loads(re.search(r"data-periods='([^']+)'", page).group(1))
    assert {k: v["default"] for k, v in periods.items()} == {WEEKLY: "2026-W49", YEARLY: "2026"}
    assert 'src="/static/start.js"' in page
    page = client.get(f"/inspections/new?kind=self_check&checklist={YEARLY}").get_data(as_text=True)
    assert form_fields(page, "start-form")["period"] == "2026"
    assert "Bộ tiêu chí chấm theo năm" in page


def test_without_javascript_the_server_sets_the_period_of_the_chosen_checklist(client, world):
    login(client, "ua")
    fields = form_fields(client.get("/inspections/new?kind=self_check").get_data(as_text=True),
                         "start-form")
    fields.update(unit="NT", checklist=YEARLY)  # the week stays in the box: the slip
    response = client.post("/inspections/new?kind=self_check", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and world["store"].list_inspections() == []
    assert "chấm mỗi năm một lần" in html and "ví dụ 2026" in html
    again = {**form_fields(html, "start-form"), "unit": "NT", "checklist": YEARLY}
    assert again["period"] == "2026"
    assert re.search(rf'<option selected value="{YEARLY}">', html)
    response = client.post("/inspections/new?kind=self_check", data=again)
    assert response.status_code == 302
    [record] = world["store"].list_inspections()
    assert (record.checklist_id, record.period) == (YEARLY, "2026")
    # an empty period is the current one of the checklist
    again.update(checklist=WEEKLY, period="")
    response = client.post("/inspections/new?kind=self_check", data=again)
    assert response.status_code == 302
    assert {r.period for r in world["store"].list_inspections()} == {"2026", "2026-W49"}


def test_the_start_form_offers_the_open_self_check_instead_of_a_second(client, world):
    first = start(world, "ua")
    login(client, "ua2")
    fields = form_fields(client.get("/inspections/new?kind=self_check").get_data(as_text=True),
                         "start-form")
    fields.update(unit="NT", checklist=WEEKLY, period="2026-W49")
    for extra in ({}, {"another": "y"}):
        response = client.post("/inspections/new?kind=self_check", data={**fields, **extra})
        html = response.get_data(as_text=True)
        assert response.status_code == 409
        panel = re.search(r'<section class="panel existing-draft".*?</section>', html, re.S).group(0)
        assert f'href="/inspections/{first.id}"' in panel and "Tiếp tục phiếu đang làm" in panel
        assert 'name="another"' not in panel
    assert [r.id for r in world["store"].list_inspections()] == [first.id]


def test_the_start_form_lets_an_inspector_continue_or_start_another(client, world):
    first = start(world, "lead", checklist=YEARLY, period="2026", kind="inspection")
    login(client, "lead")
    fields = form_fields(client.get("/inspections/new").get_data(as_text=True), "start-form")
    fields.update(unit="NT", checklist=YEARLY, period="2026")
    response = client.post("/inspections/new", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    panel = re.search(r'<section class="panel existing-draft".*?</section>', html, re.S).group(0)
    assert f'href="/inspections/{first.id}"' in panel
    assert 'name="another" value="y"' in panel and 'form="start-form"' in panel
    assert len(world["store"].list_inspections()) == 1
    response = client.post("/inspections/new", data={**form_fields(html, "start-form"),
                                                      "unit": "NT", "checklist": YEARLY,
                                                      "another": "y"})
    assert response.status_code == 302
    assert len(world["store"].list_inspections()) == 2
