"""Remediation lists in plan order (items of one deadline or done in one second by number,
not id text), and a quick action keeps the page the user was on."""
from __future__ import annotations

import datetime as _dt
import re

import pytest

from inspect_app.services import clock

from .support import World, login


@pytest.fixture
def world(app, client):
    return World(app, client)


def _finalized(world, unit="NT", by="lead"):
    """A finalized inspection of ``unit`` with every criterion left unanswered but 1.6
    (failed): 57 items of the cchc-xa checklist."""
    record = world.start(by, unit, team=["mate"])
    world.answer(by, record, "1.6", value=False, note="Chưa ban hành kế hoạch tuyên truyền")
    world.finalize(by, record)
    return record


def test_verifying_on_page_two_of_awaiting_goes_back_to_page_one(world):
    """An inspector has 55 done items awaiting verification: the list shows 50, then a
    second page (?awaiting=2). On page 2 they tap "Verify" on an item. They expect to
    come back to page 2, to verify the next one. The quick form's ``next`` is the bare
    /remediation/#awaiting: they land on page 1 every time (the filter/page is lost)."""
    record = _finalized(world)
    ua = world.api["ua"]
    for item in world.record(record).items[:55]:
        assert ua.patch(item.id, item.rev, status="done",
                        progress_note="Đã làm xong").status_code == 200
    client = login(world.client, "lead")
    page = client.get("/remediation/?awaiting=2").get_data(as_text=True)
    section = page.split('id="awaiting"', 1)[1].split("</section>", 1)[0]
    form = re.search(r'<form method="post" class="quick" action="([^"]+/review)">(.*?)</form>',
                     section, re.S)
    assert form is not None, "page 2 of awaiting has a verify form"
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    response = client.post(form.group(1), data=fields)
    assert response.status_code == 302
    assert "awaiting=2" in response.headers["Location"], response.headers["Location"]


def test_dashboard_oldest_open_items_of_one_deadline_are_in_text_order(world, monkeypatch):
    """An inspection of NT finalized on 01/03/2025 leaves items due 16/03 and 31/03; the
    commune has done every item due 16/03. On 05/04 the province opens the dashboard:
    "Oldest open items" should list the ten open items due 31/03 in plan order (items 1,
    3, 4, 5, 6, 8, 18, … as the remediation page lists them). The list compares item ids
    as text, so item 18, 19, … 31 come before item 3 and items 4, 5, 6, 8 drop out of the
    ten shown (the escalated list is sorted the same way)."""
    moment = [_dt.datetime(2025, 3, 1, 3, tzinfo=_dt.UTC)]
    monkeypatch.setattr(clock, "now_utc", lambda: moment[0])
    record = _finalized(world)
    for item in world.record(record).items:
        if item.due == "2025-03-16":
            assert world.api["ua"].patch(item.id, item.rev, status="done",
                                         progress_note="Đã khắc phục").status_code == 200
    moment[0] = _dt.datetime(2025, 4, 5, 3, tzinfo=_dt.UTC)
    client = login(world.client, "admin")
    board = client.get("/dashboards/?checklist=cchc-xa&period=2025").get_data(as_text=True)
    oldest = board.split("Nhiệm vụ tồn đọng lâu nhất", 1)[1]
    shown = [int(n) for n in re.findall(r'/remediation/item/[^"]*-(\d+)"', oldest)]
    listing = client.get("/remediation/").get_data(as_text=True).split('id="overdue"', 1)[1]
    in_plan_order = [int(n) for n in re.findall(r'id="i-[^"]*-(\d+)"', listing)]
    assert len(shown) == 10
    assert shown == in_plan_order[:10], (shown, in_plan_order[:10])


def test_awaiting_items_done_in_the_same_second_are_in_text_order(world, monkeypatch):
    """The commune officer's phone was offline; back online, its queue sends twelve
    "done" changes (items 1 to 12 of the plan) within the same second. The inspector
    opens "Awaiting verification" (oldest first): items done at the same moment should
    keep the plan's order (1, 2, 3, … 12, as every other list orders items). The list
    compares item ids as text: 1, 10, 11, 12, 2, 3, …"""
    monkeypatch.setattr(clock, "now_utc", lambda: _dt.datetime(2025, 3, 1, 3, tzinfo=_dt.UTC))
    record = _finalized(world)
    for item in world.record(record).items[:12]:
        assert world.api["ua"].patch(item.id, item.rev, status="done",
                                     progress_note="Đã khắc phục").status_code == 200
    page = login(world.client, "lead").get("/remediation/").get_data(as_text=True)
    section = page.split('id="awaiting"', 1)[1].split("</section>", 1)[0]
    shown = [int(n) for n in re.findall(r'id="i-[^"]*-(\d+)"', section)]
    assert shown == list(range(1, 13)), shown
