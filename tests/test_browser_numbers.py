"""Numbers on a phone (390×844), in a real browser: Vietnamese typing read as the server reads
it, the value understood shown beside the box, a zero saved, and a refused value that never
looks saved (issue 9, points 1, 2, 4, 6)."""
from __future__ import annotations

import uuid

import pytest

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import answer_of, card, chromium, eventually, live_server, login, phone, wait_saved  # noqa: F401
from .support import PASSWORD


@pytest.fixture
def team(live_server):
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    unit_service.add_unit(store, f"N{tag}", f"Xã Số Liệu {tag}")
    lead = accounts.create_user(store, f"so{tag}", "inspector", password=PASSWORD)
    scope = service.scope_for(store, lead)
    inspection = service.start(store, live_server.app.extensions["checklists"], scope,
                               commands.StartRequest(unit=f"N{tag}", checklist="cchc-xa",
                                                     period="2025", kind="inspection"))
    return {"lead": f"so{tag}", "id": inspection.id, "store": store, "scope": scope}


def echo_of(page, criterion, part):
    return card(page, criterion).locator(f"[data-role=echo][data-for={part}]")


def test_vietnamese_numbers_and_a_zero_are_saved_as_typed(live_server, team, phone):
    page = phone()
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/chi_dao")
    plan = card(page, "1.2")
    plan.locator("input[data-part=in_planned]").fill("3.200")
    assert echo_of(page, "1.2", "in_planned").text_content() == "= 3.200"
    plan.locator("input[data-part=in_done]").fill("0")
    eventually(lambda: answer_of(team, "1.2") is not None
               and answer_of(team, "1.2").inputs == {"planned": 3200, "done": 0})
    wait_saved(page, "1.2")
    assert "Không đạt" in plan.locator(".status-tag").text_content()

    page.reload()
    assert card(page, "1.2").locator("input[data-part=in_planned]").input_value() == "3.200"

    # a decimal box: "3,350.5" is not how Vietnamese writes numbers, "3.20" reads two ways
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/tai_chinh")
    money = card(page, "6.3")
    money.locator("input[data-part=in_ke_hoach_von]").fill("3.20")
    text = echo_of(page, "6.3", "in_ke_hoach_von").text_content()
    assert "có thể hiểu theo hai cách, 3,2 hoặc 320" in text
    money.locator("input[data-part=in_ke_hoach_von]").fill("3.350,5")
    assert echo_of(page, "6.3", "in_ke_hoach_von").text_content() == "= 3.350,5"
    money.locator("input[data-part=in_da_giai_ngan]").fill("3.350,5")
    eventually(lambda: answer_of(team, "6.3") is not None and answer_of(team, "6.3").inputs == {
        "ke_hoach_von": 3350.5, "da_giai_ngan": 3350.5})


@pytest.mark.parametrize("typed, refusal", [
    ("-5", "ô “Số văn bản đã rà soát” không được là số âm"),
    ("10000000000000", "ô “Số văn bản đã rà soát” quá lớn"),
])
def test_a_refused_value_leaves_the_stored_card_and_says_not_saved(live_server, team, phone,
                                                                   typed, refusal):
    saved = service.save_answer(team["store"], team["scope"], team["id"], commands.answer_op("2.2", {
        "op_id": str(uuid.uuid4()), "base_rev": 0,
        "inputs": {"phai_ra_soat": 10, "da_ra_soat": 10}}))
    assert saved.rev == 1 and not saved.replayed
    page = phone()
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/the_che")
    review = card(page, "2.2")
    assert review.locator(".line-points").text_content() == "2,5"
    review.locator("input[data-part=in_da_ra_soat]").fill(typed)
    review.locator("p.error.live").wait_for(timeout=10000)
    assert refusal in review.locator("p.error.live").text_content()
    assert review.locator(".line-points").text_content() == "2,5"  # the stored score
    assert review.locator(".status-tag").text_content().strip() == "Đạt"
    assert not review.locator("[data-role=check]").is_visible()  # 100 %: nothing to check
    assert review.locator(".save-state").text_content() == "Chưa lưu"
    net = page.locator("[data-role=net]").text_content()
    assert "Đã lưu mọi thay đổi" not in net and "chưa được lưu" in net
    assert answer_of(team, "2.2").inputs == {"phai_ra_soat": 10, "da_ra_soat": 10}
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    review.locator("input[data-part=in_da_ra_soat]").fill("9")  # corrected: saved, cleared
    eventually(lambda: answer_of(team, "2.2").inputs == {"phai_ra_soat": 10, "da_ra_soat": 9})
    wait_saved(page, "2.2")
    assert review.locator("p.error.live").count() == 0
    page.wait_for_function("() => document.querySelector('[data-role=net]').textContent"
                           ".includes('Đã lưu mọi thay đổi')")

    review.locator("input[data-part=in_da_ra_soat]").fill("20")  # 20 of 10: a second look
    eventually(lambda: answer_of(team, "2.2").inputs == {"phai_ra_soat": 10, "da_ra_soat": 20})
    review.locator("[data-role=check]").wait_for(state="visible", timeout=10000)
    assert review.locator("[data-role=check]").text_content() == "Trên 100%: kiểm tra lại số liệu"


def test_phone_preview_of_a_ratio_exactly_at_a_band_gives_that_bands_points(
        live_server, team, phone):
    """6.3 (decimal ratio, bands 100 → 2, 98 → 1,6, 95 → 1,2): 10,094 of 10,3 is exactly
    98 %, which the server scores 1,6 (bands compare the exact value, docs/checklists.md
    §8). The phone's preview (what an inspector sees offline until the queue is sent)
    computes 100 × 10.094 / 10.3 in floating point = 97.99999999999999 and shows the
    95 % band's 1,2 beside "98,00%"."""
    from inspect_app.domain.scoring import score

    checklist = live_server.app.extensions["checklists"].get("cchc-xa")
    line = next(line for line in score(checklist, {"6.3": {"inputs": {
        "ke_hoach_von": 10.3, "da_giai_ngan": 10.094}}}).criteria if line.id == "6.3")
    assert float(line.points) == 1.6  # the server's answer

    page = phone()
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/tai_chinh")
    page.context.set_offline(True)  # in the field: the preview is all the inspector sees
    money = card(page, "6.3")
    money.locator("input[data-part=in_ke_hoach_von]").fill("10,3")
    money.locator("input[data-part=in_da_giai_ngan]").fill("10,094")
    shown = money.locator("[data-role=ratio]").text_content().strip()
    assert shown.startswith("98,00%"), shown
    assert shown.endswith("→ 1,6"), f"preview shows {shown!r}; the server gives 1,6"
