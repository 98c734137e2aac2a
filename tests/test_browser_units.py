"""Merging and renaming units on a phone (390×844, no JavaScript needed): an administrator
chooses the old communes, sees what will move, confirms, and renames the new unit; the
new unit's page lists the old communes' records under their old names. Screenshots go to
/tmp/shots."""
from __future__ import annotations

import os

from inspect_app.domain.models import Unit
from inspect_app.services import accounts

from .browser import chromium, live_server, login, phone  # noqa: F401
from .support import PASSWORD
from .test_unit_merge import record

SHOTS = "/tmp/shots"


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/units-{name}.png", full_page=True)


def test_admin_merges_communes_and_renames_the_new_one_on_a_phone(live_server, phone):  # noqa: F811
    store = live_server.store()
    store.save_units([Unit("MG-A", "Xã Sơn Hà"), Unit("MG-B", "Xã Sơn Thủy"),
                      Unit("MG-N", "Xã Sơn Hà Mới")])
    record(store, "mgra", "MG-A", items=(("x", "open"), ("y", "verified")))
    record(store, "mgrb", "MG-B")
    accounts.create_user(store, "qt.merge", "admin", password=PASSWORD, full_name="Quản Trị")
    page = phone()
    login(page, live_server, "qt.merge", PASSWORD)
    page.goto(f"{live_server.url}/units/merge")
    assert page.locator("h1").inner_text() == "Sáp nhập đơn vị"
    page.select_option("select[name=olds]", ["MG-A", "MG-B"])
    page.select_option("select[name=into]", "MG-N")
    page.fill("input[name=on]", "01/07/2025")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "merge-form")
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('Xem những gì sẽ chuyển')")
    assert page.locator("h1").inner_text() == "Xác nhận sáp nhập"
    rows = page.locator(".merge-plan li").all_inner_texts()
    assert len(rows) == 2 and "Phiếu đi theo: 1 · Việc chưa xong được chuyển: 1" in rows[0]
    assert store.get_unit("MG-A").merged_into is None
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "merge-confirm")
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('Sáp nhập')")
    assert "Đã sáp nhập 2 đơn vị vào Xã Sơn Hà Mới từ ngày 01/07/2025" in page.content()
    assert store.get_unit("MG-B").merged_into == "MG-N"
    assert store.get_inspection("mgra").item("mgra-1").unit == "MG-N"
    # rename the new unit from 15/09/2025: the records before keep their names
    page.locator("summary", has_text="Đổi tên đơn vị").click()
    page.fill("input[name=name]", "Phường Sơn Hà")
    page.fill("input[name=on]", "15/09/2025")
    with page.expect_navigation():
        page.click("form[action$='/rename'] button[type=submit]")
    assert "MG-N mang tên Phường Sơn Hà từ ngày 15/09/2025." in page.content()
    assert page.locator("h1").inner_text() == "Phường Sơn Hà"
    records = page.locator(".records li").all_inner_texts()
    assert any("Xã Sơn Hà ·" in r for r in records) and any("Xã Sơn Thủy ·" in r for r in records)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "merged-unit")
