"""Photos in the field app as they were taken (Chromium 390x844, offline): never over a team
mate's answer, never reported saved when refused, in the order picked, removable, and sent
whole on a slow uplink."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from inspect_app.services import commands
from inspect_app.services import inspections as service

from .browser import (  # noqa: F401  (fixtures)
    PASSWORD,
    answer_of,
    camera_jpeg,
    card,
    chromium,
    eventually,
    live_server,
    login,
    phone,
    team,
)


def _mate_saves(team, criterion, body):
    store = team["store"]
    mate = service.scope_for(store, store.get_user(team["mate"]))
    current = answer_of(team, criterion)
    service.save_answer(store, mate, team["id"], commands.answer_op(criterion, dict(
        body, op_id=str(uuid.uuid4()), base_rev=current.rev if current else 0)))


def _ops(page):
    return page.evaluate("InspectQueue.all().then(ops => ops.map(op => ({kind: op.kind, "
                         "key: op.key, state: op.state, error: op.error || ''})))")


def _settled(page):
    return all(op["state"] not in ("waiting", "sending") for op in _ops(page))


def _lead_offline_on_cong_vu(live_server, team, phone):
    lead = phone()
    login(lead, live_server, team["lead"], PASSWORD)
    lead.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")
    lead.context.set_offline(True)
    return lead


def _back_online(page):
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")


def test_a_photo_sent_first_does_not_let_an_offline_answer_overwrite_a_team_mates(
        live_server, team, phone):
    """Offline, the lead takes a photo for 5.2 and then answers it "Không". Meanwhile a
    team mate saves "Có" for 5.2 on the server. Back online the lead expects the usual
    "changed by a team mate: theirs / mine" choice (docs/offline.md: a change made on an
    older content is a conflict, never a silent overwrite). What happens: the photo is
    sent first, and the queue moves the waiting answer onto the photo's revision without
    checking that someone else wrote in between, so "Không" silently replaces the team
    mate's "Có" and no conflict is shown."""
    lead = _lead_offline_on_cong_vu(live_server, team, phone)
    card(lead, "5.2").locator("input[data-role=photo-input]").set_input_files(
        {"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()})
    card(lead, "5.2").locator("figure.thumb.unsent").wait_for(timeout=10000)
    card(lead, "5.2").get_by_text("Không", exact=True).click()
    eventually(lambda: len(_ops(lead)) == 2)
    _mate_saves(team, "5.2", {"value": True})
    _back_online(lead)
    eventually(lambda: _settled(lead), timeout=20)
    stored = answer_of(team, "5.2")
    assert len(stored.photos) == 1  # the photo arrived
    assert stored.value is True and any(op["state"] == "conflict" for op in _ops(lead)), (
        f"the team mate's 'Có' was silently overwritten by the lead's offline answer "
        f"(stored value {stored.value!r}, queue {_ops(lead)!r})")


def test_a_refused_photo_is_not_reported_saved_after_the_note_that_follows_it(
        live_server, team, phone):
    """Offline, the lead picks a photo for 5.2 that the server cannot read (a damaged
    file), then answers 5.2. Back online the photo is refused and the answer is saved.
    The lead expects the card to keep saying the photo was not saved (the refused photo
    waits in the queue) and the bar never to say "All changes saved" while it does. What
    happens: the answer's success clears the photo's refusal from the card and the bar
    says every change is saved, although the photo is not on the server."""
    lead = _lead_offline_on_cong_vu(live_server, team, phone)
    card(lead, "5.2").locator("input[data-role=photo-input]").set_input_files(
        {"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff\xe0 not a photo" * 50})
    card(lead, "5.2").locator("figure.thumb.unsent").wait_for(timeout=10000)
    card(lead, "5.2").get_by_text("Không", exact=True).click()
    eventually(lambda: len(_ops(lead)) == 2)
    _back_online(lead)
    eventually(lambda: _settled(lead) and len(_ops(lead)) == 1, timeout=20)
    assert [op["state"] for op in _ops(lead)] == ["refused"]  # the photo, kept as refused
    assert answer_of(team, "5.2").value is False and not answer_of(team, "5.2").photos
    lead.wait_for_timeout(500)
    bar = lead.locator("[data-role=net]")
    refusal = card(lead, "5.2").locator("p.error.live")
    assert refusal.count() == 1 and "ok" not in (bar.get_attribute("class") or ""), (
        f"the refused photo is reported saved: bar {bar.inner_text()!r}, "
        f"card refusal shown {refusal.count()}")


def _noisy_jpeg(width, height, seed=1) -> bytes:
    """A camera photo that does not compress (sensor noise): several MB."""
    import io
    import random

    from PIL import Image

    rnd = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rnd.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def test_photos_taken_one_after_the_other_arrive_in_the_order_they_were_taken(
        live_server, team, phone):
    """Offline, the lead takes a big camera photo for 5.2 and right after it a small one
    (a screenshot of a document). Back online both arrive, and the lead expects them on
    the answer in the order taken (first the big one). What happens: the small photo
    needs no downscaling, so it is put in the queue before the big one has been shrunk,
    and the photos end up on the answer (and on the card) in the wrong order."""
    import io

    from PIL import Image

    big = _noisy_jpeg(4000, 3000)
    small_out = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 30, 30)).save(small_out, "JPEG")
    lead = _lead_offline_on_cong_vu(live_server, team, phone)
    picker = card(lead, "5.2").locator("input[data-role=photo-input]")
    picker.set_input_files({"name": "big.jpg", "mimeType": "image/jpeg", "buffer": big})
    picker.set_input_files({"name": "small.jpg", "mimeType": "image/jpeg",
                            "buffer": small_out.getvalue()})
    eventually(lambda: len(_ops(lead)) == 2, timeout=20)
    _back_online(lead)
    eventually(lambda: answer_of(team, "5.2") is not None
               and len(answer_of(team, "5.2").photos) == 2, timeout=20)
    record = team["store"].get_inspection(team["id"])
    sizes = [record.photos[p].width for p in record.answers["5.2"].photos]
    assert sizes == [1600, 300], f"photo widths in stored order {sizes}: taken big then small"


def test_a_refused_photo_still_counts_as_not_saved_when_the_section_is_opened_again(
        live_server, team, phone):
    """The lead adds a photo to 5.2 that the server cannot read: the card says it was not
    saved and the bar counts one change not saved. The lead opens the section again
    (reload, or coming back from another section). The card still shows the refusal, and
    the lead expects the bar to still count it; what happens: the bar says "All changes
    saved" (green) beside the card's refusal, because a refused photo read back from the
    queue is not counted as refused."""
    lead = phone()
    login(lead, live_server, team["lead"], PASSWORD)
    lead.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")
    card(lead, "5.2").locator("input[data-role=photo-input]").set_input_files(
        {"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff\xe0 not a photo" * 50})
    eventually(lambda: [op["state"] for op in _ops(lead)] == ["refused"], timeout=20)
    bar = lead.locator("[data-role=net]")
    eventually(lambda: "bad" in (bar.get_attribute("class") or ""))  # "1 change not saved"
    lead.reload()
    card(lead, "5.2").locator("p.error.live").wait_for(timeout=10000)
    lead.wait_for_timeout(500)
    assert "ok" not in (bar.get_attribute("class") or ""), (
        f"the bar says {bar.inner_text()!r} while the refused photo waits in the queue")


def test_removing_a_photo_offline_does_not_end_on_the_browsers_error_page(
        live_server, team, phone):
    """5.2 has a photo on the server. On the section page, now offline (weak 3G), the lead
    taps the photo's "remove" button. The lead expects the app to stay on its page (the
    removal waiting like every other change, or a Vietnamese message that it needs the
    network): docs/offline.md promises never the browser's own error page. What happens:
    with JavaScript the button still posts the whole section form, which offline ends on
    Chromium's "no internet" error page, the section and its field app gone."""
    from inspect_app.services import photos

    store = team["store"]
    lead_scope = service.scope_for(store, store.get_user(team["lead"]))
    photos.attach_to_answer(store, lead_scope, team["id"], "5.2", camera_jpeg(), str(uuid.uuid4()))
    lead = phone()
    login(lead, live_server, team["lead"], PASSWORD)
    lead.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")
    lead.evaluate("navigator.serviceWorker.ready.then(() => true)")
    remove = card(lead, "5.2").locator("button[name=remove_photo]")
    assert remove.count() == 1
    lead.context.set_offline(True)
    try:
        remove.click(no_wait_after=True)
    finally:
        lead.wait_for_timeout(1500)
    assert lead.locator("main#main").count() == 1 and lead.url.startswith(live_server.url), (
        f"offline, removing a photo left the app: {lead.url}")
    assert len(answer_of(team, "5.2").photos) == 1


def test_a_photo_just_added_can_be_removed_from_its_card(live_server, team, phone):
    """The lead adds a photo to 5.2 and sees at once that it is the wrong one. The photo
    reaches the server and its thumbnail replaces the "not sent" one; the lead expects
    the same "remove" button every stored photo has on its card. What happens: the
    thumbnail drawn after sending has no remove button, so the photo cannot be taken
    off until the page is reloaded."""
    lead = phone()
    login(lead, live_server, team["lead"], PASSWORD)
    lead.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")
    card(lead, "5.2").locator("input[data-role=photo-input]").set_input_files(
        {"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()})
    eventually(lambda: answer_of(team, "5.2") is not None and len(answer_of(team, "5.2").photos) == 1,
               timeout=20)
    thumb = card(lead, "5.2").locator("figure.thumb:not(.unsent)")
    thumb.wait_for(timeout=10000)
    assert thumb.locator("button[name=remove_photo]").count() == 1, \
        "the photo just added has no remove button on its card"


def test_a_photo_sent_on_a_slow_uplink_arrives_and_leaves_the_queue(live_server, team, phone):
    """Weak mobile data: the phone sends at 30 KB/s, and a photo of about 320 KB takes
    some 11 s to go up, longer than the 5 s the queue waits for a reply here
    (INSPECT_QUEUE_SEND_TIMEOUT_SECONDS). The lead expects it to arrive: the wait is for
    a reply that has not come (docs/offline.md), not for a photo still being sent. What
    happened: the timer ran from the start of the upload, so every try was cut off
    mid-way and sent again, the photo stayed in the queue for good, eating the data."""
    lead = phone()
    login(lead, live_server, team["lead"], PASSWORD)
    lead.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")
    photo = _noisy_jpeg(600, 450)  # under 1600 px and 1.5 MB: sent as it is, not shrunk
    assert len(photo) > 300 * 1024
    network = lead.context.new_cdp_session(lead)
    network.send("Network.enable")
    network.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 150, "downloadThroughput": 200 * 1024,
        "uploadThroughput": 30 * 1024})
    card(lead, "5.2").locator("input[data-role=photo-input]").set_input_files(
        {"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": photo})
    eventually(lambda: len(_ops(lead)) == 1, timeout=10)
    try:
        eventually(lambda: not _ops(lead) and answer_of(team, "5.2") is not None
                   and len(answer_of(team, "5.2").photos) == 1, timeout=40)
    except AssertionError:
        stored = answer_of(team, "5.2")
        raise AssertionError(
            f"40 s later the photo is still in the queue {_ops(lead)!r} "
            f"(on the server: {len(stored.photos) if stored else 0})") from None


def test_the_queue_waits_for_a_photo_to_go_up_and_then_for_its_reply():
    """static/queue.js run by node: a change without a photo is given up on after the send
    timeout, as always; a photo first gets its time on a weak uplink (20 KB/s and slower)."""
    import json
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the slow uplink browser test covers queue.js)")
    script = Path(__file__).resolve().parent.parent / "inspect_app" / "static" / "queue.js"
    program = (
        "const vm = require('vm'), fs = require('fs'), noop = () => {};"
        "const page = {addEventListener: noop, querySelector: () => null, querySelectorAll: () => [],"
        " body: {dataset: {}}};"
        "const g = {document: page, navigator: {onLine: true}, location: {pathname: '/'},"
        " addEventListener: noop, console};"
        "g.window = g; vm.createContext(g); vm.runInContext(fs.readFileSync(process.argv[1], 'utf8'), g);"
        "console.log(JSON.stringify(JSON.parse(process.argv[2]).map(c => g.InspectQueue.sendWait(...c))))")
    cases = [[25, 0], [5, 0], [25, 800 * 1024], [5, 330 * 1024]]
    done = subprocess.run([node, "-e", program, str(script), json.dumps(cases)],
                          capture_output=True, text=True, check=True, timeout=30)
    json_answer, json_here, big_photo, test_photo = json.loads(done.stdout)
    assert (json_answer, json_here) == (25000, 5000)  # ms: a reply that has not come
    assert big_photo >= 25000 + 800 / 20 * 1000  # an 800 KB photo at 20 KB/s, then its reply
    assert test_photo >= 5000 + 330 / 20 * 1000
