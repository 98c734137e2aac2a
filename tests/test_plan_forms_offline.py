"""The remediation plan offline on a phone (390×844, Chromium): the plain forms (verify,
plan columns, a free finding) say they need the network (queue.js), nothing sent or lost.

The item and plan pages are opened once online, then the network drops. What needs the
network must say so in Vietnamese, never end on the browser's own error page nor drop
what was typed (docs/offline.md: "never the browser's own error page")."""
from __future__ import annotations

import uuid

from inspect_app.services import commands, remediation
from inspect_app.services import inspections as service

from .browser import chromium, eventually, live_server, login, phone  # noqa: F401
from .support import PASSWORD
from .test_browser_remediation import commune  # noqa: F401


def _artifacts():
    from pathlib import Path
    folder = Path(__file__).resolve().parent.parent / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


def _mark_done(commune, criterion):
    store = commune["store"]
    officer = service.scope_for(store, store.get_user(commune["officer"]))
    item_id = commune["items"][criterion]
    item = store.get_inspection(commune["record"]).item(item_id)
    remediation.update_item(store, officer, commands.item_change(item_id, {
        "op_id": str(uuid.uuid4()), "base_rev": item.rev, "status": "done",
        "progress_note": "Đã ban hành Kế hoạch số 25/KH-UBND"}))
    return item_id


def _item(commune, item_id):
    return commune["store"].get_inspection(commune["record"]).item(item_id)


def _submit_offline(page, selector):
    try:
        page.click(selector, timeout=5000)
    except Exception:  # the click itself may report the failed navigation
        pass
    page.wait_for_timeout(2500)


def test_verifying_an_item_offline_does_not_end_on_the_browsers_error_page(live_server, commune, phone):
    """The inspector opens the item the commune reported done (online), the network drops,
    they write the verification comment and tap "Xác nhận: đã khắc phục". They expect to
    stay on the item page, told in Vietnamese that this needs the network, the comment
    still in its box. What happened: the plain review form was posted into no network (the
    service worker passes POSTs by, plan.js enhances only the progress forms) and the
    phone shows Chromium's own error page; the comment is gone."""
    item_id = _mark_done(commune, "1.6")
    page = phone()
    login(page, live_server, commune["lead"], PASSWORD)
    url = f"{live_server.url}/remediation/item/{item_id}"
    page.goto(url)
    page.locator("#review button[value=verify]").wait_for()
    page.context.set_offline(True)
    comment = "Đã kiểm tra kế hoạch tại xã, đạt yêu cầu"
    page.fill("#review textarea[name=comment]", comment)
    _submit_offline(page, "#review button[value=verify]")
    page.screenshot(path=str(_artifacts() / "defects81-verify-offline.png"), full_page=True)
    assert not page.url.startswith("chrome-error://"), page.url
    assert page.url.startswith(url), page.url
    assert page.input_value("#review textarea[name=comment]") == comment
    assert _item(commune, item_id).status == "done"


def test_editing_the_plan_columns_offline_does_not_end_on_the_browsers_error_page(
        live_server, commune, phone):
    """The lead opens an item of the plan (online), the network drops, they open "Sửa các
    cột của kế hoạch", type a new owner and tap save. They expect to stay on the page, told
    in Vietnamese that saving the columns needs the network, the owner still typed. What
    happens: the plain form is posted into no network and Chromium's error page replaces
    the app; what was typed is lost."""
    item_id = commune["items"]["1.10"]
    page = phone()
    login(page, live_server, commune["lead"], PASSWORD)
    url = f"{live_server.url}/remediation/item/{item_id}"
    page.goto(url)
    page.locator("#edit summary").click()
    page.context.set_offline(True)
    owner = "Phó Chủ tịch UBND xã Trần Văn Bình"
    page.fill("#columns [name=owner]", owner)
    _submit_offline(page, "#columns button[type=submit]")
    page.screenshot(path=str(_artifacts() / "defects81-columns-offline.png"), full_page=True)
    assert not page.url.startswith("chrome-error://"), page.url
    assert page.url.startswith(url), page.url
    assert page.input_value("#columns [name=owner]") == owner


def test_adding_a_free_finding_offline_does_not_end_on_the_browsers_error_page(
        live_server, commune, phone):
    """The lead opens the commune's plan (online), the network drops, they open "add a
    finding", write it and tap save. They expect to stay on the plan, told in Vietnamese
    that this needs the network, the finding still typed. What happened: Chromium's own
    "no internet" page; the finding typed is gone."""
    page = phone()
    login(page, live_server, commune["lead"], PASSWORD)
    url = f"{live_server.url}/remediation/plan/{commune['record']}"
    page.goto(url)
    page.locator("#add > summary").click()
    page.context.set_offline(True)
    finding = "Bộ phận một cửa chưa niêm yết số điện thoại đường dây nóng"
    page.fill("#new-finding [name=finding]", finding)
    _submit_offline(page, "#new-finding button[type=submit]")
    page.screenshot(path=str(_artifacts() / "defects81-finding-offline.png"), full_page=True)
    assert not page.url.startswith("chrome-error://"), page.url
    assert page.url.startswith(url), page.url
    assert page.input_value("#new-finding [name=finding]") == finding
