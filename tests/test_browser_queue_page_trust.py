"""The queue page keeps its word (Chromium 390x844): a damaged record without its user is
listed to discard, a remediation photo discarded while sent does not send its note,
"send now" after the session ended says to log in again."""
from __future__ import annotations

import json
import re

from .browser import (  # noqa: F401
    PASSWORD,
    chromium,
    eventually,
    live_server,
    login,
    phone,
    queued,
    team,
)

PUT_RAW = """record => new Promise((resolve, reject) => {
    const r = indexedDB.open("inspect-app", 1);
    r.onsuccess = () => { const t = r.result.transaction("ops", "readwrite");
        t.objectStore("ops").put(record); t.oncomplete = () => resolve(true);
        t.onerror = () => reject(t.error); };
    r.onerror = () => reject(r.error);
})"""


def test_a_damaged_record_without_its_user_is_listed_as_damaged_not_as_another_users(
        live_server, team, phone):
    """A record of the queue that cannot be read back lost its fields, its user with them
    (the browser kept only part of it). The inspector opens the queue page: expected, as
    docs/offline.md says, it is listed as damaged with "discard" (never dropped silently).
    What happens: queue_page.js counts it among "changes of other users ... sent when those
    users log in again" (its user is undefined, not the page's), lists nothing and gives
    no way to discard it, ever: no user will ever own it, and it is never sent either.
    The badge says nothing waits while the page says a change of someone else waits.
    Root: queue.js all() keeps ``user: op && op.user`` for a damaged record and
    queue_page.js render() files every record whose user is not the page's as foreign."""
    page = phone()
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/queue")
    page.wait_for_function("() => !!window.InspectQueue")
    page.evaluate(PUT_RAW, {"kind": "answer", "state": "waiting"})  # no url, op_id, user
    page.reload()
    page.wait_for_function("() => !!window.InspectQueue")
    page.wait_for_timeout(800)
    assert [op["state"] for op in queued(page)] == ["corrupt"]
    others = page.locator("[data-role=queue-others]")
    assert others.is_hidden(), f"the damaged record is said to be another user's: {others.inner_text()!r}"
    rows = page.locator("[data-role=queue-list] li")
    assert rows.count() == 1 and rows.first.get_attribute("data-state") == "corrupt"
    assert rows.first.locator("button[data-action=discard]").count() == 1


def test_a_remediation_photo_discarded_while_sending_does_not_send_its_note(
        live_server, team, phone):
    """On weak 3G an officer's "done" photo with the note "what was done" hangs on its way
    out. The officer discards it on the queue page (confirmed): expected, nothing of that
    change reaches the server (docs/offline.md: "A change discarded on the queue page while
    it was being sent stays discarded ... the phone never sends it again"). What happens:
    the hanging photo is then refused by the server, and queue.js handNote() gives its note
    to a new "item" change of its own, which the phone sends: the note of the discarded
    change is written on the item (PATCH with progress_note), and it was never listed to
    be discarded. Root: queue.js sendOne() calls handNote(op) on a 4xx without checking
    that the change is still in the queue (only putBack checks)."""
    page = phone()
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/queue")
    page.wait_for_function("() => !!window.InspectQueue")
    held, patches = [], []

    def on_route(route):
        if route.request.method == "POST":
            held.append(route)
        else:
            patches.append(route.request.post_data or "")
            route.fulfill(status=200, content_type="application/json",
                          body=json.dumps({"rev": 2, "item": {}}))
    page.route(re.compile(r".*/api/v1/remediation/zz-item(/photos)?$"), on_route)
    page.evaluate("""id => InspectQueue.add({kind: "item_photo", inspection: id, key: "zz-item",
        method: "POST", url: "/api/v1/remediation/zz-item/photos",
        blob: new Blob([new Uint8Array([255, 216, 255, 217])], {type: "image/jpeg"}),
        fields: {note: "Đã niêm yết công khai TTHC"}, label: "1.10", page: "/queue"})""",
                  team["id"])
    eventually(lambda: page.evaluate("1") and len(held) == 1, timeout=10)  # evaluate: routes run
    page.once("dialog", lambda dialog: dialog.accept())
    row = page.locator("[data-role=queue-list] li").first
    row.wait_for(timeout=5000)
    row.locator("button[data-action=discard]").click()
    eventually(lambda: queued(page) == [], timeout=10)
    held[0].fulfill(status=422, content_type="application/json",
                    body=json.dumps({"error": "Ảnh không đọc được"}))
    page.wait_for_timeout(1500)
    assert not patches, f"the discarded change's note was sent: {patches}"
    assert queued(page) == [], f"the discarded change came back: {queued(page)}"


def test_send_now_on_the_queue_page_after_the_session_ended_says_log_in_again(
        live_server, team, phone):
    """An inspector's answer waits on the phone (made offline); meanwhile the session ended
    (logged out from the same phone's browser elsewhere, or expired). Back in coverage, on
    the queue page she taps "Gửi ngay" (send now) on the waiting change. Expected (as on
    the section's cards and bar, docs/offline.md "401 ... every waiting card and the bar
    say log in again"): the page tells her to log in again. What happens: nothing at all;
    the row stays "Đang chờ", the page's warning box (data-role=queue-warning, in the
    template) is never filled: the button seems dead. Root: queue_page.js ignores the
    queue's "login" event (it renders on it, but shows no state for it) and never uses
    queue-warning; queue.js loginNeeded() reports only through events."""
    page = phone()
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/queue")
    page.wait_for_function("() => !!window.InspectQueue")
    page.context.set_offline(True)
    page.evaluate("""id => InspectQueue.add({kind: "answer", inspection: id, key: "4.1",
        method: "PUT", url: `/api/v1/inspections/${id}/answers/4.1`, base_rev: 0,
        body: {value: true}, label: "4.1", page: `/inspections/${id}/s/bo_may`})""", team["id"])
    eventually(lambda: len(queued(page)) == 1)
    row = page.locator("[data-role=queue-list] li").first
    row.wait_for(timeout=5000)
    csrf = page.locator("form.logout input[name=csrf_token]").input_value()
    page.context.request.post(f"{live_server.url}/logout", form={"csrf_token": csrf})
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(300)
    row.locator("button[data-action=send]").click()
    page.wait_for_timeout(1500)
    assert [op["state"] for op in queued(page)] == ["waiting"]  # kept, as it should be
    assert page.evaluate("fetch('/app/session').then(r => r.json())")["user"] is None
    text = page.locator("main").inner_text() if page.locator("main").count() else page.inner_text("body")
    assert "Đăng nhập lại" in text, f"nothing says to log in again: {text!r}"
