"""The item page of a remediation plan on a phone (Chromium 390x844), online and offline:
every change (a note, a photo with its note, a status) joins the queue in the order it was
made, a big photo being shrunk holding back what was made after it (docs/offline.md), and
leaving the page meanwhile is held back (beforeunload, as on the section page); a refused
photo's note is kept beside the next note, never written over it; a photo's note waiting
on the phone is shown on the item page opened again."""
from __future__ import annotations

import io
import random

from PIL import Image

from .browser import (  # noqa: F401  (fixtures)
    PASSWORD,
    camera_jpeg,
    chromium,
    eventually,
    live_server,
    login,
    phone,
)
from .test_browser_remediation import commune, plan_unit  # noqa: F401  (fixtures)


def _noisy_jpeg(width, height, seed=1, exif=None) -> bytes:
    rnd = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rnd.randbytes(width * height * 3))
    out = io.BytesIO()
    if exif is not None:
        image.save(out, "JPEG", quality=95, exif=exif)
    else:
        image.save(out, "JPEG", quality=95)
    return out.getvalue()


def _item(plan_unit):
    return plan_unit["store"].get_inspection(plan_unit["record"]).item(plan_unit["item"])


def _officer_on_item(live_server, plan_unit, phone):
    page = phone()
    login(page, live_server, plan_unit["officer"], PASSWORD)
    page.goto(f"{live_server.url}/remediation/item/{plan_unit['item']}")
    return page


def test_photos_sent_one_after_the_other_are_logged_in_the_order_sent(live_server, plan_unit, phone):
    """What happened: on the item page of the plan the commune officer attaches a camera photo (a big
    one, 6000x4000) with the note "Ảnh hiện trường trước khi sửa" and taps Save, then at
    once a small photo (a screenshot) with "Đã sửa xong" and taps Save again. The officer
    expected the progress log in the order sent: before, then after (docs/offline.md:
    photos join the queue in the order they were picked; a big one shrunk first does not
    let a small one overtake it). But plan.js queuePhoto queued each photo when
    its own downscaling ended (no chain as in fill.js), so the small later photo reached
    the server first and the log showed "after" before "before"."""
    page = _officer_on_item(live_server, plan_unit, phone)
    page.fill("#progress textarea[name=progress_note]", "Ảnh hiện trường trước khi sửa")
    page.set_input_files("#progress input[name=photo]",
                         {"name": "IMG_2031.jpg", "mimeType": "image/jpeg",
                          "buffer": _noisy_jpeg(6000, 4000)})
    page.click("#progress button[type=submit]")
    small = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 30)).save(small, "JPEG")
    page.fill("#progress textarea[name=progress_note]", "Đã sửa xong")
    page.set_input_files("#progress input[name=photo]",
                         {"name": "IMG_2033.jpg", "mimeType": "image/jpeg",
                          "buffer": small.getvalue()})
    page.click("#progress button[type=submit]")
    eventually(lambda: page.evaluate("InspectQueue.all().then(ops => ops.length)") == 0
               and len(_item(plan_unit).progress) == 2, timeout=30)
    log = [(p.note, len(p.photos)) for p in _item(plan_unit).progress]
    assert log == [("Ảnh hiện trường trước khi sửa", 1), ("Đã sửa xong", 1)], (
        f"progress log not in the order written: {log}")


def test_a_note_sent_right_after_a_photo_note_is_logged_after_it(live_server, plan_unit, phone):
    """What happened: on the item page the officer attached a big camera photo (6000x4000) with the note
    "Ảnh hiện trường trước khi sửa" and tapped Save, then at once wrote "Đã sửa xong"
    (no photo) and tapped Save again, expecting the progress log in the order written.
    plan.js queued the photo only once it had been downscaled, while a note without a
    photo was queued at once, so the later note reached the server first and the log read
    "Đã sửa xong"
    before the photo of the work."""
    page = _officer_on_item(live_server, plan_unit, phone)
    page.fill("#progress textarea[name=progress_note]", "Ảnh hiện trường trước khi sửa")
    page.set_input_files("#progress input[name=photo]",
                         {"name": "IMG_2031.jpg", "mimeType": "image/jpeg",
                          "buffer": _noisy_jpeg(6000, 4000, seed=3)})
    page.click("#progress button[type=submit]")
    page.fill("#progress textarea[name=progress_note]", "Đã sửa xong")
    page.click("#progress button[type=submit]")
    eventually(lambda: page.evaluate("InspectQueue.all().then(ops => ops.length)") == 0
               and len(_item(plan_unit).progress) == 2, timeout=30)
    log = [(p.note, len(p.photos)) for p in _item(plan_unit).progress]
    assert log == [("Ảnh hiện trường trước khi sửa", 1), ("Đã sửa xong", 0)], (
        f"progress log not in the order written: {log}")


def test_a_refused_photos_note_is_logged_beside_the_next_note(live_server, plan_unit, phone):
    """What happened: offline, the officer sent a progress note "Đã họp triển khai" with a
    picture from the gallery that the server cannot read (a damaged file), then a second
    note "Đã trình Chủ tịch UBND xã ký" without a photo. Back online the photo was refused
    (docs/offline.md: a refused photo takes neither the note nor the status with it), and
    queue.js handNote moved its note onto the next waiting item change by overwriting that
    change's own progress_note: the second note was never sent."""
    page = _officer_on_item(live_server, plan_unit, phone)
    page.context.set_offline(True)
    page.fill("#progress textarea[name=progress_note]", "Đã họp triển khai")
    page.set_input_files("#progress input[name=photo]",
                         {"name": "IMG_0412.jpg", "mimeType": "image/jpeg",
                          "buffer": b"\xff\xd8\xff\xe0 not really a jpeg" * 50})
    page.click("#progress button[type=submit]")
    eventually(lambda: page.evaluate("InspectQueue.all().then(ops => ops.length)") == 1, timeout=15)
    page.fill("#progress textarea[name=progress_note]", "Đã trình Chủ tịch UBND xã ký")
    page.click("#progress button[type=submit]")
    eventually(lambda: page.evaluate("InspectQueue.all().then(ops => ops.length)") == 2, timeout=15)
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    eventually(lambda: page.evaluate(
        "InspectQueue.all().then(ops => ops.every(op => op.state === 'refused'))"), timeout=20)
    page.wait_for_timeout(1000)
    notes = [p.note for p in _item(plan_unit).progress]
    queue = page.evaluate("InspectQueue.all().then(ops => ops.map(op => [op.kind, op.state]))")
    assert sorted(notes) == sorted(["Đã họp triển khai", "Đã trình Chủ tịch UBND xã ký"]), (
        f"progress log {notes}, queue {queue}")


def test_a_photo_note_waiting_offline_is_shown_when_the_item_is_opened_again(
        live_server, plan_unit, phone):
    """What happened: offline, on the item page, the officer sent a note alone ("Đã liên hệ
    Phòng Nội vụ"), then a note with a photo ("Đã niêm yết TTHC tại bộ phận một cửa"), and
    later, still offline, opened the item again, expecting both notes in the log marked as
    waiting on the phone ("Đang lưu…"). The note alone was shown, but not the note sent
    with a photo (plan.js, on load, called showWaiting only for 'item' operations, never
    for 'item_photo' ones): the note and its photo looked lost."""
    from .test_browser_remediation import kept_offline

    page = _officer_on_item(live_server, plan_unit, phone)
    url = page.url
    kept_offline(page, url)
    page.context.set_offline(True)
    page.fill("#progress textarea[name=progress_note]", "Đã liên hệ Phòng Nội vụ")
    page.click("#progress button[type=submit]")
    eventually(lambda: page.evaluate("InspectQueue.all().then(ops => ops.length)") == 1, timeout=15)
    page.fill("#progress textarea[name=progress_note]", "Đã niêm yết TTHC tại bộ phận một cửa")
    page.set_input_files("#progress input[name=photo]",
                         {"name": "IMG_0413.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()})
    page.click("#progress button[type=submit]")
    eventually(lambda: page.evaluate("InspectQueue.all().then(ops => ops.length)") == 2, timeout=15)
    page.goto(url)
    page.locator("#progress").wait_for(timeout=10000)
    page.wait_for_timeout(1000)
    log = page.locator("[data-role=notes]").inner_text()
    assert "Đã liên hệ Phòng Nội vụ" in log  # the note alone: shown as waiting
    assert "Đã niêm yết TTHC tại bộ phận một cửa" in log, (
        f"the note sent with a photo offline is not on the item page opened again: {log!r}")


def test_leaving_the_item_page_while_a_photo_is_shrunk_is_held_back(
        live_server, plan_unit, phone):
    """What happened: on the item page the officer attached a big camera photo (6000x4000,
    ~10 MB) with a note, tapped Save and right away tapped the link back to the plan. On
    the section page leaving while a photo is being shrunk is held back (fill.js
    beforeunload); plan.js had no such guard: the page was left while the photo was being
    downscaled, nothing reached the queue, and the photo and its note were lost without a
    word. Now the browser asks first; staying (the dialog dismissed), the photo is sent."""
    page = _officer_on_item(live_server, plan_unit, phone)
    page.fill("#progress textarea[name=progress_note]", "Ảnh hiện trường sau khi sửa")
    page.set_input_files("#progress input[name=photo]",
                         {"name": "IMG_2032.jpg", "mimeType": "image/jpeg",
                          "buffer": _noisy_jpeg(6000, 4000, seed=2)})
    page.click("#progress button[type=submit]")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.click("p.crumbs a", no_wait_after=True)
    page.wait_for_timeout(4000)
    assert asked == ["beforeunload"], f"leaving was not held back (page {page.url})"
    queued = page.evaluate("InspectQueue.all().then(ops => ops.length)")
    log = [(p.note, len(p.photos)) for p in _item(plan_unit).progress]
    assert log == [("Ảnh hiện trường sau khi sửa", 1)] or queued, (
        f"the photo and its note were lost: progress {log}, queue {queued} (page {page.url})")
