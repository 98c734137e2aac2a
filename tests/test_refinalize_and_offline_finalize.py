"""Re-finalizing keeps what people wrote (a hand-written finding stays, an answer given since
reaches its finding) and finalizing offline says it needs the network."""
from __future__ import annotations

import pytest

from inspect_app.services import inspections as service

from .browser import (  # noqa: F401
    PASSWORD,
    card,
    chromium,
    eventually,
    live_server,
    live_server_artifacts,
    phone,
    team,
)
from .browser import login as browser_login
from .support import World, op
from .test_browser_offline import open_for_offline


@pytest.fixture
def world(app, client):
    return World(app, client)


def test_a_hand_written_finding_is_not_withdrawn_by_a_refinalize_that_never_touched_it(world):
    """The lead finalizes NT's inspection (1.6 "Yes"), then writes by hand a finding of
    criterion 1.6 into the plan ("hồ sơ kế hoạch lưu chưa khoa học", owner, deadline). Later
    they reopen the record to correct another criterion (1.1) and finalize again. They
    expect the item they wrote to stay open in the commune's plan: nobody corrected 1.6.
    What happens: the re-finalize closes it as "no action needed" with the reason "Kết quả
    tiêu chí đã được sửa khi chốt lại" (a hand-written item counts as untouched, since its
    only history line is "created"), and the confirmation announced it as an item "of the
    earlier finalize" withdrawn."""
    record = world.start("lead", "NT")
    world.answer("lead", record, "1.6", value=True)
    world.finalize("lead", record)
    written = world.api["lead"].post(f"/inspections/{record}/remediation", {
        "op_id": op(), "criterion": "1.6", "finding": "Hồ sơ kế hoạch tuyên truyền lưu chưa khoa học",
        "owner": "Văn phòng HĐND-UBND xã", "due": "2026-06-30"})
    assert written.status_code == 201, written.json
    item_id = written.json["id"]

    service.reopen(world.store, world.scope("lead"), record, "Sửa kết quả tiêu chí 1.1")
    world.answer("lead", record, "1.1", value="tre_han")
    _, preview = service.finalize_preview(world.store, world.scope("lead"), record,
                                          allow_unanswered=True)
    world.finalize("lead", record)

    item = world.item(item_id)
    assert preview.withdrawn == [], "the confirmation announces the hand-written item withdrawn"
    assert (item.status, item.reason) == ("open", ""), (item.status, item.reason)


def test_a_criterion_answered_after_a_finalize_with_unanswered_gets_its_finding_in_the_plan(world):
    """The lead finalizes with 1.6 unanswered (ticking "finalize with unanswered criteria"):
    the plan gets an item "Chưa đánh giá: Ban hành kế hoạch tuyên truyền…". Later the lead
    reopens, answers 1.6 "No" with the note "Chưa ban hành kế hoạch tuyên truyền năm 2025"
    and finalizes again. They expect the commune's plan to carry that finding (as a first
    finalize would: the note becomes the finding). What happens: the untouched item still
    says "Chưa đánh giá" (not assessed), the note is nowhere in the plan."""
    record = world.start("lead", "NT")
    world.finalize("lead", record, allow_unanswered=True)
    first = next(i for i in world.record(record).items if i.criterion == "1.6")
    assert first.finding.startswith("Chưa đánh giá")

    service.reopen(world.store, world.scope("lead"), record, "Bổ sung kết quả tiêu chí 1.6")
    note = "Chưa ban hành kế hoạch tuyên truyền năm 2025"
    world.answer("lead", record, "1.6", value=False, note=note)
    world.finalize("lead", record, allow_unanswered=True)

    items = [i for i in world.record(record).items if i.criterion == "1.6" and i.status == "open"]
    assert [i.finding for i in items] == [note]


def test_finalizing_on_a_phone_that_lost_the_network_does_not_end_on_the_browsers_error_page(
        live_server, team, phone):
    """On a phone, the lead opens the inspection (the phone keeps it for offline use),
    goes to "Xem lại", taps "Chốt kết quả…" to look at the summary and closes the dialog.
    The network drops; the lead taps "Chốt kết quả…" again: the dialog opens with the
    summary the phone kept, and they tap "Chốt ngay". They expect to stay on the review,
    told in Vietnamese that finalizing needs the network. What happens: the finalize form
    is posted to a network that is not there (the service worker passes POSTs by, the
    finalize guard only looks for queued changes) and the phone shows Chromium's own
    "no internet" error page instead of the app."""
    page = phone()
    browser_login(page, live_server, team["lead"], PASSWORD)
    open_for_offline(page, live_server, team)
    review = f"{live_server.url}/inspections/{team['id']}/review"
    page.goto(review)
    page.locator("#finalize-start input[name=allow_unanswered]").check()  # nothing answered yet
    page.locator("#finalize-start button[type=submit]").click()
    dialog = page.locator("#finalize-dialog")
    dialog.locator("#finalize-title").wait_for()
    dialog.locator("[data-role=cancel]").click()

    page.context.set_offline(True)
    page.locator("#finalize-start button[type=submit]").click()
    told = page.locator("[data-role=finalize-offline]").filter(has_text="cần có mạng")
    if dialog.evaluate("d => d.open"):  # a summary the phone kept: its "finalize now" is held
        dialog.locator("#finalize-form button[type=submit]").click()
    told.first.wait_for(state="visible", timeout=5000)
    page.wait_for_timeout(2500)
    assert not page.url.startswith("chrome-error://"), page.url
    assert page.url.startswith(review), page.url
    assert team["store"].get_inspection(team["id"]).status == "draft"


def test_enter_in_a_number_box_offline_keeps_the_section_and_queues_the_answer(
        live_server, team, phone):
    """Offline, the lead types 3.200 in a box of 1.2 and presses the keyboard's Enter
    ("Go"), which submits the section form. What happened: the form was posted into no
    network and the phone showed Chromium's own error page. Now the page stays, the
    answer waits in the queue and reaches the server once the phone is online."""
    page = phone()
    browser_login(page, live_server, team["lead"], PASSWORD)
    open_for_offline(page, live_server, team)
    section = f"{live_server.url}/inspections/{team['id']}/s/chi_dao"
    page.goto(section)
    page.context.set_offline(True)
    box = card(page, "1.2").locator("input[data-part=in_planned]")
    box.fill("3.200")
    box.press("Enter")
    page.wait_for_timeout(1500)
    assert not page.url.startswith("chrome-error://"), page.url
    assert page.url.startswith(section), page.url
    assert box.input_value() == "3.200"
    page.context.set_offline(False)
    eventually(lambda: team["store"].get_inspection(team["id"]).answers.get("1.2") is not None,
               timeout=30)
    assert team["store"].get_inspection(team["id"]).answers["1.2"].inputs["planned"] == 3200
