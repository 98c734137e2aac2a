"""The offline field app on a phone (issue 11), in Chromium at 390×844: an inspection opened
once works offline, one queue on the phone sends everything exactly once, the queue page,
finalizing refused while changes wait, and queued changes that belong to their user."""
from __future__ import annotations

import uuid

import pytest

from inspect_app.services import accounts
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import camera_jpeg, chromium, live_server, login, phone  # noqa: F401
from .test_browser_fill import PASSWORD, answer_of, card, eventually, live_server_artifacts, queued

SECTIONS = ("chi_dao", "the_che", "tthc", "bo_may", "cong_vu", "tai_chinh", "cqs", "tac_dong",
            "thuong_tru")


@pytest.fixture
def team(live_server):
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    unit_service.add_unit(store, f"O{tag}", f"Xã Vùng Cao {tag}")
    lead = accounts.create_user(store, f"lead{tag}", "inspector", password=PASSWORD,
                                full_name="Nguyễn Ánh Xuân")
    accounts.create_user(store, f"mate{tag}", "inspector", password=PASSWORD,
                         full_name="Trần Thị Mai")
    inspection = service.start(store, live_server.app.extensions["checklists"],
                               service.scope_for(store, lead), unit=f"O{tag}", checklist="cchc-xa",
                               period="2025", kind="inspection", team=[f"mate{tag}"])
    return {"lead": f"lead{tag}", "mate": f"mate{tag}", "id": inspection.id, "store": store}


def kept_pages(page):
    """Paths the service worker keeps for pages (its "pages" cache)."""
    return page.evaluate("caches.open('pages-v1').then(c => c.keys())"
                         ".then(keys => keys.map(r => new URL(r.url).pathname))")


def open_for_offline(page, server, team):
    """Open the inspection online and wait until the service worker has kept all of it."""
    base = f"/inspections/{team['id']}"
    page.goto(f"{server.url}{base}/s/chi_dao")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
    wanted = {f"{base}/s/{s}" for s in SECTIONS} | {f"{base}/review", base}
    eventually(lambda: wanted <= set(kept_pages(page)), timeout=20)


def not_the_browser_error_page(page):
    assert page.locator("main#main").count() == 1, page.url
    assert "ERR_INTERNET_DISCONNECTED" not in page.content()


def test_an_inspection_opened_once_is_filled_offline_and_arrives_once(live_server, team, phone):
    page = phone()
    login(page, live_server, team["lead"], PASSWORD)
    open_for_offline(page, live_server, team)
    base = f"{live_server.url}/inspections/{team['id']}"

    page.context.set_offline(True)
    for section in SECTIONS:  # every section opens offline, from the copy on the phone
        page.goto(f"{base}/s/{section}")
        not_the_browser_error_page(page)
        assert page.locator("#section-form").count() == 1
    page.goto(f"{base}/s/chi_dao")
    card(page, "1.6").get_by_text("Có", exact=True).click()
    page.locator(".bottom-bar button[value=next]").click()  # "Tiếp" offline: the next section
    page.wait_for_url(f"**/s/the_che")
    not_the_browser_error_page(page)
    card(page, "2.1").locator("input[data-role=photo-input]").set_input_files(
        {"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()})
    card(page, "2.1").locator("figure.thumb.unsent").wait_for(timeout=10000)
    assert "chưa gửi" in card(page, "2.1").locator("figure.unsent").inner_text()
    page.goto(f"{base}/s/cong_vu")
    card(page, "5.2").get_by_text("Không", exact=True).click()
    eventually(lambda: len(queued(page)) == 3)
    assert answer_of(team, "1.6") is None and answer_of(team, "2.1") is None

    page.reload()  # offline reload: the page and what waits are still there
    not_the_browser_error_page(page)
    assert card(page, "5.2").locator("input[value=false]").is_checked()
    assert "3" in page.locator("[data-role=net]").inner_text()
    assert page.locator("[data-role=queue-badge]").is_visible()
    assert page.locator("[data-role=offline-mark]").is_visible()
    page.goto(f"{base}/s/chi_dao")  # a page kept before the answer shows the queued answer
    assert card(page, "1.6").locator("input[value=true]").is_checked()

    page.goto(f"{base}/review")
    not_the_browser_error_page(page)
    assert page.locator("[data-role=waiting-here]").is_visible()
    page.check("input[name=allow_unanswered]")
    page.locator("form[action$='/finalize'] button[type=submit]").click()
    refusal = page.locator("form[action$='/finalize'] .queue-block")
    refusal.wait_for(timeout=5000)
    assert refusal.locator("a[href='/queue']").count() == 1
    page.screenshot(path=str(live_server_artifacts() / "offline-review.png"), full_page=True)

    page.goto(f"{base}/s/tthc")  # back online on yet another section
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    eventually(lambda: queued(page) == [], timeout=20)
    record = team["store"].get_inspection(team["id"])
    assert (record.answers["1.6"].value, record.answers["1.6"].rev) == (True, 1)
    assert (record.answers["5.2"].value, record.answers["5.2"].rev) == (False, 1)
    assert len(record.answers["2.1"].photos) == 1 and record.answers["2.1"].rev == 1
    assert record.status == "draft"
    page.goto(f"{base}/s/the_che")
    assert card(page, "2.1").locator("figure.thumb:not(.unsent) img").count() == 1
    assert card(page, "2.1").locator("figure.unsent").count() == 0
