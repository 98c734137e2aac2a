"""The ``multi`` type on a phone (390×844): tick two options, see the points, "none of
them" clears the ticks, and the server stores the list."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from inspect_app.services import accounts, commands
from inspect_app.services import checklists as checklist_admin
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import (  # noqa: F401
    answer_of,
    card,
    chromium,
    eventually,
    live_server,
    login,
    phone,
    team,  # noqa: F401  (fixture)
    wait_saved,
)
from .support import PASSWORD

SHOTS = Path("/tmp/shots")


def test_tick_two_options_and_see_the_points(live_server, team, phone):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = phone()
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/tai_chinh")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    multi = card(page, "6.2")
    boxes = multi.locator("fieldset[data-part=value] label.choice")
    assert boxes.count() == 4  # three options and "none of them"
    assert all(boxes.nth(i).bounding_box()["height"] >= 44 for i in range(4))  # touch targets

    multi.get_by_text("Công khai dự toán ngân sách", exact=True).click()
    multi.get_by_text("Công khai quyết toán ngân sách", exact=True).click()
    eventually(lambda: answer_of(team, "6.2") is not None
               and answer_of(team, "6.2").value == ["du_toan", "quyet_toan"])
    wait_saved(page, "6.2")
    page.wait_for_function(  # 0,75 + 0,75 of 2 points, as the server scored it
        "() => document.querySelector(\"article[data-criterion='6.2'] .line-points\")"
        ".textContent === '1,5'")
    assert "status-partial" in multi.get_attribute("class")
    multi.screenshot(path=str(SHOTS / "multi-two-ticked.png"))

    multi.get_by_text("Không mục nào", exact=True).click()  # clears the other ticks
    assert multi.locator("input[type=checkbox]:checked").count() == 1
    eventually(lambda: answer_of(team, "6.2").value == [])
    page.wait_for_function(
        "() => document.querySelector(\"article[data-criterion='6.2'] .line-points\")"
        ".textContent === '0'")
    page.screenshot(path=str(SHOTS / "multi-phone.png"), full_page=False)

    page.goto(f"{live_server.url}/inspections/{team['id']}/review")
    assert "Không mục nào" in page.content()


NUMBERED_OPTIONS = """\
format: 1
id: {id}
version: "1"
title: Kiểm tra số {id}
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
        text: Những tầng đã kiểm tra
        type: multi
        points: 4
        options:
          - {{value: 1.5, label: Tầng một rưỡi, points: 1}}
          - {{value: 2.0, label: Tầng hai, points: 1}}
          - {{value: 3, label: Tầng ba, points: 1}}
      - id: "1.2"
        text: Có sổ theo dõi
        type: yesno
        points: 1
      - id: "1.3"
        text: Đã niêm yết lịch tiếp công dân
        type: choice
        points: 1
        options:
          - {{value: true, label: Đã niêm yết, points: 1}}
          - {{value: false, label: Chưa niêm yết, points: 0}}
"""


@pytest.fixture
def numbered(live_server):
    """A checklist whose ``multi`` options are numbers (2.0 written with a decimal point),
    published on the live server, and an inspection of it by a lead and a team mate."""
    app = live_server.app
    library = app.extensions["checklists"]
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    checklist_id = f"so-{tag}"
    token = checklist_admin.save_draft(library, NUMBERED_OPTIONS.format(id=checklist_id))
    checklist_admin.publish(library, token)
    unit_service.add_unit(store, f"N{tag}", f"Xã Số {tag}")
    lead = accounts.create_user(store, f"nlead{tag}", "inspector", password=PASSWORD,
                                full_name="Nguyễn Ánh Xuân")
    accounts.create_user(store, f"nmate{tag}", "inspector", password=PASSWORD,
                         full_name="Trần Thị Mai")
    inspection = service.start(store, library, service.scope_for(store, lead),
                               commands.StartRequest(unit=f"N{tag}", checklist=checklist_id,
                                                     period="2025", kind="inspection",
                                                     team=[f"nmate{tag}"]))
    try:
        yield {"lead": f"nlead{tag}", "mate": f"nmate{tag}", "id": inspection.id,
               "store": store}
    finally:
        library.set_retired(checklist_id, True)


def ticked(page, criterion):
    return page.evaluate(
        "id => [...document.querySelectorAll(`article[data-criterion='${id}'] "
        "fieldset[data-part=value] input[type=checkbox]:checked`)].map(b => b.value)",
        criterion)


def test_a_team_mates_ticks_of_numbered_options_appear_ticked(live_server, numbered, phone):
    """Two inspectors fill an inspection whose checklist writes a `multi` criterion's
    options as numbers (`value: 2.0`, `value: 1.5`). The team mate ticks "Tầng một rưỡi"
    and "Tầng hai"; the lead, whose section is open, expects both boxes to appear ticked
    within seconds (as README promises for a team mate's saved answers). What happens:
    the live update shows only "Tầng một rưỡi" ticked — "Tầng hai" (stored as 2.0, sent
    as JSON 2.0, read by JavaScript as 2, compared as the text "2" with the box's "2.0")
    is shown unticked; the lead then ticks "Tầng ba" and the answer saved is [1.5, 3]:
    the team mate's "Tầng hai" is silently lost (no conflict is shown)."""
    store = numbered["store"]
    a = phone()
    login(a, live_server, numbered["lead"], PASSWORD)
    a.goto(f"{live_server.url}/inspections/{numbered['id']}/s/s1")
    assert ticked(a, "1.1") == []
    mate = service.scope_for(store, store.get_user(numbered["mate"]))
    service.save_answer(store, mate, numbered["id"], commands.answer_op("1.1", {
        "op_id": str(uuid.uuid4()), "base_rev": 0, "value": ["1.5", "2.0"]}))
    stored = store.get_inspection(numbered["id"]).answers["1.1"]
    a.wait_for_function(
        "() => document.querySelector(\"article[data-criterion='1.1'] .save-state\")"
        ".textContent.includes('Trần Thị Mai')", timeout=10000)
    assert len(stored.value) == 2
    rev = stored.rev
    # the lead ticks one more floor, on top of what the team mate saved
    card(a, "1.1").get_by_text("Tầng ba", exact=True).click()
    wait_saved(a, "1.1")
    eventually(lambda: answer_of(numbered, "1.1").rev > rev)
    assert answer_of(numbered, "1.1").value == [1.5, 2.0, 3]  # was [1.5, 3]: 2.0 lost
    assert ticked(a, "1.1") == ["1.5", "2", "3"]  # 2.0 is written as the browser reads it


def test_a_choice_whose_options_are_true_and_false_can_be_answered(live_server, numbered,
                                                                   phone):
    """A checklist gives a `choice` criterion the option values `true` and `false`
    (docs/checklists.md §6: "A `value` may also be a number or `true`/`false`"). The
    inspector taps "Đã niêm yết" on the phone and expects it saved (1 point). What
    happens: the button's value is the text "True" (str(True)), which the server matches
    to no option (Criterion.option skips boolean options for a text), so the answer is
    refused as an unknown option and nothing is stored; the criterion cannot be answered."""
    a = phone()
    login(a, live_server, numbered["lead"], PASSWORD)
    a.goto(f"{live_server.url}/inspections/{numbered['id']}/s/s1")
    card(a, "1.3").get_by_text("Đã niêm yết", exact=True).click()
    wait_saved(a, "1.3")
    assert answer_of(numbered, "1.3").value is True
    a.reload()  # and the page shows it chosen
    assert card(a, "1.3").locator("input[type=radio][value=true]").is_checked()
