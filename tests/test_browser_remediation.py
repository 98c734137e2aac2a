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
            "items": items, "scope": scope}


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


def test_a_one_tap_start_is_announced_and_keeps_the_focus_on_its_item(live_server, commune, phone):
    """A screen-reader user taps "Bắt đầu thực hiện" on an item of the plan. The button goes
    away once the server has it: the focus must stay on the item (its link, which reads the
    new status), and the new status is said through a live region."""
    page = phone()
    login(page, live_server, commune["officer"], PASSWORD)
    page.goto(f"{live_server.url}/remediation/")
    item_id = commune["items"]["1.10"]
    page.focus(f"#i-{item_id} form.quick button")
    page.keyboard.press("Enter")
    eventually(lambda: item_of(commune, "1.10").status == "in_progress")
    page.locator(f"#i-{item_id} form.quick").wait_for(state="hidden", timeout=10000)
    focused = page.evaluate("""id => { const el = document.activeElement;
      return el && el.closest('#i-' + id) ? el.tagName + ':' + el.className : el && el.tagName; }""", item_id)
    assert focused == "A:item-link", f"the focus fell to {focused}"
    tag = page.locator(f"#i-{item_id} [data-role=status]")
    assert tag.inner_text() == "Đang thực hiện"
    assert tag.evaluate("el => el.closest('[aria-live]') !== null"), "the new status is not announced"


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
    assert page.evaluate("!!document.activeElement.closest('#progress')"), \
        "after 'keep mine' the focus fell to the page"
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


QUEUE = "InspectQueue.all().then(ops => ops.map(op => [op.kind, op.state]))"


def test_a_refused_photo_takes_the_note_and_the_done_with_it(live_server, commune, phone):
    """The officer marks the item done, writes what was done and attaches a picture the
    server cannot read (a damaged file from the phone's gallery). The note alone is
    evidence enough for "done", so the officer expects the note kept and the item done (or
    at least the note). What happens: plan.js moves the note into the photo operation
    (``delete change.progress_note``); the photo is refused, the note with it, and the
    status change, now without a note, is refused as "needs evidence". Discarding the bad
    photo on the queue page throws the written note away."""
    page = phone()
    login(page, live_server, commune["officer"], PASSWORD)
    item_id = commune["items"]["1.6"]
    page.goto(f"{live_server.url}/remediation/item/{item_id}")
    page.locator("#progress label.choice").filter(has=page.locator("input[value=done]")).click()
    page.fill("#progress textarea[name=progress_note]",
              "Đã ban hành Kế hoạch số 25/KH-UBND về tuyên truyền CCHC năm 2025")
    page.set_input_files("#progress input[name=photo]",
                         {"name": "IMG_0412.jpg", "mimeType": "image/jpeg",
                          "buffer": b"\xff\xd8\xff\xe0 not really a jpeg" * 50})
    page.click("#progress button[type=submit]")
    eventually(lambda: page.evaluate(QUEUE) == [["item_photo", "refused"], ["item", "refused"]]
               or item_of(commune, "1.6").progress, timeout=15)
    stored = item_of(commune, "1.6")
    notes = [p.note for p in stored.progress]
    assert "Đã ban hành Kế hoạch số 25/KH-UBND về tuyên truyền CCHC năm 2025" in notes, (
        f"note lost; queue: {page.evaluate(QUEUE)}, status {stored.status}")


def _controlled(page):
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    eventually(lambda: page.evaluate("!!navigator.serviceWorker.controller"))


def kept_offline(page, url):
    """Open ``url`` once the service worker controls the page, so that it keeps the copy
    the phone shows offline."""
    page.goto(url)
    _controlled(page)
    page.goto(url)


def test_the_item_page_kept_offline_shows_what_was_sent_online(live_server, commune, phone):
    """Online, the officer opens the item, marks it "in progress" with a note (saved: the
    bar says so), then goes on to the plan. Later, offline in the field, the officer opens
    the item again. Expected: the item as the officer left it (in progress, the note).
    What happens: the service worker shows the copy kept on the first visit — "open", no
    progress, rev 1 in the form — inviting the same change again (then a conflict with
    the officer's own change). keepWhatChanged (queue.js) keeps pages again after a
    change only for pages of /inspections/<id>; the remediation pages never."""
    page = phone()
    login(page, live_server, commune["officer"], PASSWORD)
    item_id = commune["items"]["1.6"]
    url = f"{live_server.url}/remediation/item/{item_id}"
    kept_offline(page, url)
    page.locator("#progress label.choice").filter(has=page.locator("input[value=in_progress]")).click()
    page.fill("#progress textarea[name=progress_note]", "Đã giao công chức văn hóa dự thảo")
    page.click("#progress button[type=submit]")
    page.wait_for_function("() => document.querySelector('#progress [data-role=state]')"
                           ".classList.contains('ok')", timeout=15000)
    assert item_of(commune, "1.6").status == "in_progress"
    page.goto(f"{live_server.url}/remediation/")
    page.wait_for_timeout(1000)
    page.context.set_offline(True)
    page.goto(url)
    shown = page.locator("[data-item] [data-role=status]").first.inner_text()
    in_progress = page.locator("#progress input[value=in_progress] + span").inner_text()
    assert shown == in_progress, f"the kept page shows {shown!r}"
    assert "Đã giao công chức văn hóa dự thảo" in page.locator("[data-role=notes]").inner_text()


def test_a_refused_photo_is_not_reported_saved_by_the_status_that_followed(live_server, commune,
                                                                          phone):
    """The officer chooses "in progress", writes a note and attaches a picture the server
    refuses. The status and its note are saved, the photo is refused. Expected: the item's
    line keeps saying what was refused. What happened: the status's "done" event set the
    line to "Đã lưu" (saved, green) — plan.js counted only waiting/sending operations as
    "more" and overwrote the refusal, so the officer left believing the photo was kept."""
    page = phone()
    login(page, live_server, commune["officer"], PASSWORD)
    item_id = commune["items"]["1.10"]
    page.goto(f"{live_server.url}/remediation/item/{item_id}")
    page.locator("#progress label.choice").filter(has=page.locator("input[value=in_progress]")).click()
    page.fill("#progress textarea[name=progress_note]", "Đã dự thảo quyết định phân công")
    page.set_input_files("#progress input[name=photo]",
                         {"name": "IMG_0413.jpg", "mimeType": "image/jpeg",
                          "buffer": b"\xff\xd8\xff\xe0 broken" * 50})
    page.click("#progress button[type=submit]")
    eventually(lambda: page.evaluate(QUEUE) == [["item_photo", "refused"]], timeout=15)
    eventually(lambda: item_of(commune, "1.10").status == "in_progress")
    page.wait_for_timeout(800)
    state = page.locator("#progress [data-role=state]")
    # the note went with the status (never lost with a refused photo); the photo is refused
    assert [p.note for p in item_of(commune, "1.10").progress] == ["Đã dự thảo quyết định phân công"]
    assert "ok" not in (state.get_attribute("class") or ""), (
        f"the line says {state.inner_text()!r} while the photo was refused")


def test_a_change_discarded_while_it_is_being_sent_stays_discarded(live_server, commune, chromium):
    """On weak 3G the officer's "cannot do" change hangs on its way out (no reply). The
    officer thinks better of it and discards it on the queue page (confirmed). Expected:
    the change is gone from the phone and never sent again. What happened: when the
    hanging send gave up, queue.js sendOne put the operation it still held back into
    IndexedDB (``op.state = "waiting"; put(op)``): the discarded change came back and was
    sent at the next try (now ``putBack``: only if it is still there)."""
    from .browser import PHONE
    context = chromium.new_context(**PHONE)
    try:
        item_tab = context.new_page()
        login(item_tab, live_server, commune["officer"], PASSWORD)
        item_id = commune["items"]["1.10"]
        item_tab.goto(f"{live_server.url}/remediation/item/{item_id}")
        held = []
        item_tab.route("**/api/v1/remediation/*", lambda route: held.append(route)
                       if route.request.method == "PATCH" else route.continue_())
        item_tab.locator("#progress label.choice").filter(
            has=item_tab.locator("input[value=cannot_do]")).click()
        item_tab.fill("#progress textarea[name=reason]", "Chưa có kinh phí")
        item_tab.click("#progress button[type=submit]")
        eventually(lambda: item_tab.evaluate(QUEUE) == [["item", "sending"]], timeout=10)

        queue_tab = context.new_page()
        queue_tab.goto(f"{live_server.url}/queue")
        queue_tab.on("dialog", lambda dialog: dialog.accept())
        queue_tab.locator("[data-role=queue-list] li button[data-action=discard]").first.click()
        eventually(lambda: queue_tab.evaluate(QUEUE) == [])
        item_tab.wait_for_timeout(9000)  # the send timeout (5 s) gives up, and the next try
        assert item_tab.evaluate(QUEUE) == [], "the discarded change is back in the queue"
        assert item_of(commune, "1.10").status == "open", "the discarded change was applied"
        for route in held:  # the requests that never got an answer
            try:
                route.abort()
            except Exception:
                pass
    finally:
        context.close()


def test_a_change_made_offline_on_the_item_page_is_named_by_its_finding_in_the_queue(
        live_server, plan_unit, phone):
    """The queue page names each waiting change; one made on the item page was named by
    the item's internal id ("jxn1L87xiMTw-2"): its form stands after the item's article."""
    page = phone()
    login(page, live_server, plan_unit["officer"], PASSWORD)
    page.goto(f"{live_server.url}/remediation/item/{plan_unit['item']}")
    page.context.set_offline(True)
    page.fill("#progress textarea[name=progress_note]", "Đã dự thảo kế hoạch")
    page.click("#progress button[type=submit]")
    eventually(lambda: page.evaluate("InspectQueue.all().then(ops => ops.length)") == 1)
    label = page.evaluate("InspectQueue.all().then(ops => ops[0].label)")
    finding = _item(plan_unit).finding
    assert label != plan_unit["item"] and finding[:40] in label, label
