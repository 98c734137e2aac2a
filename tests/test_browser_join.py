"""Joining a team from the QR link and saving a section without JavaScript, on a phone
(390×844): the two flows whose rules moved from the views into the services."""
from __future__ import annotations

import uuid
from pathlib import Path

from itsdangerous import URLSafeTimedSerializer

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service

from .browser import (  # noqa: F401
    PHONE,
    answer_of,
    chromium,
    live_server,
    login,
    phone,
    team,  # noqa: F401  (fixture)
)
from .support import PASSWORD

SHOTS = Path("/tmp/shots")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"typed-{name}.png"), full_page=True)


def test_an_inspector_joins_from_the_qr_link(live_server, team, phone):
    store = team["store"]
    newcomer = f"new{uuid.uuid4().hex[:6]}"
    accounts.create_user(store, newcomer, "inspector", password=PASSWORD, full_name="Lê Văn Tâm")
    token = URLSafeTimedSerializer(live_server.app.config["SECRET_KEY"],
                                   salt="join-inspection").dumps(team["id"])
    page = phone()
    login(page, live_server, newcomer, PASSWORD)
    page.goto(f"{live_server.url}/inspections/{team['id']}/join?t={token}")
    assert page.locator("h1").inner_text() == "Tham gia đoàn kiểm tra"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "join")
    with page.expect_navigation():
        page.get_by_role("button", name="Tham gia và bắt đầu đánh giá").click()
    assert page.url.endswith(f"/inspections/{team['id']}")
    assert "Bạn đã tham gia đoàn." in page.content()
    shot(page, "joined")
    team_names = [m.username for m in store.get_inspection(team["id"]).team]
    assert team_names == [team["lead"], team["mate"], newcomer]
    # the link again: a member goes straight to the record, nothing is added twice
    page.goto(f"{live_server.url}/inspections/{team['id']}/join?t={token}")
    assert page.url.endswith(f"/inspections/{team['id']}")
    assert len(store.get_inspection(team["id"]).team) == 3


def test_a_section_saved_without_javascript_shows_a_team_mates_change(live_server, team,
                                                                       chromium):
    store = team["store"]
    context = chromium.new_context(**PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, live_server, team["lead"], PASSWORD)
        page.goto(f"{live_server.url}/inspections/{team['id']}/s/chi_dao")
        # meanwhile the team mate answers 1.6 "no" from their phone
        mate = service.scope_for(store, store.get_user(team["mate"]))
        service.save_answer(store, mate, team["id"], commands.answer_op(
            "1.6", {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": False,
                    "note": "Chưa ban hành kế hoạch"}))
        crit = "article.crit[data-criterion='{}']"
        page.locator(crit.format("1.6")).get_by_text("Có", exact=True).click()
        page.locator(crit.format("1.1")).get_by_text("Ban hành đúng thời hạn", exact=True).click()
        with page.expect_navigation():
            page.get_by_role("button", name="Lưu phần này").click()
        conflict = page.locator("article.crit[data-criterion='1.6'] .conflict")
        assert conflict.is_visible() and "Chưa ban hành kế hoạch" in conflict.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        conflict.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "typed-nojs-conflict.png"))
        assert answer_of(team, "1.6").value is False  # the mate's answer stands
        assert answer_of(team, "1.1").value == "dung_han"  # the rest of the section is saved
    finally:
        context.close()
