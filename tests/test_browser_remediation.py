"""Remediation on a phone, in a real browser (390×844): the commune officer reports an item
done with a photo, the inspector verifies it; offline one-tap updates; a conflict."""
from __future__ import annotations

import uuid

import pytest
from PIL import Image

from inspect_app.services import accounts, commands, remediation
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import camera_jpeg, chromium, eventually, live_server, login, phone  # noqa: F401
from .support import PASSWORD


@pytest.fixture
def commune(live_server):
    """A unit with a finalized inspection (1.6 and 1.10 failed), its officer and the lead."""
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    code = f"N{tag}"
    unit_service.add_unit(store, code, f"Xã Nông Thượng {tag}")
    lead = accounts.create_user(store, f"lead{tag}", "inspector", password=PASSWORD,
                                full_name="Nguyễn Ánh Xuân")
    accounts.create_user(store, f"xa{tag}", "unit", unit=code, password=PASSWORD,
                         full_name="Hoàng Thạc")
    scope = service.scope_for(store, lead)
    record = service.start(store, live_server.app.extensions["checklists"], scope, commands.StartRequest(
        unit=code, checklist="cchc-xa", period="2025", kind="inspection")).id
    for criterion, note in (("1.6", "Chưa ban hành kế hoạch tuyên truyền CCHC"),
                            ("1.10", "Chủ tịch UBND xã chưa phân công công chức chấm điểm CCHC")):
        service.save_answer(store, scope, record, commands.answer_op(
            criterion, {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": False, "note": note}))
    service.finalize(store, scope, record, commands.finalize_op(
        {"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    items = {i.criterion: i.id for i in store.get_inspection(record).items}
    return {"store": store, "record": record, "lead": f"lead{tag}", "officer": f"xa{tag}",
            "items": items}


def item_of(commune, criterion):
    return commune["store"].get_inspection(commune["record"]).item(commune["items"][criterion])


def wait_saved(page):
    page.wait_for_function("() => { const s = document.querySelector('#progress [data-role=state]');"
                           " return s && s.classList.contains('ok'); }", timeout=15000)


def test_the_officer_reports_done_with_a_photo_and_the_inspector_verifies(live_server, commune, phone):
    officer, inspector = phone(), phone()
    login(officer, live_server, commune["officer"], PASSWORD)
    login(inspector, live_server, commune["lead"], PASSWORD)

    # "our plan" on the officer's phone: no sideways scroll, the item is there
    officer.goto(f"{live_server.url}/remediation/")
    assert officer.evaluate("document.documentElement.scrollWidth") <= 390
    item_id = commune["items"]["1.6"]
    officer.click(f"#i-{item_id} a.item-link")
    officer.wait_for_url(f"**/remediation/item/{item_id}")
    assert officer.evaluate("document.documentElement.scrollWidth") <= 390

    officer.locator("#progress label.choice").filter(has=officer.locator("input[value=done]")).click()
    officer.fill("#progress textarea[name=progress_note]",
                 "Đã ban hành Kế hoạch số 25/KH-UBND về tuyên truyền CCHC năm 2025")
    officer.set_input_files("#progress input[name=photo]",
                            {"name": "ke-hoach.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()})
    officer.click("#progress button[type=submit]")
    wait_saved(officer)
    officer.locator("[data-role=notes] figure.thumb img").first.wait_for(timeout=10000)
    stored = item_of(commune, "1.6")
    assert stored.status == "done" and stored.done_at
    assert len(stored.progress) == 1  # the note went with the photo: one progress note
    assert stored.progress[0].note.startswith("Đã ban hành Kế hoạch số 25/KH-UBND")
    [photo] = stored.progress[0].photos
    width, height = Image.open(commune["store"].photo_path(photo)).size
    assert max(width, height) <= 1600
    assert officer.locator("[data-item] [data-role=status]").first.inner_text() == \
        officer.locator("#progress input[value=done] + span").inner_text()
    officer.screenshot(path=str(_artifacts() / "remediation-item-done.png"), full_page=True)

    # the inspector sees it awaiting verification and verifies it on the item page
    inspector.goto(f"{live_server.url}/remediation/")
    awaiting = inspector.locator("#awaiting")
    assert awaiting.locator(f"#i-{item_id}").count() == 1
    awaiting.locator(f"#i-{item_id} a.item-link").click()
    inspector.wait_for_url(f"**/remediation/item/{item_id}")
    assert inspector.locator("[data-role=notes] figure.thumb img").count() == 1
    inspector.fill("#review textarea[name=comment]", "Đã kiểm tra kế hoạch, đạt yêu cầu")
    with inspector.expect_navigation():
        inspector.click("#review button[value=verify]")
    stored = item_of(commune, "1.6")
    assert (stored.status, stored.verified_by) == ("verified", commune["lead"])
    assert stored.history[-1].detail["comment"] == "Đã kiểm tra kế hoạch, đạt yêu cầu"
    assert item_of(commune, "1.10").status == "open"

    # the officer's plan shows it verified (the verified group comes after the open items:
    # on a later page of the plan when it has more than a page of them)
    officer.goto(f"{live_server.url}/remediation/")
    while (officer.locator(".group-verified").locator(f"#i-{item_id}").count() == 0
           and officer.locator("a[rel=next]").count()):
        with officer.expect_navigation():
            officer.locator("a[rel=next]").first.click()
    assert officer.locator(".group-verified").locator(f"#i-{item_id}").count() == 1


def test_a_one_tap_start_made_offline_is_sent_once_when_online(live_server, commune, phone):
    page = phone()
    login(page, live_server, commune["officer"], PASSWORD)
    page.goto(f"{live_server.url}/remediation/")
    item_id = commune["items"]["1.10"]
    page.context.set_offline(True)
    page.click(f"#i-{item_id} form.quick button")
    queued = "InspectQueue.all().then(ops => ops.map(op => [op.kind, (op.body || {}).status]))"
    eventually(lambda: page.evaluate(queued) == [["item", "in_progress"]])
    assert item_of(commune, "1.10").status == "open"
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    eventually(lambda: page.evaluate(queued) == [], timeout=15)
    stored = item_of(commune, "1.10")
    assert stored.status == "in_progress" and stored.rev == 2
    assert page.locator(f"#i-{item_id} form.quick").is_hidden()


def test_a_change_made_meanwhile_shows_as_a_conflict(live_server, commune, phone):
    page = phone()
    login(page, live_server, commune["officer"], PASSWORD)
    item_id = commune["items"]["1.10"]
    page.goto(f"{live_server.url}/remediation/item/{item_id}")
    # meanwhile the inspector gives the item another owner and deadline
    store = commune["store"]
    lead = service.scope_for(store, store.get_user(commune["lead"]))
    remediation.update_item(store, lead, commands.item_change(item_id, {"op_id": str(uuid.uuid4()), "base_rev": 1,
                                                   "owner": "Chủ tịch UBND xã", "due": "2025-12-31"}))
    page.locator("#progress label.choice").filter(has=page.locator("input[value=cannot_do]")).click()
    page.fill("#progress textarea[name=reason]", "Chờ Sở Nội vụ hướng dẫn mẫu quyết định")
    page.click("#progress button[type=submit]")
    conflict = page.locator("#progress .conflict")
    conflict.wait_for(timeout=10000)
    assert "Chủ tịch UBND xã" in conflict.inner_text()
    assert item_of(commune, "1.10").status == "open"  # not overwritten
    conflict.get_by_role("button").last.click()  # send mine again, on the current revision
    wait_saved(page)
    stored = item_of(commune, "1.10")
    assert (stored.status, stored.reason, stored.owner) == (
        "cannot_do", "Chờ Sở Nội vụ hướng dẫn mẫu quyết định", "Chủ tịch UBND xã")


def _artifacts():
    from pathlib import Path
    folder = Path(__file__).resolve().parent.parent / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def plan_unit(commune):
    """The commune's plan, its item of 1.6 the one the tests below work on."""
    return {**commune, "item": commune["items"]["1.6"]}


def _item(plan_unit):
    return plan_unit["store"].get_inspection(plan_unit["record"]).item(plan_unit["item"])


def test_two_progress_notes_written_offline_on_the_plan_are_both_kept(live_server, plan_unit, phone):
    """The commune officer, offline in the field, opens the item of the plan and sends a
    progress note ("Đã dự thảo kế hoạch"), later a second one ("Đã trình Chủ tịch ký").
    Back online the officer expects both notes in the item's progress log. What happens:
    the queue treats a remediation PATCH like a whole-answer PUT (queue.js add: a waiting
    'item' op's body is replaced by the newer one), so the first note is never sent."""
    page = phone()
    login(page, live_server, plan_unit["officer"], PASSWORD)
    page.goto(f"{live_server.url}/remediation/item/{plan_unit['item']}")
    page.context.set_offline(True)
    for note in ("Đã dự thảo kế hoạch tuyên truyền", "Đã trình Chủ tịch UBND xã ký"):
        page.fill("#progress textarea[name=progress_note]", note)
        page.click("#progress button[type=submit]")
        eventually(lambda: page.evaluate(
            "document.querySelector('#progress textarea[name=progress_note]').value") == "")
    page.wait_for_timeout(500)
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    eventually(lambda: page.evaluate("InspectQueue.all().then(ops => ops.length)") == 0, timeout=15)
    notes = [p.note for p in _item(plan_unit).progress]
    assert notes == ["Đã dự thảo kế hoạch tuyên truyền", "Đã trình Chủ tịch UBND xã ký"]


def test_a_note_then_a_status_chosen_offline_keeps_the_note(live_server, plan_unit, phone):
    """Offline, the officer sends a progress note on the item, then chooses "Đang thực
    hiện" (in progress) and saves without a note. Back online the officer expects the
    item in progress with the note in its log. What happens: the status change replaced
    the waiting note (queue.js add coalesces 'item' ops), the note is lost."""
    page = phone()
    login(page, live_server, plan_unit["officer"], PASSWORD)
    page.goto(f"{live_server.url}/remediation/item/{plan_unit['item']}")
    page.context.set_offline(True)
    page.fill("#progress textarea[name=progress_note]", "Đã liên hệ Phòng Nội vụ huyện")
    page.click("#progress button[type=submit]")
    eventually(lambda: page.evaluate("InspectQueue.all().then(ops => ops.length)") == 1)
    page.locator("#progress label.choice").filter(
        has=page.locator("input[value=in_progress]")).click()
    page.click("#progress button[type=submit]")
    page.wait_for_timeout(500)
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    eventually(lambda: page.evaluate("InspectQueue.all().then(ops => ops.length)") == 0, timeout=15)
    stored = _item(plan_unit)
    assert stored.status == "in_progress"
    assert [p.note for p in stored.progress] == ["Đã liên hệ Phòng Nội vụ huyện"]


def test_a_one_tap_start_then_done_with_a_note_offline_are_both_saved(live_server, commune,
                                                                      chromium):
    """Offline in the field the officer taps "Bắt đầu" (start work) on the item in "our
    plan", then, in the item's page (open in a second tab), marks it done with a note.
    Back online the officer expects the item done with the note. What happens: the second
    change comes back as "changed by someone else meanwhile" (409) — the officer's own
    first change. The one-tap form's config has no ``inspection`` (templates/remediation/
    _item.html), so queue.js rebase() (sameKey compares ``inspection``) does not move the
    next change of the same item onto the new revision."""
    from .browser import PHONE, eventually
    from .browser import login as browser_login
    from .support import PASSWORD

    context = chromium.new_context(**PHONE)
    try:
        plan_tab, item_tab = context.new_page(), context.new_page()
        browser_login(plan_tab, live_server, commune["officer"], PASSWORD)
        item_id = commune["items"]["1.6"]
        plan_tab.goto(f"{live_server.url}/remediation/")
        item_tab.goto(f"{live_server.url}/remediation/item/{item_id}")
        context.set_offline(True)
        plan_tab.click(f"#i-{item_id} form.quick button")
        count = "InspectQueue.all().then(ops => ops.length)"
        eventually(lambda: plan_tab.evaluate(count) == 1)
        item_tab.locator("#progress label.choice").filter(
            has=item_tab.locator("input[value=done]")).click()
        item_tab.fill("#progress textarea[name=progress_note]", "Đã ban hành KH số 25/KH-UBND")
        item_tab.click("#progress button[type=submit]")
        eventually(lambda: item_tab.evaluate(count) == 2)
        context.set_offline(False)
        for tab in (plan_tab, item_tab):
            tab.evaluate("window.dispatchEvent(new Event('online'))")
        states = "InspectQueue.all().then(ops => ops.map(op => op.state))"
        eventually(lambda: item_tab.evaluate(states) in ([], ["conflict"]), timeout=20)
        stored = commune["store"].get_inspection(commune["record"]).item(item_id)
        assert item_tab.evaluate(states) == []  # nothing left as a "conflict" to resolve
        assert stored.status == "done"
        assert [p.note for p in stored.progress] == ["Đã ban hành KH số 25/KH-UBND"]
    finally:
        context.close()
