"""Numbers on the phone shown as they are stored: score buttons of a 0,125 step, -0 typed,
a ratio over nothing with on_zero full, a refused decimal named the Vietnamese way."""
from __future__ import annotations

import re
import uuid

import pytest

from inspect_app.services import accounts, commands
from inspect_app.services import checklists as checklist_admin
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import card, chromium, live_server, phone, team  # noqa: F401
from .browser import login as browser_login
from .support import PASSWORD, form_fields, login

EIGHTHS = """\
format: 1
id: {id}
version: "1"
title: Kiểm tra bước tám {id}
kind: inspection
cadence: yearly
bands:
  - {{min: 50, label: Đạt}}
  - {{min: 0, label: Không đạt}}
sections:
  - id: s1
    title: Phần một
    criteria:
      - id: "1.1"
        text: Mức độ sắp xếp hồ sơ lưu trữ
        type: score
        points: 1
        step: 0.125
"""


@pytest.fixture
def eighths(app):
    """A published checklist with a score criterion on a 0,125 step (9 buttons), and a draft
    inspection of it by an inspector."""
    library = app.extensions["checklists"]
    store = app.extensions["store"]
    checklist_id = f"tam-{uuid.uuid4().hex[:6]}"
    checklist_admin.publish(library, checklist_admin.save_draft(
        library, EIGHTHS.format(id=checklist_id)))
    unit_service.add_unit(store, "BT", "Xã Bước Tám")
    lead = accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    inspection = service.start(store, library, service.scope_for(store, lead),
                               commands.StartRequest(unit="BT", checklist=checklist_id,
                                                     period="2025", kind="inspection"))
    return {"id": inspection.id, "store": store}


def test_score_buttons_on_a_0_125_step_show_the_value_each_stores(client, eighths):
    """The inspector opens a section (no JavaScript needed) whose score criterion goes in
    steps of 0,125 (allowed: any step with up to 6 decimals) and expects each button to say
    the score it gives: 0; 0,125; 0,25; 0,375; …; 1. The buttons are labelled with the value
    rounded to two decimals ("0,12", "0,38", "0,62", "0,88"), so the button "0,12" stores
    0.125 — what the phone shows is not what is saved (template ``choice.value|number``)."""
    login(client, "lead")
    html = client.get(f"/inspections/{eighths['id']}/s/s1").get_data(as_text=True)
    labels = re.findall(r'<input type="radio" name="c0_value" value="([^"]+)"[^>]*><span>([^<]*)'
                        r'</span>', html)
    assert [value for value, _label in labels] == [
        "0", "0.125", "0.25", "0.375", "0.5", "0.625", "0.75", "0.875", "1"]
    assert [label for _value, label in labels] == [
        "0", "0,125", "0,25", "0,375", "0,5", "0,625", "0,75", "0,875", "1"]


def echo_of(page, criterion, part):
    return card(page, criterion).locator(f"[data-role=echo][data-for={part}]")


def test_minus_zero_typed_in_a_number_box_is_echoed_as_zero(live_server, team, phone):
    """On the phone the inspector types "-0" (or "-0,0") in a number box of 1.2. The server
    reads it as 0 and stores 0 ("never shown -0", domain numbers.read_number); the echo
    beside the box should say "= 0". It says "= -0": numbers.js ``read`` keeps the sign on
    a zero in ``plain``, unlike its server half."""
    page = phone()
    browser_login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/chi_dao")
    box = card(page, "1.2").locator("input[data-part=in_done]")
    box.fill("-0")
    assert echo_of(page, "1.2", "in_done").text_content() == "= 0"
    box.fill("-0,0")
    assert echo_of(page, "1.2", "in_done").text_content() == "= 0"


def test_a_ratio_with_nothing_to_count_and_on_zero_full_previews_its_full_points(
        live_server, team, phone):
    """3.12 (on_zero: full — "Không có phản ánh, kiến nghị → đủ 1 điểm"). Offline, the
    inspector types 0 complaints received and 0 handled on time, and expects the preview to
    say the criterion gets its full 1 point, as the server will score it. The preview says
    "không có số liệu để tính (0)" — no points, read as a 0 — and stays so until the phone
    is online again: fill.js ``preview`` ignores the ``on_zero`` it is given."""
    page = phone()
    browser_login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/tthc")
    page.context.set_offline(True)
    try:
        complaints = card(page, "3.12")
        complaints.locator("input[data-part=in_pakn_nhan]").fill("0")
        complaints.locator("input[data-part=in_pakn_dung_han]").fill("0")
        complaints.locator("input[data-part=in_pakn_dung_han]").dispatch_event("change")
        shown = complaints.locator("[data-role=ratio]").text_content()
        assert "(0)" not in shown and "→ 1" in shown, shown
    finally:
        page.context.set_offline(False)


@pytest.fixture
def money(app):
    """A draft inspection of cchc-xa (6.3 has decimal money inputs) by an inspector."""
    store = app.extensions["store"]
    unit_service.add_unit(store, "TC", "Xã Tài Chính")
    lead = accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    inspection = service.start(store, app.extensions["checklists"], service.scope_for(store, lead),
                               commands.StartRequest(unit="TC", checklist="cchc-xa",
                                                     period="2025", kind="inspection"))
    checklist = service.checklist_of(inspection)
    key = f"c{[c.id for c in checklist.criteria].index('6.3')}"
    return {"id": inspection.id, "store": store, "key": key}


@pytest.mark.parametrize("typed, meant", [
    ("0,0000001", "0,0000001"),
    ("1.234.567.890,123456", "1.234.567.890,123456"),
    ("1.000.000.000.000,5", "1.000.000.000.000,5"),
])
def test_a_refused_decimal_is_named_the_vietnamese_way_in_its_message(client, money, typed,
                                                                      meant):
    """Without JavaScript the inspector types a money figure of 6.3 the Vietnamese way, one
    that is out of range (7 decimals, 16 digits, above 10^12), and sends the section. The
    refusal at the card should name the number as typed, the page's way ("0,0000001"),
    as the other refusals do ("… không được là số âm, nhận được -3,5"). It names it with an
    English decimal point: "số có quá nhiều chữ số: 0.0000001", "1234567890.123456",
    "số quá lớn: 1000000000000.5" — on a Vietnamese page "1234567890.123456" reads as a
    different figure (answers.number_problem passes ``shown(value)``, the plain "f"
    spelling, for too large / too many digits)."""
    login(client, "lead")
    page = client.get(f"/inspections/{money['id']}/s/tai_chinh").get_data(as_text=True)
    fields = form_fields(page)
    fields[f"{money['key']}_in_ke_hoach_von"] = typed
    fields[f"{money['key']}_in_da_giai_ngan"] = "1"
    response = client.post(f"/inspections/{money['id']}/s/tai_chinh", data=fields)
    assert response.status_code == 400
    errors = " ".join(re.findall(r'class="error[^"]*"[^>]*>(.*?)</', response.get_data(
        as_text=True), re.S))
    assert "Kế hoạch vốn đầu tư công được giao" in errors  # the refusal is at its card
    assert meant in errors, errors
