"""Phone layouts (issue 11 point 7), in Chromium at 390×844: the self-check versus
inspection page as one card per criterion on a phone (a table on wide screens and in
print), and the review with photos inside their criterion's card and shortcomings under
section headings."""
from __future__ import annotations

import io
import os
import uuid

import pytest
from PIL import Image

from inspect_app.services import accounts, commands, photos
from inspect_app.services import inspections as service

from .browser import (  # noqa: F401
    chromium,
    live_server,
    login,
    page,
    phone,
    team,  # noqa: F401  (fixture)
)
from .support import PASSWORD

SHOTS = "/tmp/shots"


def shot(page, name, full_page=True):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/layout-{name}.png", full_page=full_page)


def answer(store, scope, record, criterion, **content):
    current = store.get_inspection(record).answers.get(criterion)
    service.save_answer(store, scope, record, commands.answer_op(criterion, {
        "op_id": str(uuid.uuid4()), "base_rev": current.rev if current else 0, **content}))


@pytest.fixture
def compared(live_server, team):  # noqa: F811
    """The team's inspection and the unit's own self-check of the same period, with a
    few criteria answered on each side (1.10 and 2.1 overrated by the unit)."""
    store = team["store"]
    unit = store.get_inspection(team["id"]).unit
    officer = f"xa{uuid.uuid4().hex[:6]}"
    accounts.create_user(store, officer, "unit", unit=unit, password=PASSWORD)
    own = service.scope_for(store, store.get_user(officer))
    lead = service.scope_for(store, store.get_user(team["lead"]))
    self_check = service.start(store, live_server.app.extensions["checklists"], own,
                               commands.StartRequest(unit=unit, checklist="cchc-xa",
                                                     period="2025", kind="self_check"))
    for cid, value in (("1.6", True), ("1.10", True), ("2.1", True)):
        answer(store, own, self_check.id, cid, value=value)
    for cid, value in (("1.6", True), ("1.10", False), ("2.1", False)):
        answer(store, lead, team["id"], cid, value=value, note=f"Ghi chú của đoàn về {cid}")
    return {**team, "self_check": self_check.id, "lead_scope": lead}


def test_the_comparison_is_one_card_per_criterion_on_a_phone(live_server, compared, phone):
    p = phone()
    login(p, live_server, compared["lead"], PASSWORD)
    p.goto(f"{live_server.url}/inspections/{compared['id']}/compare")
    assert p.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    rows = p.locator("table.compare tbody tr")
    assert rows.count() > 40
    # every cell is wide enough to read: nothing wraps one letter per line
    narrowest = p.evaluate("""() => Math.min(...[...document.querySelectorAll(
        'table.compare tbody td')].map(td => td.getBoundingClientRect().width))""")
    assert narrowest >= 60, narrowest
    first = rows.first.locator("td.crit-cell").bounding_box()
    assert first["width"] > 300  # the criterion's text spans the card
    assert p.locator("table.compare thead").bounding_box()["height"] <= 1  # labels in the cards
    # the overrated card: code, title, self, team, gap and the flag
    flagged = p.locator("table.compare tr.overrated", has_text="1.10")
    text = flagged.inner_text()
    for part in ("1.10", "Phân công công chức", "Tự chấm cao hơn", "+0,5"):
        assert part in text, (part, text)
    labels = flagged.evaluate("""tr => [...tr.querySelectorAll('td.num')].map(
        td => getComputedStyle(td, '::before').content)""")
    assert labels == ['"Tối đa"', '"Tự chấm"', '"Đoàn kiểm tra"', '"Chênh lệch"'], labels
    assert flagged.locator(".flag").is_visible()
    cells = flagged.locator("td.num")
    tops = {round(cells.nth(i).bounding_box()["y"]) for i in range(cells.count())}
    assert len(tops) == 1  # the figures side by side under the title
    flagged.scroll_into_view_if_needed()
    shot(p, "compare-phone", full_page=False)

    # in print, and on a wide screen, it stays a table
    p.emulate_media(media="print")
    assert p.evaluate("getComputedStyle(document.querySelector('table.compare tbody tr')).display") == "table-row"
    p.emulate_media(media="screen")
    p.set_viewport_size({"width": 1024, "height": 800})
    assert p.evaluate("getComputedStyle(document.querySelector('table.compare tbody tr')).display") == "table-row"
    assert p.locator("table.compare thead").is_visible()


def test_the_review_keeps_photos_in_their_cards_and_groups_shortcomings_by_section(
        live_server, compared, phone):
    store, lead = compared["store"], compared["lead_scope"]
    image = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 60, 40)).save(image, "JPEG")
    config = live_server.app.config
    photos.attach_to_answer(store, lead, compared["id"], "1.10", image.getvalue(), str(uuid.uuid4()),
                            max_side=int(config["PHOTO_MAX_SIDE"]),
                            max_bytes=int(config["PHOTO_MAX_BYTES"]),
                            max_pixels=int(config["PHOTO_MAX_PIXELS"]))
    p = phone()
    login(p, live_server, compared["lead"], PASSWORD)
    p.goto(f"{live_server.url}/inspections/{compared['id']}/review")
    assert p.evaluate("document.documentElement.scrollWidth") <= 390
    headings = p.locator("h3.section-heading")
    sections = [headings.nth(i).get_attribute("data-section") for i in range(headings.count())]
    assert sections[:2] == ["chi_dao", "the_che"]  # 1.10 under I, 2.1 under II
    chi_dao = p.locator("h3.section-heading[data-section=chi_dao] + ul.shortcomings")
    assert chi_dao.locator("li[data-criterion='1.10']").count() == 1
    assert chi_dao.locator("li[data-criterion='2.1']").count() == 0
    assert p.locator("h3.section-heading[data-section=the_che] + ul.shortcomings "
                     "li[data-criterion='2.1']").count() == 1
    # the photo is inside its criterion's card
    card = p.locator("li.review-card[data-criterion='1.10']")
    photo = card.locator("figure.thumb img")
    assert photo.count() == 1
    box, inner = card.bounding_box(), photo.bounding_box()
    assert box["x"] <= inner["x"] and inner["x"] + inner["width"] <= box["x"] + box["width"]
    assert box["y"] <= inner["y"] and inner["y"] + inner["height"] <= box["y"] + box["height"]
    assert p.evaluate("getComputedStyle(document.querySelector(\"li.review-card[data-criterion='1.10']\")).borderTopWidth") == "1px"
    card.scroll_into_view_if_needed()
    shot(p, "review-phone", full_page=False)
