"""The app on a phone (Chromium 390×844, scale 2, touch), in Vietnamese, with the long
names real communes and people have: no word cut in two, the national title on the sheet,
every note box named for a screen reader, the bar never "all saved" beside an answer that
was not sent. Screenshots go to test-artifacts/phone-layout/."""
from __future__ import annotations

import os
import uuid

import pytest

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import chromium, live_server, login, phone  # noqa: F401
from .support import PASSWORD, op

SHOTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                     "test-artifacts", "phone-layout")
LONG_UNIT = "Xã Quảng Phú Cầu Nghĩa Hưng Thượng Đông Bắc Trường Xuân"

# Words (runs of non-space) of the element's text that the browser broke over two lines:
# "Tì|m", "Xế|p loạ|i". A Vietnamese syllable is a word; it must never be cut.
BROKEN_WORDS = """el => {
  const broken = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                            .map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(m[0]);
    }
  }
  return broken;
}"""


def shot(page, name, full_page=True):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/test-{name}.png", full_page=full_page)


@pytest.fixture
def world(live_server):  # noqa: F811
    """A commune with a long name, an admin, an inspection lead with a long name and the
    commune's officer; one finalized inspection (2024) and one open (2025)."""
    store = live_server.store()
    library = live_server.app.extensions["checklists"]
    tag = uuid.uuid4().hex[:6]
    code = f"Q{tag}"
    unit_service.add_unit(store, code, f"{LONG_UNIT} {tag}")
    names = {"admin": f"admin{tag}", "lead": f"lead{tag}", "xa": f"xa{tag}"}
    accounts.create_user(store, names["admin"], "admin", password=PASSWORD, full_name="Quản trị viên")
    accounts.create_user(store, names["lead"], "inspector", password=PASSWORD,
                         full_name="Nguyễn Thị Phương Thảo Hoàng Quỳnh Anh")
    accounts.create_user(store, names["xa"], "unit", unit=code, password=PASSWORD,
                         full_name="Trần Văn Bình")
    scope = service.scope_for(store, store.get_user(names["lead"]))

    def start(period):
        return service.start(store, library, scope, commands.StartRequest(
            unit=code, checklist="cchc-xa", period=period, kind="inspection", team=[],
            another=True)).id

    def answer(record, criterion, **content):
        current = store.get_inspection(record).answers.get(criterion)
        service.save_answer(store, scope, record, commands.answer_op(criterion, {
            "op_id": op(), "base_rev": current.rev if current else 0, **content}))

    done = start("2024")
    for cid in ("1.6", "1.10", "2.1"):
        answer(done, cid, value=False, note="Chưa niêm yết công khai đầy đủ")
    service.finalize(store, scope, done, commands.finalize_op({"op_id": op(),
                                                               "allow_unanswered": True}))
    open_ = start("2025")
    return {**names, "unit": code, "done": done, "open": open_, "store": store}


def test_users_list_on_a_phone_does_not_cut_words_in_the_search_button_or_headers(
        live_server, world, phone):  # noqa: F811
    """On a phone the users page shows its search button as "Tì / m" and the header
    "Tên đăng nhập" as "đăn / g / nhậ / p" (and "admi / n"): body's
    ``overflow-wrap: anywhere`` lets the table columns and the flex button shrink below
    their longest syllable."""
    p = phone()
    login(p, live_server, world["admin"], PASSWORD)
    p.goto(f"{live_server.url}/users/")
    shot(p, "users")
    button = p.get_by_role("button", name="Tìm")
    assert button.evaluate(BROKEN_WORDS) == [], "the search button's word is cut"
    headers = p.locator("table thead th")
    broken = [w for i in range(headers.count()) for w in headers.nth(i).evaluate(BROKEN_WORDS)]
    assert broken == [], f"column headers cut mid-word: {broken}"


def test_home_ranking_on_a_phone_does_not_cut_the_grade_header(live_server, world, phone):  # noqa: F811
    """The home page's ranking table on a phone shows its last column's header
    "Xếp loại" one or two letters a line ("Xế / p / loạ / i")."""
    p = phone()
    login(p, live_server, world["lead"], PASSWORD)
    p.goto(f"{live_server.url}/")
    shot(p, "home")
    table = p.locator("table", has=p.locator("th", has_text="Xếp loại")).first
    assert table.count() == 1
    broken = table.locator("thead").evaluate(BROKEN_WORDS)
    assert broken == [], f"ranking headers cut mid-word: {broken}"


def test_printed_minutes_on_a_phone_keep_the_national_title_on_the_sheet(
        live_server, world, phone):  # noqa: F811
    """The minutes on a phone (print.css: "a phone shows the text readable, not a
    scaled-down sheet") run "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" past the right edge of
    the white sheet and make the page scroll sideways: ``.motto-state`` is
    ``white-space: nowrap`` while the sheet is only as wide as the phone."""
    p = phone()
    login(p, live_server, world["lead"], PASSWORD)
    p.goto(f"{live_server.url}/inspections/{world['done']}/minutes")
    shot(p, "minutes", full_page=False)
    sheet = p.locator(".sheet").first.bounding_box()
    title = p.locator(".motto-state").first
    extent = title.evaluate("el => { const r = document.createRange(); r.selectNodeContents(el);"
                            " return r.getBoundingClientRect().right; }")
    assert extent <= sheet["x"] + sheet["width"], (extent, sheet)
    assert p.evaluate("document.documentElement.scrollWidth") <= 390


def test_every_note_box_on_the_section_page_has_a_label(live_server, world, phone):  # noqa: F811
    """Each criterion's note box (``textarea`` under a "Ghi chú" summary) has no label:
    no ``<label for>``, no ``aria-label``/``aria-labelledby``, so a screen reader announces
    an unnamed edit field, dozens of them on one page (fill/_widgets.html)."""
    p = phone()
    login(p, live_server, world["lead"], PASSWORD)
    p.goto(f"{live_server.url}/inspections/{world['open']}/s/chi_dao")
    notes = p.locator("article.crit textarea[data-part=note]")
    assert notes.count() > 3
    unnamed = p.evaluate("""() => [...document.querySelectorAll(
        'article.crit textarea[data-part=note]')].filter(t => !(t.labels && t.labels.length)
        && !t.getAttribute('aria-label') && !t.getAttribute('aria-labelledby')
        && !t.title).map(t => t.id)""")
    assert unnamed == [], f"note boxes without a label: {unnamed}"


def test_the_bottom_bar_does_not_say_all_saved_while_a_typed_number_was_not_saved(
        live_server, world, phone):  # noqa: F811
    """A count typed the decimal way ("1234,5" in a whole-number box) is not sent: its
    card says "Không phải là số", yet the bar at the foot of the phone's screen — the one
    line a user reads before leaving — says "Đã lưu mọi thay đổi" in green, even after
    another answer is saved. fill.js showNet counts only queued and refused changes, not
    cards held back as not-a-number (the rule "never all saved while a refused change is
    on screen" is not kept for them)."""
    from .browser import card, wait_saved

    p = phone()
    login(p, live_server, world["lead"], PASSWORD)
    p.goto(f"{live_server.url}/inspections/{world['open']}/s/tthc")
    first = card(p, "3.1").locator("input[data-number]").first
    first.tap()
    p.keyboard.type("1234,5")
    p.wait_for_function("() => document.querySelector(\"article[data-criterion='3.1'] "
                        ".save-state\").classList.contains('bad')", timeout=10000)
    card(p, "3.2").get_by_text("Không", exact=True).tap()
    wait_saved(p, "3.2")
    p.wait_for_timeout(500)
    shot(p, "not-saved-bar", full_page=False)
    assert world["store"].get_inspection(world["open"]).answers.get("3.1") is None  # not saved
    bar = p.locator(".net-state")
    assert bar.inner_text().strip() != "Đã lưu mọi thay đổi", "the bar says all is saved"
    assert "ok" not in (bar.get_attribute("class") or "").split()
