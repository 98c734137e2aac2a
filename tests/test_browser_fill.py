"""Filling on a phone, in a real browser (390×844): autosave, photo, offline, conflict, finalize."""
from __future__ import annotations

from PIL import Image

from .browser import (  # noqa: F401  (fixtures)
    PASSWORD,
    PHONE,
    answer_of,
    camera_jpeg,
    card,
    chromium,
    eventually,
    live_server,
    live_server_artifacts,
    login,
    phone,
    queued,
    team,
    wait_saved,
)


def test_fill_a_section_attach_a_photo_and_finalize(live_server, team, phone):
    page = phone()
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/chi_dao")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll

    card(page, "1.6").get_by_text("Có", exact=True).click()
    wait_saved(page, "1.6")
    assert answer_of(team, "1.6").value is True

    plan = card(page, "1.2")
    plan.locator("input[data-part=in_planned]").fill("20")
    plan.locator("input[data-part=in_done]").fill("16")
    page.wait_for_function("() => document.querySelector(\"article[data-criterion='1.2'] "
                           "[data-role=ratio]\").textContent.includes('80')")
    eventually(lambda: answer_of(team, "1.2") and answer_of(team, "1.2").inputs == {
        "planned": 20, "done": 16})  # the second box saves 0.8 s after the last keystroke
    wait_saved(page, "1.2")
    page.wait_for_function(  # 80 % → 1 of 2 points (S-PLAN), as the server scored it
        "() => document.querySelector(\"article[data-criterion='1.2'] .line-points\")"
        ".textContent === '1'")

    card(page, "1.10").get_by_text("Không", exact=True).click()
    card(page, "1.10").locator("details.note summary").first.click()
    card(page, "1.10").locator("textarea[data-part=note]").fill(
        "Chủ tịch UBND xã chưa phân công công chức chấm điểm CCHC")
    page.wait_for_timeout(1200)
    wait_saved(page, "1.10")
    assert answer_of(team, "1.10").note.startswith("Chủ tịch UBND xã")

    card(page, "1.10").locator("input[data-role=photo-input]").set_input_files(
        {"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()})
    card(page, "1.10").locator("figure.thumb:not(.unsent) img").wait_for(timeout=15000)
    photos = answer_of(team, "1.10").photos
    assert len(photos) == 1
    width, height = Image.open(team["store"].photo_path(photos[0])).size
    assert max(width, height) <= 1600
    page.screenshot(path=str(live_server_artifacts() / "fill-section.png"), full_page=True)

    page.goto(f"{live_server.url}/inspections/{team['id']}/review")
    assert "Chưa đánh giá" in page.content()
    page.check("input[name=allow_unanswered]")
    page.click("form button[type=submit]:has-text('Chốt')")
    with page.expect_navigation():  # the confirmation dialog (test_browser_workflow.py)
        page.click("#finalize-dialog #finalize-form button[type=submit]")
    assert "Đã chốt" in page.content()
    record = team["store"].get_inspection(team["id"])
    assert record.status == "finalized"
    assert {"1.2", "1.10"} <= {i.criterion for i in record.items}


def test_offline_changes_wait_on_the_phone_and_are_saved_once(live_server, team, phone):
    page = phone()
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/chi_dao")
    page.context.set_offline(True)
    card(page, "1.6").get_by_text("Có", exact=True).click()
    page.wait_for_function("() => document.querySelector(\"article[data-criterion='1.6'] "
                           ".save-state\").classList.contains('pending')")
    assert [(op["kind"], op["key"]) for op in queued(page)] == [("answer", "1.6")]
    assert answer_of(team, "1.6") is None
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_saved(page, "1.6")
    answer = answer_of(team, "1.6")
    assert answer.value is True and answer.rev == 1
    eventually(lambda: queued(page) == [])


def test_a_team_mates_change_shows_as_a_conflict(live_server, team, phone):
    lead, mate = phone(), phone()
    login(lead, live_server, team["lead"], PASSWORD)
    login(mate, live_server, team["mate"], PASSWORD)
    for page in (lead, mate):
        page.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")
    # different criteria at once: both kept
    card(lead, "5.3").locator("input[data-part=in_ke_hoach]").fill("4")
    card(lead, "5.3").locator("input[data-part=in_thuc_hien]").fill("4")
    wait_saved(lead, "5.3")
    # the lead's phone loses the network (so its page does not learn of the mate's answer,
    # test_browser_live.py shows that part) and still shows 5.2 unanswered
    lead.context.set_offline(True)
    card(mate, "5.2").get_by_text("Có", exact=True).click()
    wait_saved(mate, "5.2")
    # the same criterion: the lead answers "Không" offline; back online it meets the mate's
    card(lead, "5.2").get_by_text("Không", exact=True).click()
    lead.context.set_offline(False)
    lead.evaluate("window.dispatchEvent(new Event('online'))")
    conflict = card(lead, "5.2").locator(".conflict")
    conflict.wait_for(timeout=10000)
    assert "Có" in conflict.inner_text()
    assert answer_of(team, "5.2").value is True  # not overwritten
    conflict.get_by_role("button").last.click()   # keep mine
    wait_saved(lead, "5.2")
    assert answer_of(team, "5.2").value is False and answer_of(team, "5.2").rev == 2
    assert answer_of(team, "5.3").inputs == {"ke_hoach": 4, "thuc_hien": 4}


def test_a_second_change_made_before_the_first_reply_is_not_a_conflict_with_oneself(
        live_server, team, phone):
    """Two quick taps on one criterion: the second change is made while the first one's
    reply has not reached the page yet, so on the same revision. It is the user's own
    newer answer, not a team mate's: it is saved, without a "theirs / mine" box."""
    page = phone()
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/tai_chinh")
    url = f"/api/v1/inspections/{team['id']}/answers/6.1"
    change = """([url, inspection, value]) => InspectQueue.add({kind: "answer", inspection,
        key: "6.1", method: "PUT", url, base_rev: 0, body: {value}})
        .then(() => InspectQueue.flush())"""
    page.evaluate(change, [url, team["id"], True])
    eventually(lambda: answer_of(team, "6.1") is not None and queued(page) == [])
    page.evaluate(change, [url, team["id"], False])  # made on revision 0 as well
    eventually(lambda: answer_of(team, "6.1").value is False and queued(page) == [],
               timeout=15)
    assert answer_of(team, "6.1").rev == 2
    assert card(page, "6.1").locator(".conflict").count() == 0


def test_without_javascript_a_photo_upload_or_removal_keeps_what_is_typed(live_server, team,
                                                                          chromium, tmp_path):
    """Without JavaScript: answer 1.6 "Có", write a note, pick a photo on the same card and
    press "Tải lên". The photo form held only the photo: the page came back with "photo
    added" and the answer and note were gone, without a word. Now the buttons send the
    section with them; "Xóa" too."""
    context = chromium.new_context(**PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, live_server, team["lead"], PASSWORD)
        page.goto(f"{live_server.url}/inspections/{team['id']}/s/chi_dao")
        one = card(page, "1.6")
        one.get_by_text("Có", exact=True).click()
        one.locator("details.note summary").first.click()
        one.locator("textarea[name$=_note]").fill("Đã ban hành kế hoạch số 12/KH-UBND")
        card(page, "1.10").get_by_text("Có", exact=True).click()  # another card, same page
        photo = tmp_path / "anh.jpg"
        photo.write_bytes(camera_jpeg())
        one.locator("input[type=file][data-role=photo-input]").set_input_files(str(photo))
        with page.expect_navigation():
            one.locator("button.nojs-only[name=photo_for]").click()
        answer = answer_of(team, "1.6")
        assert len(answer.photos) == 1 and answer.value is True
        assert answer.note == "Đã ban hành kế hoạch số 12/KH-UBND"
        assert answer_of(team, "1.10").value is True
        assert page.url.endswith("#k-1.6") and "Đã thêm ảnh" in page.locator(".flash-success").inner_text()
        page.screenshot(path=str(live_server_artifacts() / "nojs-photo-added.png"))
        ratio = card(page, "1.2").locator("input[data-number]")
        ratio.first.fill("20")
        with page.expect_navigation():
            ratio.first.press("Enter")  # saves the section; never a card's photo button
        assert answer_of(team, "1.2").inputs["planned"] == 20
        assert page.locator("p.error").count() == 0  # not "choose a photo first" for 1.1
        assert len(answer_of(team, "1.6").photos) == 1

        one = card(page, "1.6")
        assert one.locator("textarea[name$=_note]").is_visible()  # a note's box shows open
        one.locator("textarea[name$=_note]").fill("Kế hoạch số 12/KH-UBND ngày 07/04/2025")
        with page.expect_navigation():
            one.locator("button[name=remove_photo]").click()
        answer = answer_of(team, "1.6")
        assert answer.photos == [] and answer.note == "Kế hoạch số 12/KH-UBND ngày 07/04/2025"
    finally:
        context.close()


def test_the_score_bar_takes_a_not_applicable_criterion_out_of_both_maximums(
        live_server, team, phone):
    """Ticking N/A takes the criterion's points out of the section's and the total's
    maximum; the bar showed the new percent beside the old maximums ("0/8,5 Σ 0/101,5")
    until a reload."""
    page = phone()
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/the_che")
    bar = page.locator(".bottom-bar .totals")
    before = bar.locator(".section-total").inner_text(), bar.locator(".total").inner_text()
    card(page, "2.1").locator("input[data-part=na]").check()
    wait_saved(page, "2.1")
    assert answer_of(team, "2.1").na is True
    live = bar.locator(".section-total").inner_text(), bar.locator(".total").inner_text()
    page.reload()
    shown = bar.locator(".section-total").inner_text(), bar.locator(".total").inner_text()
    assert live == shown and live[0] != before[0] and live[1] != before[1], (before, live)


def test_a_figure_changed_offline_in_a_second_tab_is_never_undone_by_the_first(
        live_server, team, phone):
    """One phone, two tabs of a section. A figure typed offline in tab B was sent by tab A
    (one tab sends for all); tab A took the new revision but kept showing the old figure,
    so its next change (a note) put the old figure back without a conflict."""
    a = phone()
    login(a, live_server, team["lead"], PASSWORD)
    section = f"{live_server.url}/inspections/{team['id']}/s/cong_vu"
    a.goto(section)
    card(a, "5.1").locator("input[data-part=in_tong_cbcc]").fill("3.200")
    card(a, "5.1").locator("input[data-part=in_dung_vtvl]").fill("3.100")
    eventually(lambda: answer_of(team, "5.1") and answer_of(team, "5.1").inputs == {
        "tong_cbcc": 3200, "dung_vtvl": 3100})
    wait_saved(a, "5.1")
    a.evaluate("document.activeElement.blur()")  # a card being typed in is left alone
    b = a.context.new_page()
    b.goto(section)
    a.context.set_offline(True)
    card(b, "5.1").locator("input[data-part=in_dung_vtvl]").fill("2.900")
    b.wait_for_function("() => InspectQueue.all().then(ops => ops.length === 1)")
    b.close()  # tab A sends it
    a.context.set_offline(False)
    a.evaluate("window.dispatchEvent(new Event('online'))")
    # a send tried offline waits up to 30 s before the next try: asked again at once
    eventually(lambda: a.evaluate("InspectQueue.flush().then(() => 1)") and
               answer_of(team, "5.1").inputs["dung_vtvl"] == 2900, timeout=30)
    a.wait_for_function(  # the poll brings tab B's figure to tab A (every 5 s)
        "() => document.querySelector(\"article[data-criterion='5.1'] "
        "input[data-part=in_dung_vtvl]\").value === '2.900'", timeout=30000)
    note = card(a, "5.1")
    note.locator("details.note summary").first.click()
    note.locator("textarea[data-part=note]").fill("Đã rà soát danh sách")
    eventually(lambda: answer_of(team, "5.1").note == "Đã rà soát danh sách")
    assert answer_of(team, "5.1").inputs == {"tong_cbcc": 3200, "dung_vtvl": 2900}
