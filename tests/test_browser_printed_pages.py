"""Printed pages and documents on a phone, in Chromium: the door QR sheet's cards hold
their whole content, app pages print their content only (no top bar, nothing past the
paper's edge), and the documents' tables (appraisal result, plan appendix) keep headers,
criterion codes and dates whole in print and on a phone, where a wide table scrolls
sideways in its frame. Found by exploratory testing; each test failed before its fix."""
from __future__ import annotations

import os
import uuid

import pytest

from inspect_app.services import accounts, assessments, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import chromium, live_server, login, page, phone, team  # noqa: F401
from .support import PASSWORD, op
from .test_browser_layouts import compared  # noqa: F401
from .test_browser_phone_layout import BROKEN_WORDS, world  # noqa: F401
from .test_shipped_checklists import full_answers

SHOTS = "/tmp/shots"

# A4 portrait with the door sheet's @page margin of 10 mm: 190 mm of printable width.
DOOR_PRINT_WIDTH = round(190 / 25.4 * 96)


@pytest.mark.parametrize("name", [
    "Thị trấn Nông trường Mộc Châu",
    "Thị trấn Nông trường Mộc Châu, huyện Mộc Châu",  # two lines at the card's 17 pt
])
def test_printed_door_card_of_a_two_line_unit_name_keeps_the_centre_and_the_address(
        live_server, page, name):  # noqa: F811
    """An inspector prints the door QR sheet (Đơn vị → "In mã QR cửa") to post a code at
    the door of "Thị trấn Nông trường Mộc Châu", a real commune-level unit whose name
    took two lines at 19 pt. She expects each cut-out card to show the one-stop centre's
    name above, the code, the sentence and the address below it. What happened: in print
    the card (a fixed 68 mm grid row, ``overflow: hidden``, content centred) was taller
    than its row: the centre's name at the top and the address at the bottom were cut
    off by the card's edge (in the PDF the address was missing altogether)."""
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    code = f"MC{tag}"
    unit_service.add_unit(store, code, name)
    user = f"door{tag}"
    accounts.create_user(store, user, "inspector", password=PASSWORD, full_name="Lò Văn Thành")
    login(page, live_server, user, PASSWORD)
    page.set_viewport_size({"width": DOOR_PRINT_WIDTH, "height": 1100})
    page.goto(f"{live_server.url}/qr/door-sheet")
    page.emulate_media(media="print")
    card = page.locator(".door-card", has=page.locator(".door-unit", has_text=name))
    assert card.count() == 1
    card.scroll_into_view_if_needed()
    os.makedirs(SHOTS, exist_ok=True)
    card.screenshot(path=f"{SHOTS}/printed-door-card-{len(name)}.png")
    box = card.bounding_box()
    centre = card.locator(".door-centre").bounding_box()
    url = card.locator(".door-url").bounding_box()
    assert centre is not None and url is not None
    assert centre["y"] >= box["y"] - 0.5, (
        f"the centre's name starts {box['y'] - centre['y']:.0f}px above the card's edge")
    assert url["y"] + url["height"] <= box["y"] + box["height"] + 0.5, (
        f"the address ends {url['y'] + url['height'] - box['y'] - box['height']:.0f}px "
        "below the card's edge")
    assert card.evaluate("c => c.scrollHeight <= c.clientHeight"), "the card's content is clipped"


# A4 portrait with the documents' margins of 30 mm + 15 mm: 165 mm of printable width.
A4_PRINT_WIDTH = round(165 / 25.4 * 96)


def test_printed_comparison_leaves_out_the_app_top_bar_and_nothing_runs_off_the_page(
        live_server, compared, page):  # noqa: F811
    """The lead prints the "self-check versus inspection" page, which README promises is
    "a table ... in print", to hand to the commune. She expects the sheet to hold the
    table only, as the printed minutes do (print.css hides ``.topbar`` in print). What
    happened: the app pages loaded no print rules at all (app.css has no ``@media print``; print.css is only
    linked by the documents): the blue top bar printed with the user's name, "Đăng xuất",
    "EN" and the navigation, whose last links ("Chỉ số CCHC", "Đơn vị", "Xuất Excel" …)
    ran past the right edge of the paper."""
    login(page, live_server, compared["lead"], PASSWORD)
    page.set_viewport_size({"width": A4_PRINT_WIDTH, "height": 1100})
    page.goto(f"{live_server.url}/inspections/{compared['id']}/compare")
    page.emulate_media(media="print")
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/printed-compare-print.png")
    assert page.locator("table.compare").is_visible()
    assert not page.locator("header.topbar").is_visible(), "the app's top bar is printed"
    past_edge = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(el => { const r = el.getBoundingClientRect();
                        return r.width > 0 && r.right > document.documentElement.clientWidth + 0.5; })
        .map(el => el.textContent.trim().slice(0, 30))""")
    assert past_edge == [], f"printed past the right edge of the paper: {past_edge}"


@pytest.fixture
def appraised(live_server):  # noqa: F811
    """A finished PAR-index assessment of a commune (two rounds: 1.6 asked to explain,
    explained, restored in round 2; 5.4 lowered), and its inspector's login."""
    store, library = live_server.store(), live_server.app.extensions["checklists"]
    tag = uuid.uuid4().hex[:6]
    unit_service.add_unit(store, f"A{tag}", "Xã Quảng Phú Cầu")
    lead, officer = f"lead{tag}", f"ua{tag}"
    accounts.create_user(store, lead, "inspector", password=PASSWORD,
                         full_name="Nguyễn Thị Phương Thảo")
    accounts.create_user(store, officer, "unit", unit=f"A{tag}", password=PASSWORD)
    by_lead = service.scope_for(store, store.get_user(lead))
    by_unit = service.scope_for(store, store.get_user(officer))
    record = service.start(store, library, by_lead, commands.StartRequest(
        unit=f"A{tag}", checklist="cchc-xa", period="2025", kind="assessment")).id
    for cid, content in full_answers().items():
        service.save_answer(store, by_unit, record, commands.answer_op(cid, {
            "op_id": op(), "base_rev": 0, "note": f"Minh chứng {cid}", **content}))

    def advance(scope):
        assessments.advance(store, scope, record, commands.advance_op({"op_id": op()}))

    def appraise(cid, **content):
        assessments.save_appraisal(store, by_lead, record, commands.appraisal_op(
            cid, {"op_id": op(), "base_rev": 1, **content}))

    advance(by_unit)
    appraise("1.6", value=False, note="Không có văn bản", explain=True)
    appraise("5.4", value=1.5)
    advance(by_lead)
    assessments.save_explanation(store, by_unit, record, commands.explanation_op(
        "1.6", {"op_id": op(), "base_rev": 0, "text": "Đã ban hành kế hoạch"}))
    advance(by_unit)
    appraise("1.6", value=True)
    advance(by_lead)
    return {"id": record, "lead": lead}


def test_printed_appraisal_result_does_not_cut_the_gap_column_header(
        live_server, appraised, page):  # noqa: F811
    """The inspector prints a commune's kết quả thẩm định (A4, two appraisal rounds). She
    expects the column headers of section II to read as words. What happened: the last
    header, "Chênh lệch", printed as "Chên / h lệch": the table's intended 10.5 pt lost to
    table.grid's 12 pt, at which the bold syllable "Chênh" fills the 15 mm points column,
    and ``.sheet * { overflow-wrap: anywhere }`` broke it between its letters."""
    login(page, live_server, appraised["lead"], PASSWORD)
    page.set_viewport_size({"width": A4_PRINT_WIDTH, "height": 1100})
    page.goto(f"{live_server.url}/inspections/{appraised['id']}/appraisal-result")
    page.emulate_media(media="print")
    header = page.locator("table.appraisal-detail thead")
    assert "Thẩm định lần 2" in header.inner_text()
    os.makedirs(SHOTS, exist_ok=True)
    header.screenshot(path=f"{SHOTS}/printed-appraisal-print-header.png")
    assert header.evaluate(BROKEN_WORDS) == [], "a printed header syllable is cut in two"


def test_appraisal_result_on_a_phone_does_not_cut_headers_or_criterion_codes(
        live_server, appraised, phone):  # noqa: F811
    """A commune officer opens the kết quả thẩm định on a phone. print.css promises "On a
    phone screen the fixed A4 columns leave the text no room: let the content decide"
    (table-layout: auto). What happened: the headers were cut letter by letter ("Ti / êu / ch / í",
    "Điể / m", "Thẩ / m", "Chên / h") and criterion codes such as "1.10" broke over two
    lines: with ``overflow-wrap: anywhere`` on every cell the content's minimum width was a
    single letter, so an auto layout still squeezed the columns below a syllable."""
    p = phone()
    login(p, live_server, appraised["lead"], PASSWORD)
    p.goto(f"{live_server.url}/inspections/{appraised['id']}/appraisal-result")
    table = p.locator("table.appraisal-detail")
    os.makedirs(SHOTS, exist_ok=True)
    table.locator("thead").screenshot(path=f"{SHOTS}/printed-appraisal-phone-header.png")
    assert table.locator("thead").evaluate(BROKEN_WORDS) == [], "phone headers cut mid-word"
    codes = table.locator("tbody td:first-child")
    broken = [w for i in range(codes.count()) for w in codes.nth(i).evaluate(BROKEN_WORDS)]
    assert broken == [], f"criterion codes split over two lines: {broken}"


def test_plan_appendix_on_a_phone_does_not_cut_words_and_dates_letter_by_letter(
        live_server, world, phone):  # noqa: F811
    """A commune officer opens the remediation plan on a phone to see what is due when.
    print.css says "A phone shows the text readable, not a scaled-down sheet". What
    happened: the appendix kept its 11 fixed A4 columns in 390 px: its headers stood one
    or two letters a line ("T / i / ê / u / c / h / í", "Ng / uyê / n"), and the
    deadlines broke in the middle ("03/ / 01/ / 2027"), so the one figure she came for
    was hard to read. No phone rule existed for ``table.appendix``."""
    p = phone()
    login(p, live_server, world["lead"], PASSWORD)
    p.goto(f"{live_server.url}/inspections/{world['done']}/plan")
    table = p.locator("table.appendix")
    os.makedirs(SHOTS, exist_ok=True)
    table.locator("thead").screenshot(path=f"{SHOTS}/printed-plan-appendix-phone.png")
    dues = table.locator("tbody td:nth-child(8)")
    assert dues.count() >= 3
    split = [dues.nth(i).inner_text() for i in range(dues.count())
             if dues.nth(i).evaluate(BROKEN_WORDS)]
    assert split == [], f"deadlines split over lines on a phone: {split[:5]}"
    assert table.locator("thead").evaluate(BROKEN_WORDS) == [], "headers cut mid-word"
