"""The app on a phone (Chromium 390×844, scale 2, touch): chart labels inside the chart, fold-
outs, the language button and the queue badge finger-sized, error notes styled as errors.
Screenshots go to test-artifacts/found-defects37/."""
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
                     "test-artifacts", "found-defects37")
LONG_UNIT = "Xã Quảng Phú Cầu Nghĩa Hưng Thượng"
FINGER = 40  # px: the smallest tap target the app gives its other controls (app.css)


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def world(live_server):  # noqa: F811
    """A commune with a long (real-life) name, its lead inspector and officer, and one
    finalized inspection with two shortcomings (so two remediation items)."""
    store = live_server.store()
    library = live_server.app.extensions["checklists"]
    tag = uuid.uuid4().hex[:6]
    code = f"H{tag}"
    unit_service.add_unit(store, code, f"{LONG_UNIT} {tag}")
    names = {"lead": f"lead{tag}", "xa": f"xa{tag}"}
    lead = accounts.create_user(store, names["lead"], "inspector", password=PASSWORD,
                                full_name="Nguyễn Thị Phương Thảo")
    accounts.create_user(store, names["xa"], "unit", unit=code, password=PASSWORD,
                         full_name="Trần Văn Bình")
    scope = service.scope_for(store, lead)
    done = service.start(store, library, scope, commands.StartRequest(
        unit=code, checklist="cchc-xa", period="2024", kind="inspection", another=True)).id
    for cid in ("1.6", "1.10"):
        service.save_answer(store, scope, done, commands.answer_op(cid, {
            "op_id": op(), "base_rev": 0, "value": False,
            "note": "Chưa niêm yết công khai đầy đủ"}))
    service.finalize(store, scope, done, commands.finalize_op({"op_id": op(),
                                                               "allow_unanswered": True}))
    items = [i.id for i in store.get_inspection(done).items]
    return {**names, "unit": code, "done": done, "items": items, "store": store}


# Every visible <summary> whose box is shorter than a finger, with its text and size.
SMALL_SUMMARIES = """min => [...document.querySelectorAll('summary')].map(s => {
  const r = s.getBoundingClientRect();
  return {text: s.innerText.trim(), w: Math.round(r.width), h: Math.round(r.height)};
}).filter(s => s.w > 0 && s.h < min)"""


def test_dashboard_charts_cut_the_first_letters_of_a_commune_name_off_the_left_edge(
        live_server, world, phone):  # noqa: F811
    """An inspector opens "Thống kê" on a phone. The ranking bar chart and the heat map
    label each row with the commune's name, shortened with "…". They expect to read
    "Xã Quảng Phú…"; the chart shows "ã Quảng Phú Cầu Nghĩ…": the first letters of the
    label are drawn left of the chart's edge and cut away. charts.py shortens a label
    to 22 characters (_short) whatever their width, and right-aligns it at x=124 of a
    128-unit label column, so a 22-letter Vietnamese name starts at a negative x."""
    p = phone()
    login(p, live_server, world["lead"], PASSWORD)
    p.goto(f"{live_server.url}/dashboards/?checklist=cchc-xa&period=2024")
    shot(p, "dashboard")
    cut = p.evaluate("""() => {
      const out = [];
      for (const svg of document.querySelectorAll('svg')) {
        const edge = svg.getBoundingClientRect().left;
        for (const t of svg.querySelectorAll('text')) {
          const r = t.getBoundingClientRect();
          const shown = [...t.childNodes].filter(n => n.nodeType === 3).map(n => n.data).join('');
          if (r.width > 0 && r.left < edge - 0.5)
            out.push(`"${shown.trim()}" starts ${Math.round(edge - r.left)}px left of its chart`);
        }
      }
      return out;
    }""")
    assert cut == [], f"chart labels cut off at the left edge: {cut}"


def test_fold_out_headings_on_the_record_plan_and_item_pages_are_too_small_to_tap(
        live_server, world, phone):  # noqa: F811
    """On a phone the lead opens the finalized record ("Mở lại", "Lịch sử"), its plan
    ("Thêm tồn tại vào kế hoạch") and an item ("Sửa nội dung kế hoạch", "Lịch sử").
    Each of these fold-outs is opened by tapping a one-line heading only 22–25 px tall,
    about half the height of every other control (buttons and choices 48 px, the note
    and help fold-outs 40 px). app.css gives ``min-height: 40px`` only to
    ``.crit-help summary, details.note summary``; the other <summary> elements get none."""
    p = phone()
    login(p, live_server, world["lead"], PASSWORD)
    small = {}
    for name, path in (("record", f"/inspections/{world['done']}"),
                       ("plan", f"/remediation/plan/{world['done']}"),
                       ("item", f"/remediation/item/{world['items'][0]}")):
        p.goto(f"{live_server.url}{path}")
        shot(p, f"fold-outs-{name}")
        found = p.evaluate(SMALL_SUMMARIES, FINGER)
        if found:
            small[name] = found
    assert small == {}, f"fold-out headings shorter than {FINGER} px: {small}"


def test_the_dashboard_data_table_fold_outs_are_shorter_than_a_finger(
        live_server, world, phone):  # noqa: F811
    """Under each chart of "Thống kê" a "Bảng số liệu" heading opens the figures as a
    table (the only way to read exact numbers on a phone). The heading is 32 px tall:
    reports.css sets ``.dash summary { min-height: 32px }``, below the 40 px the app uses
    for its other fold-outs and the 48 px of its buttons."""
    p = phone()
    login(p, live_server, world["xa"], PASSWORD)
    p.goto(f"{live_server.url}/dashboards/")
    shot(p, "dashboard-tables")
    found = [s for s in p.evaluate(SMALL_SUMMARIES, FINGER) if s["text"] == "Bảng số liệu"]
    assert found == [], f"data-table headings shorter than {FINGER} px: {found}"


def test_the_language_button_in_the_top_bar_is_narrower_than_a_finger(
        live_server, world, phone):  # noqa: F811
    """The top bar of every page has the "EN" button (switch to English) right next to
    "Đăng xuất". It is 35 px wide on a phone — narrower than a finger, beside the log-out
    button, so a tap meant for one can hit the other. app.css gives ``.nav .linkish`` and
    the language buttons a 40 px min-height but no min-width."""
    p = phone()
    login(p, live_server, world["xa"], PASSWORD)
    p.goto(f"{live_server.url}/")
    shot(p, "top-bar")
    box = p.locator("form.lang button").first.bounding_box()
    assert box is not None
    assert box["width"] >= FINGER and box["height"] >= FINGER, box


def test_the_finalize_needs_the_network_note_in_the_dialog_looks_like_ordinary_text(
        live_server, world, phone):  # noqa: F811
    """The lead opens the review on a phone, taps "Chốt kết quả…", the confirmation dialog
    opens; the phone loses its signal and the lead taps "Chốt kết quả ngay". The note
    "Chốt kết quả cần có mạng: … Chưa chốt gì cả" appears — in the same plain dark text as
    the paragraph under it ("Sau khi chốt, điểm không thay đổi…"), not in the red of every
    other error, so it reads as more of the explanation and the lead may think it was
    finalized. The note is ``<p class="error">`` but app.css colours ``.error`` only inside
    a form field (``.field .error``); the same holds for the note on the review page and
    the "finalize held while changes wait" and "criteria unanswered" messages."""
    store = world["store"]
    lead = service.scope_for(store, store.get_user(world["lead"]))
    record = service.start(store, live_server.app.extensions["checklists"], lead,
                           commands.StartRequest(unit=world["unit"], checklist="cchc-xa",
                                                 period="2026", kind="inspection",
                                                 another=True)).id
    p = phone()
    login(p, live_server, world["lead"], PASSWORD)
    p.goto(f"{live_server.url}/inspections/{record}/review")
    p.locator("#finalize-start input[name=allow_unanswered]").check()
    p.locator("#finalize-start button[type=submit]").tap()
    p.locator("#finalize-dialog[open]").wait_for()
    p.context.set_offline(True)
    button = p.locator("#finalize-dialog #finalize-form button[type=submit]")
    button.scroll_into_view_if_needed()
    button.tap()
    note = p.locator("#finalize-dialog [data-role=finalize-offline]")
    note.wait_for(state="visible", timeout=5000)
    p.screenshot(path=os.path.join(SHOTS, "finalize-offline-dialog.png"))
    assert store.get_inspection(record).status == "draft"
    style = "el => { const s = getComputedStyle(el); return [s.color, s.fontWeight, s.backgroundColor]; }"
    note_style = note.evaluate(style)
    plain = p.locator("#finalize-dialog #finalize-form > p").first.evaluate(style)
    bad = p.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--bad').trim()")
    assert note_style != plain, (
        f"the offline note {note_style} is styled like the plain paragraph {plain}, not as an "
        f"error (--bad is {bad})")


def test_the_queue_badge_in_the_top_bar_is_too_small_to_tap(live_server, world, phone):  # noqa: F811
    """The commune officer reports progress on an item with no signal: the top bar shows
    the badge "1 đang chờ", the link to the queue page where waiting changes are sent or
    discarded. The badge is 25 px tall on a phone (app.css ``.queue-badge`` has
    ``padding: 2px 10px`` and no min-height), about half of the 48 px of the app's
    buttons, and it sits right above the nav links."""
    p = phone()
    login(p, live_server, world["xa"], PASSWORD)
    p.goto(f"{live_server.url}/remediation/item/{world['items'][0]}")
    p.context.set_offline(True)
    p.locator("#progress label.choice").filter(has=p.locator("input[value=in_progress]")).tap()
    p.locator("#progress button[type=submit]").tap()
    badge = p.locator("a.queue-badge")
    badge.wait_for(state="visible", timeout=10000)
    shot(p, "queue-badge")
    box = badge.bounding_box()
    assert box["height"] >= FINGER, f"the queue badge {badge.inner_text()!r} is {box}"


def test_page_links_are_finger_sized_with_room_between_them(live_server, world, phone):  # noqa: F811
    """An administrator goes through a province's 50+ communes on a phone. The page links
    ("1 2 3 Sau ›") were plain words in a line, about 20 px tall and a few apart: a thumb
    opened the wrong page. Each must be at least 44 × 44 px, none touching the next."""
    store = world["store"]
    tag = uuid.uuid4().hex[:6]
    accounts.create_user(store, f"ad{tag}", "admin", password=PASSWORD)
    for n in range(51):
        unit_service.add_unit(store, f"P{tag}{n:02d}", f"Xã Thử Nghiệm {n}")
    p = phone()
    login(p, live_server, f"ad{tag}", PASSWORD)
    p.goto(f"{live_server.url}/units/")
    shot(p, "pager")
    boxes = p.evaluate("""() => [...document.querySelectorAll('.pager-links > a, .pager-links > strong')]
      .map(a => { const r = a.getBoundingClientRect();
                  return {text: a.innerText.trim(), l: r.left, r: r.right, t: r.top, b: r.bottom}; })""")
    assert len(boxes) >= 3, boxes  # page 1, page 2 and "next"
    small = [b for b in boxes if b["b"] - b["t"] < 44 or b["r"] - b["l"] < 44]
    assert not small, small
    for one, other in zip(boxes, boxes[1:]):
        same_line = abs(one["t"] - other["t"]) < 1
        assert not same_line or other["l"] - one["r"] >= 4, (one, other)
