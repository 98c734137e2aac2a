"""A withdrawn item (its criterion corrected at a re-finalize) takes no note, photo nor
column change — only a move to another status, a decision — so it stays out of the plans
and comes back when the shortcoming does; its page says so and offers no progress form to
the commune."""
from __future__ import annotations

import io

import openpyxl
import pytest

from inspect_app.services import inspections as service

from .support import World, login, page_text


@pytest.fixture
def world(app, client):
    return World(app, client)


@pytest.fixture
def withdrawn(world):
    """1.6 finalized "No" by mistake, corrected to "Yes" after a reopen and finalized
    again: its item is withdrawn (no_action, "Kết quả tiêu chí đã được sửa…")."""
    record = world.start("lead", "NT", team=["mate"])
    world.answer("lead", record, "1.6", value=False, note="Chưa ban hành kế hoạch tuyên truyền")
    world.finalize("lead", record)
    item = next(i for i in world.record(record).items if i.criterion == "1.6")
    service.reopen(world.store, world.scope("lead"), record, "1.6 ghi nhầm")
    world.answer("lead", record, "1.6", value=True)
    world.finalize("lead", record)
    item = world.item(item.id)
    assert item.status == "no_action" and item.history[-1].action == "withdrawn"
    return {"record": record, "item": item.id, "finding": item.finding}


def _plan_findings(world) -> list[str]:
    response = login(world.app.test_client(), "admin").get("/exports/workbook.xlsx?lang=en")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["Remediation plan"]
    shortcoming = [c.value for c in sheet[1]].index("Shortcoming")
    return [row[shortcoming].value for row in sheet.iter_rows(min_row=2)]


def test_a_progress_note_on_a_withdrawn_item_is_refused_and_the_plan_stays_without_it(
        world, withdrawn):
    """What happened: the commune officer's note "Đã xem" on the withdrawn item was taken
    (200) and, its last history line no longer "withdrawn", the Excel plan listed the
    corrected shortcoming as a plan row again."""
    item_id = withdrawn["item"]
    assert withdrawn["finding"] not in _plan_findings(world)
    response = world.api["ua"].patch(item_id, None, progress_note="Đã xem")
    assert response.status_code == 409, response.json
    assert "đã được rút" in response.json["error"], response.json
    assert withdrawn["finding"] not in _plan_findings(world)
    assert world.item(item_id).progress == []


def test_a_withdrawn_item_comes_back_when_the_shortcoming_returns(world, withdrawn):
    """What happened: after a note on the withdrawn item, the lead reopened, answered 1.6
    "No" again and finalized: the item stayed "no action needed" (a hand-made line made
    it untouchable) and no new item was made — the shortcoming had no action at all."""
    record, item_id = withdrawn["record"], withdrawn["item"]
    assert world.api["ua"].patch(item_id, None, progress_note="Đã xem").status_code == 409
    service.reopen(world.store, world.scope("lead"), record, "1.6 đúng là chưa đạt")
    world.answer("lead", record, "1.6", value=False, note="Chưa ban hành kế hoạch tuyên truyền")
    world.finalize("lead", record)
    of_16 = [(i.id, i.status) for i in world.record(record).items if i.criterion == "1.6"]
    assert of_16 == [(item_id, "open")]


def test_the_withdrawn_items_page_says_why_and_offers_the_commune_no_form(world, withdrawn):
    client = login(world.app.test_client(), "ua")
    page = client.get(f"/remediation/item/{withdrawn['item']}")
    text = page_text(page)
    assert "không còn việc gì phải làm" in text
    assert 'id="progress"' not in page.get_data(as_text=True)
    assert 'id="columns"' not in page.get_data(as_text=True)


def test_the_inspector_may_still_reopen_a_withdrawn_item(world, withdrawn):
    item = world.item(withdrawn["item"])
    response = world.api["lead"].patch(item.id, item.rev, status="open")
    assert response.status_code == 200, response.json
    assert world.item(item.id).status == "open"
    assert withdrawn["finding"] in _plan_findings(world)
