"""The ``multi`` type on a phone (390×844): tick two options, see the points, "none of
them" clears the ticks, and the server stores the list."""
from __future__ import annotations

from pathlib import Path

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
