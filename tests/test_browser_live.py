"""Team work, live (issue 11 point 6), in Chromium on two 390×844 phones: a team mate's
saved answer appears on an open section within 10 s without touching it, a field being
edited is never overwritten, and a conflict names the team mate in full, with the time,
and marks only the part that differs."""
from __future__ import annotations

import re
import time
import uuid

from inspect_app.services import commands
from inspect_app.services import inspections as service

from .browser import (  # noqa: F401
    answer_of,
    card,
    chromium,
    eventually,
    live_server,
    login,
    phone,
    team,  # noqa: F401  (fixture)
    wait_saved,
)
from .support import PASSWORD, op

SHOTS = "/tmp/shots"


def shot(page, name):
    import os

    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/live-{name}.png", full_page=False)


def checked_value(page, criterion):
    return page.evaluate(
        "id => { const r = document.querySelector(`article[data-criterion='${id}'] "
        "fieldset[data-part=value] input:checked`); return r ? r.value : null; }", criterion)


def test_a_team_mates_answer_appears_on_an_open_section(live_server, team, phone):
    a, b = phone(), phone()
    login(a, live_server, team["lead"], PASSWORD)
    login(b, live_server, team["mate"], PASSWORD)
    for page in (a, b):
        page.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")
    # A holds the focus in a box of 5.3 (about to type there)
    box = card(a, "5.3").locator("input[data-part=in_ke_hoach]")
    box.click()

    card(b, "5.3").locator("input[data-part=in_ke_hoach]").fill("4")
    card(b, "5.3").locator("input[data-part=in_thuc_hien]").fill("4")
    wait_saved(b, "5.3")
    card(b, "5.2").get_by_text("Có", exact=True).click()
    wait_saved(b, "5.2")
    saved_at = time.monotonic()
    b_rev = answer_of(team, "5.3").rev

    # without A touching 5.2, B's answer is on A's screen within 10 s, scored
    a.wait_for_function("() => { const r = document.querySelector(\"article[data-criterion='5.2'] "
                        "fieldset[data-part=value] input:checked\"); return r && r.value === 'true'; }",
                        timeout=10000)
    assert time.monotonic() - saved_at < 10
    assert card(a, "5.2").locator(".line-points").inner_text() == "2"
    assert "Trần Thị Mai" in card(a, "5.2").locator(".save-state").inner_text()
    assert a.locator("[data-role=answered]").inner_text() == "2"  # the live progress
    assert a.locator("[data-section-count=cong_vu]").inner_text().startswith("2/")
    # the box A is in is not overwritten while A is there
    assert box.input_value() == ""
    assert a.evaluate("document.activeElement.dataset.part") == "in_ke_hoach"
    shot(a, "remote-answer")

    # once A leaves the card untouched, it shows B's answer
    a.locator("h1").click()
    a.wait_for_function("() => document.querySelector(\"article[data-criterion='5.3'] "
                        "input[data-part=in_ke_hoach]\").value === '4'", timeout=10000)
    assert card(a, "5.3").locator("[data-role=ratio]").inner_text().startswith("100")
    # and A answering it now saves on B's revision, no conflict
    card(a, "5.3").locator("input[data-part=in_thuc_hien]").fill("3")
    eventually(lambda: answer_of(team, "5.3").inputs == {"ke_hoach": 4, "thuc_hien": 3})
    assert answer_of(team, "5.3").rev == b_rev + 1  # on top of B's, as B's page said
    a.wait_for_function("() => document.querySelector(\"article[data-criterion='5.3'] "
                        ".save-state\").textContent === 'Đã lưu'", timeout=5000)
    assert card(a, "5.3").locator(".conflict").count() == 0


def test_what_is_typed_is_never_overwritten_and_a_conflict_marks_the_difference(
        live_server, team, phone):
    store = team["store"]
    mate = service.scope_for(store, store.get_user(team["mate"]))
    service.save_answer(store, mate, team["id"], commands.answer_op("5.3", {
        "op_id": str(uuid.uuid4()), "base_rev": 0, "inputs": {"ke_hoach": 4}}))
    a = phone()
    login(a, live_server, team["lead"], PASSWORD)
    a.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")

    # A types the second figure of 5.3; before A's phone sends it, B saves another one
    card(a, "5.3").locator("input[data-part=in_thuc_hien]").fill("4")
    service.save_answer(store, mate, team["id"], commands.answer_op("5.3", {
        "op_id": str(uuid.uuid4()), "base_rev": 1, "inputs": {"ke_hoach": 4, "thuc_hien": 3}}))

    conflict = card(a, "5.3").locator(".conflict")
    conflict.wait_for(timeout=10000)
    # what A typed stays in the boxes
    assert card(a, "5.3").locator("input[data-part=in_thuc_hien]").input_value() == "4"
    text = conflict.inner_text()
    assert "Trần Thị Mai" in text and team["mate"] not in text  # the full name, not the login
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", text)    # when, as 07/04/2023 14:05
    # only the differing figure is marked, on both sides
    theirs = conflict.locator("p.theirs mark.diff")
    mine = conflict.locator("p.mine mark.diff")
    assert theirs.count() == 1 and mine.count() == 1
    assert theirs.first.get_attribute("data-part") == "in_thuc_hien"
    assert theirs.first.inner_text().endswith(": 3") and mine.first.inner_text().endswith(": 4")
    assert "Số lượt cán bộ" in conflict.locator("p.theirs").inner_text()  # shown, not marked
    shot(a, "conflict")
    assert answer_of(team, "5.3").inputs == {"ke_hoach": 4, "thuc_hien": 3}  # not overwritten

    conflict.get_by_role("button").last.click()  # keep mine
    wait_saved(a, "5.3")
    assert answer_of(team, "5.3").inputs == {"ke_hoach": 4, "thuc_hien": 4}
    assert answer_of(team, "5.3").rev == 3


def test_a_hidden_page_does_not_ask(live_server, team, phone):
    """Polling pauses while the page is hidden and asks at once when it is shown again."""
    a = phone()
    login(a, live_server, team["lead"], PASSWORD)
    a.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")
    asked = []
    a.on("request", lambda r: asked.append(r.url) if "/changes?" in r.url else None)
    a.evaluate("""() => { Object.defineProperty(document, 'hidden', {value: true, configurable: true});
                          document.dispatchEvent(new Event('visibilitychange')); }""")
    a.wait_for_timeout(2500)  # more than twice the live server's poll interval (1 s)
    assert asked == []
    a.evaluate("""() => { Object.defineProperty(document, 'hidden', {value: false, configurable: true});
                          document.dispatchEvent(new Event('visibilitychange')); }""")
    a.wait_for_timeout(400)
    assert len(asked) == 1 and "since=" in asked[0] and "section=cong_vu" in asked[0]


def test_the_join_qr_comes_with_a_link_to_copy_and_share(live_server, team, phone):
    a = phone()
    a.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    # a phone with the Web Share API (headless Chromium on Linux has none)
    a.add_init_script("navigator.share = d => { window.shared = d; return Promise.resolve(); };")
    login(a, live_server, team["lead"], PASSWORD)
    a.goto(f"{live_server.url}/inspections/{team['id']}")
    qr = a.locator("details.join img[data-src]")
    assert qr.get_attribute("src") is None  # the QR is drawn only when opened
    a.locator("details.join summary").click()
    a.wait_for_function("() => document.querySelector('details.join img[data-src]').src")
    link = a.locator("[data-role=join-url]")
    url = link.input_value()
    assert url.startswith(live_server.url) and f"/inspections/{team['id']}/join?t=" in url
    assert link.get_attribute("readonly") is not None
    a.get_by_role("button", name="Sao chép liên kết").click()
    a.wait_for_function("() => document.querySelector('[data-role=copy-state]').textContent")
    assert a.evaluate("navigator.clipboard.readText()") == url
    assert "Đã sao chép" in a.locator("[data-role=copy-state]").inner_text()
    a.get_by_role("button", name="Chia sẻ…").click()
    assert a.evaluate("window.shared.url") == url
    a.locator("details.join").scroll_into_view_if_needed()
    shot(a, "join-link")
    assert a.evaluate("document.documentElement.scrollWidth") <= 390

    # without the Web Share API the share button stays hidden; copying falls back to selecting
    b = phone()
    b.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined});")
    login(b, live_server, team["lead"], PASSWORD)
    b.goto(f"{live_server.url}/inspections/{team['id']}")
    b.locator("details.join summary").click()
    assert b.evaluate("navigator.share === undefined")
    assert not b.locator("[data-action=share-link]").is_visible()
    b.get_by_role("button", name="Sao chép liên kết").click()
    selected = b.evaluate("(() => { const box = document.querySelector('[data-role=join-url]'); "
                          "return box.value.slice(box.selectionStart, box.selectionEnd); })()")
    assert selected == b.locator("[data-role=join-url]").input_value()  # signed anew per page
    assert b.locator("[data-role=copy-state]").inner_text() != ""


def test_the_join_link_works_for_a_team_mate_who_was_not_on_the_team(live_server, team, phone):
    from inspect_app.services import accounts

    store = team["store"]
    newcomer = f"new{uuid.uuid4().hex[:6]}"
    accounts.create_user(store, newcomer, "inspector", password=PASSWORD, full_name="Lê Văn Hùng")
    a = phone()
    login(a, live_server, team["lead"], PASSWORD)
    a.goto(f"{live_server.url}/inspections/{team['id']}")
    url = a.locator("[data-role=join-url]").input_value()
    c = phone()
    login(c, live_server, newcomer, PASSWORD)
    c.goto(url)
    with c.expect_navigation():
        c.locator("main form button[type=submit]").click()
    assert newcomer in [m.username for m in store.get_inspection(team["id"]).team]


def test_a_photo_a_team_mate_adds_appears_on_the_open_section(live_server, team, phone):
    """docs/api.md "Following a record live": a team mate's answer appears on its card.
    The changes feed carries the answer with the team mate's new photo (`photos`), but the
    phone (fill.js liveApply) compares only value/inputs/note with what it shows: equal,
    it just takes the revision, and the photo — the evidence the team mate took — never
    appears (neither does a removal) until the page is reloaded."""
    from inspect_app.services import commands, photos
    from inspect_app.services import inspections as service

    from .browser import login
    from .support import jpeg

    store = team["store"]
    mate = service.scope_for(store, store.get_user(team["mate"]))
    a = phone()
    login(a, live_server, team["lead"], PASSWORD)
    a.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")
    service.save_answer(store, mate, team["id"], commands.answer_op(
        "5.2", {"op_id": op(), "base_rev": 0, "value": True}))
    a.wait_for_function(  # the team mate's answer appears: the page follows the record
        "() => { const r = document.querySelector(\"article[data-criterion='5.2'] "
        "fieldset[data-part=value] input:checked\"); return r && r.value === 'true'; }",
        timeout=12000)
    photos.attach_to_answer(store, mate, team["id"], "5.2", jpeg(), op())
    feed = service.changes_since(store, mate, team["id"], 0)["changes"]
    assert [len(c["answer"]["photos"]) for c in feed if c["criterion"] == "5.2"] == [1]
    a.wait_for_function(
        "() => document.querySelectorAll(\"article[data-criterion='5.2'] figure.thumb\")"
        ".length === 1", timeout=15000)
