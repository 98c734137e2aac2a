"""The remediation plan keeps what each side entered: a status queued offline never overwrites
the team's change, a send-back comment is never dropped, the phone writes deadlines and
notes as the page does."""
from __future__ import annotations

import uuid

import pytest

from inspect_app.services import commands, remediation

from .browser import chromium, eventually, live_server, phone  # noqa: F401
from .browser import login as browser_login
from .support import PASSWORD, World, form_fields, login
from .test_browser_remediation import commune  # noqa: F401  (the fixture: 1.6 and 1.10 failed)

# ---------------------------------------------------------------- no-JS forms (test client)

@pytest.fixture
def world(app, client):
    return World(app, client)


@pytest.fixture
def plan(world):
    record = world.start("lead", "NT", team=["mate"])
    world.answer("lead", record, "1.6", value=False, note="Chưa ban hành kế hoạch tuyên truyền")
    world.finalize("lead", record)
    item = next(i for i in world.record(record).items if i.criterion == "1.6")
    return {"record": record, "item": item.id}


def test_a_send_back_comment_is_not_silently_dropped_when_the_unit_took_done_back(world, plan):
    """The commune marks the item done; the inspector opens it and types why it is sent
    back. Meanwhile the commune takes its "done" back (in progress). The inspector presses
    "Send back": they expect either a conflict ("changed meanwhile") or their comment kept
    in the item's history. What happens: "Sent back." is flashed, yet the comment is stored
    nowhere — no history line, no note: the inspector's reason is lost."""
    item_id = plan["item"]
    item = world.item(item_id)
    assert world.api["ua"].patch(item_id, item.rev, status="done",
                                 progress_note="Đã ban hành kế hoạch").status_code == 200
    lead = login(world.app.test_client(), "lead")
    html = lead.get(f"/remediation/item/{item_id}").get_data(as_text=True)
    fields = form_fields(html, "review")
    # meanwhile, the commune takes its "done" back
    rev = world.item(item_id).rev
    assert world.api["ua"].patch(item_id, rev, status="in_progress").status_code == 200
    history_before = len(world.item(item_id).history)
    comment = "Kế hoạch chưa có chữ ký và đóng dấu, đề nghị bổ sung"
    fields.update(comment=comment, go="send_back")
    response = lead.post(f"/remediation/item/{item_id}/review", data=fields)
    stored = world.item(item_id)
    kept = any(e.detail.get("comment") == comment for e in stored.history)
    if response.status_code == 302:
        assert kept, ("'Sent back.' was shown but the comment is nowhere on the item "
                      f"(history {history_before} -> {len(stored.history)} lines)")
    else:
        assert response.status_code == 409


# ---------------------------------------------------------------- on the phone (Chromium)

def test_the_phone_conflict_box_shows_the_deadline_as_dd_mm_yyyy(live_server, commune, phone):
    """The officer, on the item page with JavaScript, marks the item "cannot be done"; the
    inspector has meanwhile moved its deadline to 31 Dec 2025. The "changed by someone else"
    box says what the item is now: every deadline on the Vietnamese pages (and the same
    box without JavaScript) reads 31/12/2025. What happens: plan.js writes the raw
    2025-12-31 from the API."""
    page = phone()
    browser_login(page, live_server, commune["officer"], PASSWORD)
    item_id = commune["items"]["1.10"]
    page.goto(f"{live_server.url}/remediation/item/{item_id}")
    store = commune["store"]
    remediation.update_item(store, commune["scope"], commands.item_change(item_id, {
        "op_id": str(uuid.uuid4()), "base_rev": 1, "owner": "Chủ tịch UBND xã",
        "due": "2025-12-31"}))
    page.locator("#progress label.choice").filter(
        has=page.locator("input[value=cannot_do]")).click()
    page.fill("#progress textarea[name=reason]", "Chờ Sở Nội vụ hướng dẫn mẫu quyết định")
    page.click("#progress button[type=submit]")
    conflict = page.locator("#progress .conflict")
    conflict.wait_for(timeout=10000)
    text = conflict.inner_text()
    assert "Chủ tịch UBND xã" in text
    assert "31/12/2025" in text, text


def test_a_note_just_saved_on_the_phone_reads_as_it_does_after_a_reload(live_server, commune,
                                                                       phone):
    """The officer reports "in progress" with a note on the item page. The note appears at
    the top of "Progress": they expect it to say who wrote it and when the same way as the
    page does after a reload (the officer's name "Hoàng Thạc", the app's date format, the
    status tag). What happens: plan.js writes the login name, the browser's own locale
    date string and no status tag — the line changes once the page is reloaded."""
    page = phone()
    browser_login(page, live_server, commune["officer"], PASSWORD)
    item_id = commune["items"]["1.10"]
    page.goto(f"{live_server.url}/remediation/item/{item_id}")
    page.locator("#progress label.choice").filter(
        has=page.locator("input[value=in_progress]")).click()
    page.fill("#progress textarea[name=progress_note]", "Đã giao Văn phòng dự thảo quyết định")
    page.click("#progress button[type=submit]")
    page.wait_for_function("() => { const s = document.querySelector('#progress [data-role=state]');"
                           " return s && s.classList.contains('ok'); }", timeout=15000)
    first = page.locator("[data-role=notes] li.note-entry .meta").first
    first.wait_for(timeout=10000)
    live = first.inner_text().strip()
    page.reload()
    reloaded = page.locator("[data-role=notes] li.note-entry .meta").first.inner_text().strip()
    assert "Hoàng Thạc" in reloaded
    assert live == reloaded, (live, reloaded)


def test_a_status_queued_after_a_note_offline_does_not_overwrite_the_inspectors_change(
        live_server, commune, phone):
    """Offline, the officer sends a progress note, then chooses "in progress" and saves.
    Meanwhile the inspector marks the item "cannot be done" with a reason. Back online the
    officer expects a "changed by someone else" conflict for the status (as when the status
    alone waits: a stale base_rev that sets a changed field is a conflict, DESIGN §7), the
    inspector's decision kept until they choose. What happens: once the note is sent,
    queue.js rebase() moves the waiting status onto the revision the server answered —
    which already contains the inspector's change — so "in progress" silently overwrites
    "cannot be done" and wipes its reason."""
    page = phone()
    browser_login(page, live_server, commune["officer"], PASSWORD)
    item_id = commune["items"]["1.10"]
    page.goto(f"{live_server.url}/remediation/item/{item_id}")
    page.context.set_offline(True)
    page.fill("#progress textarea[name=progress_note]", "Đã liên hệ Phòng Nội vụ huyện")
    page.click("#progress button[type=submit]")
    eventually(lambda: page.evaluate("InspectQueue.all().then(ops => ops.length)") == 1)
    page.locator("#progress label.choice").filter(
        has=page.locator("input[value=in_progress]")).click()
    page.click("#progress button[type=submit]")
    eventually(lambda: page.evaluate("InspectQueue.all().then(ops => ops.length)") == 2)
    store = commune["store"]
    remediation.update_item(store, commune["scope"], commands.item_change(item_id, {
        "op_id": str(uuid.uuid4()), "base_rev": 1, "status": "cannot_do",
        "reason": "Chờ Sở Nội vụ hướng dẫn mẫu quyết định"}))
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    states = "InspectQueue.all().then(ops => ops.map(op => op.state))"
    eventually(lambda: page.evaluate(states) in ([], ["conflict"]), timeout=20)
    stored = store.get_inspection(commune["record"]).item(item_id)
    assert [p.note for p in stored.progress] == ["Đã liên hệ Phòng Nội vụ huyện"]
    assert (stored.status, stored.reason) == ("cannot_do", "Chờ Sở Nội vụ hướng dẫn mẫu quyết định"), \
        (stored.status, stored.reason, [e.action for e in stored.history])
